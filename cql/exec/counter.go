package exec

import (
	"encoding/binary"
	"math"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Counters, as Cassandra 4.1's UpdateStatement, Constants.Adder and
// Substracter, and BatchStatement validate them. A counter table holds
// only counters besides its primary key (the catalog enforces it). Its
// rows are written by UPDATE ... SET c = c + n (or c - n, c += n, c -= n)
// and removed by DELETE; each increment becomes a cell carrying the delta
// (schema.CounterDelta), written with WriteCounter so the coordinator
// routes it through a leader replica (backend.go). Reads see the counter
// as a bigint: liveView turns each counter context into the sum of its
// shards (counterValues).

// isCounter reports whether t is a counter table: it has a counter
// column (and then, the catalog ensures, nothing but counters besides its
// primary key).
func (t *tableInfo) isCounter() bool {
	for _, c := range t.byID {
		if c.Type.IsCounter() {
			return true
		}
	}
	return false
}

// errInsertIntoCounterTable is Cassandra's refusal of INSERT on a counter
// table, checked as soon as the table is known.
func errInsertIntoCounterTable() error {
	return invalidf("INSERT statements are not allowed on counter tables, use UPDATE instead")
}

// compileCounterAssignment compiles SET c = c + n / c - n on a counter
// column; every other form is refused with Cassandra's message.
func (a *analyzer) compileCounterAssignment(c *colInfo, as *parser.Assignment, spec ColumnSpec) (*colOp, error) {
	switch {
	case as.Target.Key != nil || as.Target.Field != "":
		return nil, invalidf("Invalid operation (%s) for non list/map column %s", as.String(), c.Name)
	case as.Op == parser.AssignSet:
		return nil, invalidf("Cannot set the value of counter column %s (counters can only be incremented/decremented, not set)", c.Name)
	case as.Op == parser.AssignPrepend:
		return nil, invalidf("Invalid operation (%s) for non list column %s", as.String(), c.Name)
	}
	v, err := a.compileTerm(as.Value, spec)
	if err != nil {
		return nil, err
	}
	kind := opCounterAdd
	if as.Op == parser.AssignSub {
		kind = opCounterSub
	}
	return &colOp{col: c, kind: kind, value: v}, nil
}

// addCounter writes the delta cell of an increment (v is the bound
// amount, a bigint; nil is refused, as Cassandra's Adder does).
func (op *colOp) addCounter(wc *writeCtx, b *rowBuilder, v []byte) error {
	if v == nil {
		return invalidf("Invalid null value for counter increment")
	}
	if len(v) != 8 {
		return invalidf("Expected 8 bytes for a counter increment (%d)", len(v))
	}
	delta := int64(binary.BigEndian.Uint64(v))
	if op.kind == opCounterSub {
		if delta == math.MinInt64 {
			return invalidf("The negation of %d overflows supported counter precision (signed 8 bytes integer)", delta)
		}
		delta = -delta
	}
	b.add(schema.Cell{
		Column:            op.col.ID,
		Timestamp:         wc.ts,
		LocalDeletionTime: schema.NoExpiry,
		Value:             schema.CounterDeltaValue(delta),
		Counter:           schema.CounterDelta,
	})
	return nil
}

// checkCounterWrite is the part of Cassandra's ModificationStatement
// validate() about counters: a write to a counter table (UPDATE or
// DELETE) takes neither USING TIMESTAMP nor USING TTL, since its
// timestamps order nothing (increments add up) and a counter cannot
// expire.
func checkCounterWrite(w *writeStmt) error {
	if !w.table.isCounter() {
		return nil
	}
	if w.timestamp != nil {
		return invalidf("Cannot provide custom timestamp for counter updates")
	}
	if w.ttl != nil {
		return invalidf("Cannot provide custom TTL for counter updates")
	}
	return nil
}

// checkCounterConsistency refuses the levels a counter write cannot run
// at (Cassandra's ConsistencyLevel.validateCounterForWrite): ANY, since
// a hint is no leader, and the serial levels.
func checkCounterConsistency(t *tableInfo, cl Consistency) error {
	switch cl {
	case Any:
		return invalidf("Consistency level ANY is not yet supported for counter table %s", t.Name)
	case Serial, LocalSerial:
		return invalidf("Counter operations are inherently non-serializable")
	}
	return nil
}

// writeTypeOf is the WriteType of a statement's Mutate: COUNTER for a
// counter table, whose writes go through a leader.
func writeTypeOf(w *writeStmt, otherwise WriteType) WriteType {
	if w.table.isCounter() {
		return WriteCounter
	}
	return otherwise
}

// batchKind is which BATCH a statement list runs in.
type batchKind uint8

const (
	batchLogged batchKind = iota
	batchUnlogged
	batchCounter
)

// checkBatchCounters applies Cassandra's BatchStatement.validate rules
// about counters and timestamps, in its order. timestampSet is USING
// TIMESTAMP on the batch itself.
func checkBatchCounters(kind batchKind, stmts []*writeStmt, timestampSet bool) error {
	if timestampSet && kind == batchCounter {
		return invalidf("Cannot provide custom timestamp for counter BATCH")
	}
	hasCounters, hasOthers := false, false
	for _, w := range stmts {
		counter := w.table.isCounter()
		switch {
		case timestampSet && counter:
			return invalidf("Cannot provide custom timestamp for a BATCH containing counters")
		case timestampSet && w.timestamp != nil:
			return invalidf("Timestamp must be set either on BATCH or individual statements")
		case kind == batchCounter && !counter:
			return invalidf("Cannot include non-counter statement in a counter batch")
		case kind == batchLogged && counter:
			return invalidf("Cannot include a counter statement in a logged batch")
		}
		if counter {
			hasCounters = true
		} else {
			hasOthers = true
		}
	}
	if hasCounters && hasOthers {
		return invalidf("Counter and non-counter mutations cannot exist in the same batch")
	}
	return nil
}

// counterValues turns, in place, every counter context among the live
// cells into the counter's value: the sum of its shards, a bigint. A
// context that does not decode (storage refuses them) is left out.
func counterValues(static *schema.Row, rows []schema.Row) {
	conv := func(r *schema.Row) {
		out := r.Cells[:0]
		for _, c := range r.Cells {
			if c.Counter == schema.CounterShards {
				sum, err := schema.CounterValue(c.Value)
				if err != nil {
					continue
				}
				c.Value = binary.BigEndian.AppendUint64(nil, uint64(sum))
			}
			out = append(out, c)
		}
		r.Cells = out
	}
	if static != nil {
		conv(static)
	}
	for i := range rows {
		conv(&rows[i])
	}
}
