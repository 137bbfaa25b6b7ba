package node

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/node/messaging"
)

// verbNames names the internode verbs in metrics, as Cassandra's dropped
// message counts name its verbs. Every verb is a key here, so two verbs
// given the same number fail to compile (a duplicate map key).
var verbNames = map[uint8]string{
	verbApply: "MUTATION", verbRead: "READ", verbTruncate: "TRUNCATE", verbTokens: "TOKENS",
	verbSchemaPull: "SCHEMA_PULL", verbSchemaPush: "SCHEMA_PUSH", verbStreamRange: "STREAM_RANGE",
	verbRemoveNode: "REMOVE_NODE", verbRepairTree: "REPAIR_TREE",
	verbTracedApply: "MUTATION_TRACED", verbTracedRead: "READ_TRACED",
	verbCounterMutation: "COUNTER_MUTATION",
	verbPaxosPrepare:    "PAXOS_PREPARE", verbPaxosPropose: "PAXOS_PROPOSE", verbPaxosCommit: "PAXOS_COMMIT",
}

func verbName(v uint8) string {
	if name, ok := verbNames[v]; ok {
		return name
	}
	return fmt.Sprintf("VERB_%d", v)
}

// droppedCollector exports messaging's dropped requests by verb: every
// named verb always (zero included, so alerts and dashboards find the
// series), and any other verb once it has dropped one.
type droppedCollector struct {
	metrics func() messaging.Metrics
	desc    *prometheus.Desc
}

func newDroppedCollector(metrics func() messaging.Metrics) *droppedCollector {
	return &droppedCollector{metrics: metrics, desc: prometheus.NewDesc("sibyl_messaging_dropped_total",
		"Internode requests whose deadline passed before or while they ran (the sender had stopped waiting), by verb.",
		[]string{"verb"}, nil)}
}

func (d *droppedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *droppedCollector) Collect(ch chan<- prometheus.Metric) {
	dropped := d.metrics().Dropped
	for v := range verbNames {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(dropped[v]), verbName(v))
	}
	for v, n := range dropped {
		if _, named := verbNames[v]; !named {
			ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(n), verbName(v))
		}
	}
}
