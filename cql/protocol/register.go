package protocol

// Register is REGISTER (spec section 4.1.8): the event types this
// connection wants pushed (TOPOLOGY_CHANGE, STATUS_CHANGE,
// SCHEMA_CHANGE). It is answered with READY.
type Register struct {
	EventTypes []string
}

// Opcode implements Message.
func (*Register) Opcode() Opcode { return OpRegister }

// Encode implements Message.
func (m *Register) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.stringList(m.EventTypes)
	return e.result("REGISTER")
}

// Decode implements Message.
func (m *Register) Decode(src []byte) error {
	d := decoder{b: src}
	m.EventTypes = d.stringList("event types")
	return d.finish("REGISTER")
}
