package protocol

// Execute is EXECUTE (spec section 4.1.6): the id of a prepared statement
// and its parameters.
type Execute struct {
	ID     []byte
	Params QueryParams
}

// Opcode implements Message.
func (*Execute) Opcode() Opcode { return OpExecute }

func (m *Execute) setVersion(v Version) { m.Params.Version = v }

// Encode implements Message.
func (m *Execute) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.shortBytes(m.ID)
	m.Params.encode(&e)
	return e.result("EXECUTE")
}

// Decode implements Message.
func (m *Execute) Decode(src []byte) error {
	d := decoder{b: src}
	m.ID = d.shortBytes("id")
	m.Params.decode(&d)
	return d.finish("EXECUTE")
}
