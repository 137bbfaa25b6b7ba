package protocol

import "fmt"

// ResultKind is the kind of a RESULT (spec section 4.2.5).
type ResultKind int32

// Result kinds.
const (
	ResultVoid         ResultKind = 0x0001
	ResultRows         ResultKind = 0x0002
	ResultSetKeyspace  ResultKind = 0x0003
	ResultPrepared     ResultKind = 0x0004
	ResultSchemaChange ResultKind = 0x0005
)

// Result is RESULT (spec section 4.2.5). Kind says which of the other
// fields is used: Rows, Keyspace (Set_keyspace), Prepared or SchemaChange;
// Void uses none.
type Result struct {
	// Version is the protocol version: PREPARED metadata has pk_indexes
	// from v4 on. Zero is v4.
	Version      Version
	Kind         ResultKind
	Rows         *Rows
	Keyspace     string
	Prepared     *Prepared
	SchemaChange *SchemaChange
}

// Opcode implements Message.
func (*Result) Opcode() Opcode { return OpResult }

func (m *Result) setVersion(v Version) { m.Version = v }

// Encode implements Message.
func (m *Result) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.int(int32(m.Kind))
	switch m.Kind {
	case ResultVoid:
	case ResultRows:
		if m.Rows == nil {
			e.fail("rows result without rows")
			break
		}
		m.Rows.encode(&e)
	case ResultSetKeyspace:
		e.string(m.Keyspace)
	case ResultPrepared:
		if m.Prepared == nil {
			e.fail("prepared result without its body")
			break
		}
		m.Prepared.encode(&e, m.Version.orDefault())
	case ResultSchemaChange:
		if m.SchemaChange == nil {
			e.fail("schema change result without its body")
			break
		}
		m.SchemaChange.encode(&e)
	default:
		e.fail("unknown result kind %d", m.Kind)
	}
	return e.result("RESULT")
}

// Decode implements Message.
func (m *Result) Decode(src []byte) error {
	v := m.Version
	*m = Result{Version: v}
	d := decoder{b: src}
	m.Kind = ResultKind(d.int("result kind"))
	switch m.Kind {
	case ResultVoid:
	case ResultRows:
		m.Rows = &Rows{}
		m.Rows.decode(&d)
	case ResultSetKeyspace:
		m.Keyspace = d.string("keyspace")
	case ResultPrepared:
		m.Prepared = &Prepared{}
		m.Prepared.decode(&d, v.orDefault())
	case ResultSchemaChange:
		m.SchemaChange = &SchemaChange{}
		m.SchemaChange.decode(&d)
	default:
		if d.err == nil {
			d.fail(fmt.Sprintf("unknown result kind %d", m.Kind))
		}
	}
	return d.finish("RESULT")
}
