package faults

import (
	"strings"
	"testing"
	"time"
)

// at builds synthetic histories: at(3, 5) runs from t0+3s to t0+5s.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func span(op Op, from, to float64) Op {
	op.Start = t0.Add(time.Duration(from * float64(time.Second)))
	op.End = t0.Add(time.Duration(to * float64(time.Second)))
	return op
}

func write(v int64, o Outcome, from, to float64) Op {
	return span(Op{Kind: Write, Key: 1, Value: v, Outcome: o}, from, to)
}

func del(o Outcome, from, to float64) Op {
	return span(Op{Kind: Delete, Key: 1, Outcome: o}, from, to)
}

func readV(v int64, from, to float64) Op {
	return span(Op{Phase: Final, Kind: Read, Key: 1, Value: v, Found: true, Outcome: OK}, from, to)
}

func readNone(from, to float64) Op {
	return span(Op{Phase: Final, Kind: Read, Key: 1, Outcome: OK}, from, to)
}

func TestCheckerValues(t *testing.T) {
	cases := []struct {
		name string
		ops  []Op
		want string // anomaly kind, "" for none
	}{
		{"nothing written, nothing read", []Op{readNone(1, 2)}, ""},
		{"acked write read back", []Op{write(1, OK, 0, 1), readV(1, 2, 3)}, ""},
		{"acked write lost", []Op{write(1, OK, 0, 1), readNone(2, 3)}, AnomalyLost},
		{"older acked write read back", []Op{write(1, OK, 0, 1), write(2, OK, 2, 3), readV(1, 4, 5)}, AnomalyLost},
		{"concurrent writes: either wins", []Op{write(1, OK, 0, 2), write(2, OK, 1, 3), readV(1, 4, 5)}, ""},
		{"read concurrent with a write sees the old value", []Op{write(1, OK, 0, 1), write(2, OK, 2, 4), readV(1, 3, 5)}, ""},
		{"read concurrent with a write sees the new value", []Op{write(1, OK, 0, 1), write(2, OK, 2, 4), readV(2, 3, 5)}, ""},
		{"unknown write may apply later", []Op{write(1, Unknown, 0, 1), write(2, OK, 2, 3), readV(1, 4, 5)}, ""},
		{"unknown write may never apply", []Op{write(1, Unknown, 0, 1), readNone(2, 3)}, ""},
		{"failed write never applies", []Op{write(1, Failed, 0, 1), readV(1, 2, 3)}, AnomalyPhantom},
		{"value never written", []Op{write(1, OK, 0, 1), readV(7, 2, 3)}, AnomalyPhantom},
		{"value from the future", []Op{readV(1, 0, 1), write(1, OK, 2, 3)}, AnomalyPhantom},
		{"acked delete", []Op{write(1, OK, 0, 1), del(OK, 2, 3), readNone(4, 5)}, ""},
		{"acked delete undone", []Op{write(1, OK, 0, 1), del(OK, 2, 3), readV(1, 4, 5)}, AnomalyResurrected},
		{"unknown delete may apply", []Op{write(1, OK, 0, 1), del(Unknown, 2, 3), readNone(4, 5)}, ""},
		{"failed delete never applies", []Op{write(1, OK, 0, 1), del(Failed, 2, 3), readNone(4, 5)}, AnomalyLost},
		{"write after a delete", []Op{del(OK, 0, 1), write(1, OK, 2, 3), readNone(4, 5)}, AnomalyLost},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := Checker{}.Check(tc.ops)
			var got []string
			for _, a := range rep.Anomalies {
				got = append(got, a.Kind)
			}
			if tc.want == "" && len(got) > 0 {
				t.Fatalf("anomalies %v: %v", got, rep.Anomalies)
			}
			if tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
				t.Fatalf("anomalies %v, want [%s]", got, tc.want)
			}
		})
	}
}

func TestCheckerLiveReadIsStaleNotLost(t *testing.T) {
	r := readNone(2, 3)
	r.Phase = Live
	rep := Checker{}.Check([]Op{write(1, OK, 0, 1), r})
	if len(rep.Anomalies) != 1 || rep.Anomalies[0].Kind != AnomalyStale {
		t.Fatalf("got %v, want one %s", rep.Anomalies, AnomalyStale)
	}
	if !strings.Contains(rep.Anomalies[0].Detail, "v=1 (ok") {
		t.Errorf("the message does not name the write the read missed: %s", rep.Anomalies[0].Detail)
	}
}

func TestCheckerAvailability(t *testing.T) {
	failed := span(Op{Kind: Write, Key: 1, Value: 1, Outcome: Unknown, Coord: 0, Err: "timeout"}, 20, 22)
	var asked []time.Time
	ck := Checker{Settle: 10 * time.Second, QuorumReachable: func(coord, key int, from, to time.Time) bool {
		asked = append(asked, from, to)
		return coord == 0
	}}
	rep := ck.Check([]Op{failed})
	if len(rep.Anomalies) != 1 || rep.Anomalies[0].Kind != AnomalyUnavailable {
		t.Fatalf("got %v, want one %s", rep.Anomalies, AnomalyUnavailable)
	}
	if want := failed.Start.Add(-10 * time.Second); !asked[0].Equal(want) || !asked[1].Equal(failed.End) {
		t.Errorf("asked about [%v, %v], want [start-settle, end] = [%v, %v]", asked[0], asked[1], want, failed.End)
	}
	failed.Coord = 1
	rep = ck.Check([]Op{failed})
	if len(rep.Anomalies) != 0 || rep.Excused != 1 {
		t.Fatalf("a failure without a reachable quorum: anomalies %v, excused %d; want none and 1", rep.Anomalies, rep.Excused)
	}
}

func TestCheckerReplicaAgreement(t *testing.T) {
	w := write(1, OK, 0, 1)
	w2 := write(2, Unknown, 0, 1)
	a := readV(1, 2, 3)
	a.Phase, a.Coord = Replica, 0
	b := readV(2, 2, 3)
	b.Phase, b.Coord = Replica, 1
	rep := Checker{}.Check([]Op{w, w2, a, b})
	if len(rep.Anomalies) != 1 || rep.Anomalies[0].Kind != AnomalyDisagree {
		t.Fatalf("got %v, want one %s", rep.Anomalies, AnomalyDisagree)
	}
	b.Value = 1
	if rep := (Checker{}).Check([]Op{w, w2, a, b}); len(rep.Anomalies) != 0 {
		t.Fatalf("agreeing replicas: %v", rep.Anomalies)
	}
}

func TestClassify(t *testing.T) {
	if got := classify(Write, errNodeDown); got != Failed {
		t.Errorf("a write to a down node: %s, want failed", got)
	}
	if got := classify(Write, errTimeout); got != Unknown {
		t.Errorf("a write that timed out: %s, want unknown", got)
	}
	if got := classify(Read, errTimeout); got != Failed {
		t.Errorf("a read that timed out: %s, want failed", got)
	}
}

var errTimeout = errorString("gocql: no response received from cassandra within timeout period")

type errorString string

func (e errorString) Error() string { return string(e) }
