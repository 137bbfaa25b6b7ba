package server

import (
	"fmt"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/schema"
)

// This file turns the executor's values into protocol messages and back.

// v3Custom names the classes under which protocol v3, which lacks their
// option ids, carries the types added in v4 (Cassandra's DataType does
// the same).
var v3Custom = map[schema.Kind]string{
	schema.KindDate:     "org.apache.cassandra.db.marshal.SimpleDateType",
	schema.KindTime:     "org.apache.cassandra.db.marshal.TimeType",
	schema.KindSmallint: "org.apache.cassandra.db.marshal.ShortType",
	schema.KindTinyint:  "org.apache.cassandra.db.marshal.ByteType",
}

// typeOption describes t as an [option] for protocol version v. Duration
// becomes Custom DurationType (it has no option id before v5).
func typeOption(t *schema.Type, v protocol.Version) (*protocol.TypeOption, error) {
	if t == nil {
		return nil, fmt.Errorf("server: column without a type")
	}
	switch {
	case t.Kind == schema.KindDuration:
		return &protocol.TypeOption{ID: protocol.TypeCustom, Custom: protocol.DurationClass}, nil
	case t.Kind == schema.KindCustom:
		return &protocol.TypeOption{ID: protocol.TypeCustom, Custom: t.Custom}, nil
	case v < protocol.Version4 && v3Custom[t.Kind] != "":
		return &protocol.TypeOption{ID: protocol.TypeCustom, Custom: v3Custom[t.Kind]}, nil
	}
	o := &protocol.TypeOption{ID: protocol.TypeID(t.Kind), Keyspace: t.Keyspace, Name: t.Name, FieldNames: t.FieldNames}
	if t.Kind != schema.KindUDT {
		o.Keyspace, o.Name, o.FieldNames = "", "", nil
	}
	for _, el := range t.Elems {
		eo, err := typeOption(el, v)
		if err != nil {
			return nil, err
		}
		o.Elems = append(o.Elems, eo)
	}
	return o, nil
}

func columnSpecs(cols []exec.ColumnSpec, v protocol.Version) ([]protocol.ColumnSpec, error) {
	out := make([]protocol.ColumnSpec, len(cols))
	for i, c := range cols {
		t, err := typeOption(c.Type, v)
		if err != nil {
			return nil, fmt.Errorf("cannot describe column %s: %w", c.Name, err)
		}
		out[i] = protocol.ColumnSpec{Keyspace: c.Keyspace, Table: c.Table, Name: c.Name, Type: t}
	}
	return out, nil
}

// answer is where a request worker builds the RESULT of each request it
// runs: the answer is encoded before the worker takes its next request,
// so one answer per worker serves every request, with no allocation.
// reset drops what the last answer referenced.
type answer struct {
	result protocol.Result
	rows   protocol.Rows
}

func (a *answer) reset() { *a = answer{} }

// resultMessage converts an executor result to RESULT, built in a when a
// is not nil and allocated otherwise.
func resultMessage(r exec.Result, v protocol.Version, a *answer) (*protocol.Result, error) {
	if a == nil {
		a = &answer{}
	}
	m := &a.result
	*m = protocol.Result{Version: v}
	switch r := r.(type) {
	case exec.VoidResult, *exec.VoidResult:
		m.Kind = protocol.ResultVoid
	case *exec.RowsResult:
		if err := rowsMessage(r, v, &a.rows); err != nil {
			return nil, err
		}
		m.Kind, m.Rows = protocol.ResultRows, &a.rows
	case *exec.SetKeyspaceResult:
		m.Kind, m.Keyspace = protocol.ResultSetKeyspace, r.Keyspace
	case *exec.SchemaChangeResult:
		m.Kind, m.SchemaChange = protocol.ResultSchemaChange, schemaChange(r)
	case *exec.PreparedResult:
		p, err := preparedMessage(r, v)
		if err != nil {
			return nil, err
		}
		m.Kind, m.Prepared = protocol.ResultPrepared, p
	default:
		return nil, fmt.Errorf("server: the executor returned an unknown result %T", r)
	}
	return m, nil
}

// rowsMessage fills rows with r.
func rowsMessage(r *exec.RowsResult, v protocol.Version, rows *protocol.Rows) error {
	md := protocol.RowsMetadata{PagingState: r.PagingState, NoMetadata: r.NoMetadata, ColumnCount: len(r.Columns)}
	if !r.NoMetadata {
		cols, err := columnSpecs(r.Columns, v)
		if err != nil {
			return err
		}
		md.Columns = cols
	}
	*rows = protocol.Rows{Metadata: md, Rows: r.Rows}
	return nil
}

func preparedMessage(r *exec.PreparedResult, v protocol.Version) (*protocol.Prepared, error) {
	bind, err := columnSpecs(r.Bind, v)
	if err != nil {
		return nil, err
	}
	res, err := columnSpecs(r.Result, v)
	if err != nil {
		return nil, err
	}
	pk := r.PKIndexes
	if pk == nil {
		pk = []uint16{}
	}
	return &protocol.Prepared{ID: r.ID, Bind: bind, PKIndexes: pk, Result: protocol.RowsMetadata{Columns: res}}, nil
}

func schemaChange(r *exec.SchemaChangeResult) *protocol.SchemaChange {
	return &protocol.SchemaChange{Change: r.Change, Target: r.Target, Keyspace: r.Keyspace, Name: r.Name, ArgTypes: r.ArgTypes}
}

// eventMessage converts an executor event to EVENT.
func eventMessage(ev exec.Event) (*protocol.Event, error) {
	m := &protocol.Event{Type: string(ev.Type), Change: ev.Change, Addr: ev.Addr}
	if ev.Type == exec.EventSchemaChange {
		if ev.Schema == nil {
			return nil, fmt.Errorf("server: schema change event without a change")
		}
		m.Change = ""
		m.SchemaChange = schemaChange(ev.Schema)
	}
	return m, nil
}

// values converts bound values, into buf when it has room.
func values(vs []protocol.Value, buf []exec.Value) []exec.Value {
	if vs == nil {
		return nil
	}
	out := buf[:0]
	if cap(out) < len(vs) {
		out = make([]exec.Value, 0, len(vs))
	}
	for _, v := range vs {
		out = append(out, exec.Value{Bytes: v.Bytes, Unset: v.Unset})
	}
	return out
}

// inlineValues is the number of bound values queryOptions keeps in the
// options' own allocation; statements with more values take a second.
const inlineValues = 4

// execOptions is a QueryOptions with room for its values, so that most
// requests' options take one allocation, not two.
type execOptions struct {
	opts exec.QueryOptions
	vals [inlineValues]exec.Value
}

// queryOptions converts QUERY and EXECUTE parameters. A missing serial
// consistency is SERIAL, as in Cassandra; a missing or non-positive page
// size means one page with every row. The handler owns the result: it
// is never reused.
func queryOptions(p *protocol.QueryParams) *exec.QueryOptions {
	eo := &execOptions{}
	o := &eo.opts
	*o = exec.QueryOptions{
		Consistency:       exec.Consistency(p.Consistency),
		SerialConsistency: exec.Serial,
		Values:            values(p.Values, eo.vals[:]),
		Names:             p.Names,
		SkipMetadata:      p.SkipMetadata,
		PagingState:       p.PagingState,
		Timestamp:         p.Timestamp,
		HasTimestamp:      p.HasTimestamp,
	}
	if len(p.PagingState) == 0 {
		o.PagingState = nil // a null or empty state starts from the beginning
	}
	if p.HasPageSize && p.PageSize > 0 {
		o.PageSize = p.PageSize
	}
	if p.HasSerialConsistency {
		o.SerialConsistency = exec.Consistency(p.SerialConsistency)
	}
	return o
}

func batch(m *protocol.Batch) *exec.Batch {
	b := &exec.Batch{
		Type:              exec.BatchType(m.Type),
		Statements:        make([]exec.BatchStatement, len(m.Statements)),
		Consistency:       exec.Consistency(m.Consistency),
		SerialConsistency: exec.Serial,
		Timestamp:         m.Timestamp,
		HasTimestamp:      m.HasTimestamp,
	}
	if m.HasSerialConsistency {
		b.SerialConsistency = exec.Consistency(m.SerialConsistency)
	}
	for i, s := range m.Statements {
		b.Statements[i] = exec.BatchStatement{Query: s.Query, PreparedID: s.ID, Values: values(s.Values, nil)}
	}
	return b
}
