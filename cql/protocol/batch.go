package protocol

import "fmt"

// Batch types (spec section 4.1.7).
const (
	BatchLogged   byte = 0
	BatchUnlogged byte = 1
	BatchCounter  byte = 2
)

// BatchStatement is one statement of a BATCH: query text (kind 0), or a
// prepared id (kind 1) when ID is not nil, with its positional values.
type BatchStatement struct {
	Query  string
	ID     []byte
	Values []Value
}

// Batch is BATCH (spec section 4.1.7): <type><n:short><query>*
// <consistency><flags>[<serial_consistency>][<timestamp>].
//
// Values sent by name (flag 0x40) are refused as malformed: the flag comes
// after the values it would describe, so the layout is ambiguous
// (CASSANDRA-10246), and no driver sends it.
type Batch struct {
	Version              Version // unset values need v4; zero is v4
	Type                 byte
	Statements           []BatchStatement
	Consistency          Consistency
	HasSerialConsistency bool
	SerialConsistency    Consistency
	HasTimestamp         bool
	Timestamp            int64
}

// Opcode implements Message.
func (*Batch) Opcode() Opcode { return OpBatch }

func (m *Batch) setVersion(v Version) { m.Version = v }

// Encode implements Message.
func (m *Batch) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.byte(m.Type)
	e.count(len(m.Statements), "batch statements")
	unsetOK := m.Version.orDefault() >= Version4
	for i := range m.Statements {
		s := &m.Statements[i]
		if s.ID != nil {
			e.byte(1)
			e.shortBytes(s.ID)
		} else {
			e.byte(0)
			e.longString(s.Query)
		}
		encodeValues(&e, s.Values, nil, unsetOK)
	}
	e.short(uint16(m.Consistency))
	var f byte
	if m.HasSerialConsistency {
		f |= queryFlagSerial
	}
	if m.HasTimestamp {
		f |= queryFlagDefaultTimestamp
	}
	e.byte(f)
	if m.HasSerialConsistency {
		e.short(uint16(m.SerialConsistency))
	}
	if m.HasTimestamp {
		e.long(m.Timestamp)
	}
	return e.result("BATCH")
}

// Decode implements Message.
func (m *Batch) Decode(src []byte) error {
	v := m.Version
	*m = Batch{Version: v}
	d := decoder{b: src}
	m.Type = d.byte("batch type")
	if d.err == nil && m.Type > BatchCounter {
		d.fail(fmt.Sprintf("unknown batch type %d", m.Type))
	}
	// The shortest statement is a prepared one with an empty id and no
	// values: kind, id length, value count.
	n := d.count("batch statements", 5)
	m.Statements = make([]BatchStatement, 0, n)
	for range n {
		m.Statements = append(m.Statements, decodeBatchStatement(&d, v.orDefault() >= Version4))
	}
	m.Consistency = d.consistency("consistency")
	f := d.byte("flags")
	switch {
	case d.err != nil:
	case f&queryFlagNames != 0:
		d.fail("named values in BATCH are not supported (CASSANDRA-10246)")
	case f&^(queryFlagSerial|queryFlagDefaultTimestamp) != 0:
		d.fail(fmt.Sprintf("unknown batch flags 0x%02x", f))
	}
	if m.HasSerialConsistency = f&queryFlagSerial != 0; m.HasSerialConsistency {
		m.SerialConsistency = d.consistency("serial consistency")
	}
	if m.HasTimestamp = f&queryFlagDefaultTimestamp != 0; m.HasTimestamp {
		m.Timestamp = d.long("timestamp")
	}
	return d.finish("BATCH")
}

func decodeBatchStatement(d *decoder, unsetOK bool) BatchStatement {
	var s BatchStatement
	switch kind := d.byte("statement kind"); kind {
	case 0:
		s.Query = d.longString("query")
	case 1:
		if s.ID = d.shortBytes("id"); s.ID == nil {
			s.ID = []byte{}
		}
	default:
		if d.err == nil {
			d.fail(fmt.Sprintf("unknown statement kind %d", kind))
		}
		return s
	}
	s.Values, _ = decodeValues(d, false, unsetOK)
	return s
}
