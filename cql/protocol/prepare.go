package protocol

// Prepare is PREPARE (spec section 4.1.5): a statement to prepare. The v4
// body is the query text alone.
type Prepare struct {
	Query string
}

// Opcode implements Message.
func (*Prepare) Opcode() Opcode { return OpPrepare }

// Encode implements Message.
func (m *Prepare) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.longString(m.Query)
	return e.result("PREPARE")
}

// Decode implements Message.
func (m *Prepare) Decode(src []byte) error {
	d := decoder{b: src}
	m.Query = d.longString("query")
	return d.finish("PREPARE")
}
