package protocol

import (
	"fmt"
	"net/netip"
)

// Event types (spec section 4.2.6).
const (
	EventTopologyChange = "TOPOLOGY_CHANGE"
	EventStatusChange   = "STATUS_CHANGE"
	EventSchemaChange   = "SCHEMA_CHANGE"
)

// Event is EVENT (spec section 4.2.6), pushed on stream -1 to connections
// that registered for its type.
type Event struct {
	Type string
	// Change is NEW_NODE, REMOVED_NODE or MOVED_NODE for topology changes,
	// UP or DOWN for status changes; Addr is the node's RPC address.
	Change string
	Addr   netip.AddrPort
	// SchemaChange is the body of a SCHEMA_CHANGE event.
	SchemaChange *SchemaChange
}

// Opcode implements Message.
func (*Event) Opcode() Opcode { return OpEvent }

// Encode implements Message.
func (m *Event) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.string(m.Type)
	switch m.Type {
	case EventTopologyChange, EventStatusChange:
		e.string(m.Change)
		e.inet(m.Addr)
	case EventSchemaChange:
		if m.SchemaChange == nil {
			e.fail("schema change event without its body")
			break
		}
		m.SchemaChange.encode(&e)
	default:
		e.fail("unknown event type %q", m.Type)
	}
	return e.result("EVENT")
}

// Decode implements Message.
func (m *Event) Decode(src []byte) error {
	*m = Event{}
	d := decoder{b: src}
	m.Type = d.string("event type")
	switch m.Type {
	case EventTopologyChange, EventStatusChange:
		m.Change = d.string("change")
		m.Addr = d.inet("address")
	case EventSchemaChange:
		m.SchemaChange = &SchemaChange{}
		m.SchemaChange.decode(&d)
	default:
		if d.err == nil {
			d.fail(fmt.Sprintf("unknown event type %q", m.Type))
		}
	}
	return d.finish("EVENT")
}
