package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// casMetrics are the coordinator's metrics of lightweight transactions.
type casMetrics struct {
	seconds prometheus.Histogram
	// retries counts Paxos rounds started again, by reason: contention
	// (a higher ballot won), in_progress (the round finished an earlier
	// accepted proposal), missed_commit (it sent the latest commit to
	// replicas that missed it).
	retries *prometheus.CounterVec
	// unknown counts transactions answered "outcome unknown" because
	// their proposal was accepted by some replicas and then beaten.
	unknown prometheus.Counter
}

func newCASMetrics(reg prometheus.Registerer, buckets []float64) *casMetrics {
	m := &casMetrics{
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sibyl_coordinator_cas_seconds", Help: "Latency of lightweight transactions (CAS).", Buckets: buckets}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_coordinator_cas_retries_total",
			Help: "Paxos rounds started again, by reason: contention, in_progress (finished an earlier proposal), missed_commit (repaired a replica)."},
			[]string{"reason"}),
		unknown: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sibyl_coordinator_cas_unknown_total",
			Help: "Lightweight transactions whose proposal was partly accepted then beaten: answered as outcome unknown."}),
	}
	if reg != nil {
		reg.MustRegister(m.seconds, m.retries, m.unknown)
	}
	return m
}

func (m *coordinatorMetrics) observeCAS(start time.Time, err error) {
	m.cas.seconds.Observe(time.Since(start).Seconds())
	m.countError("cas", err)
}
