package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/node/messaging"
)

// registerClusterMetrics exports gossip, hint and internode messaging
// figures on the node's registry. Every value is read when scraped.
func (c *cluster) registerClusterMetrics(reg *prometheus.Registry) {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	peers := func(up bool) func() float64 {
		return func() float64 {
			k := 0
			for _, p := range c.view.Load().peers {
				if p.up == up && p.tokens != nil && !p.retired {
					k++
				}
			}
			return float64(k)
		}
	}
	msg := func(f func(messaging.Metrics) uint64) func() float64 {
		return func() float64 { return float64(f(c.msg.Metrics())) }
	}
	reg.MustRegister(newDroppedCollector(c.msg.Metrics),
		gauge("sibyl_cluster_peers_up", "Other nodes of the ring that gossip says are up.", peers(true)),
		gauge("sibyl_cluster_peers_down", "Other nodes of the ring that gossip says are down.", peers(false)),
		counter("sibyl_messaging_requests_sent_total", "Internode requests sent.", msg(func(m messaging.Metrics) uint64 { return m.RequestsSent })),
		counter("sibyl_messaging_requests_served_total", "Internode requests served.", msg(func(m messaging.Metrics) uint64 { return m.RequestsServed })),
		counter("sibyl_messaging_connections_lost_total", "Internode connections that closed.", msg(func(m messaging.Metrics) uint64 { return m.ConnectionsLost })),
		counter("sibyl_messaging_frames_written_total", "Internode frames written.", msg(func(m messaging.Metrics) uint64 { return m.FramesWritten })),
		counter("sibyl_messaging_flushes_total", "Internode socket flushes (frames per flush is the coalescing ratio).", msg(func(m messaging.Metrics) uint64 { return m.Flushes })),
	)
	if c.hints == nil {
		return
	}
	reg.MustRegister(
		gauge("sibyl_hints_pending", "Hints stored for other nodes, not yet replayed.", func() float64 {
			var k int64
			for _, st := range c.n.engine.AllHintStats() {
				k += st.Count
			}
			return float64(k)
		}),
		counter("sibyl_hints_replayed_total", "Hints delivered to their node and deleted.", func() float64 { return float64(c.hints.replayed.Load()) }),
	)
}
