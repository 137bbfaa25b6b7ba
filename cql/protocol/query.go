package protocol

// Query is QUERY (spec section 4.1.4): CQL text and its parameters.
type Query struct {
	Query  string
	Params QueryParams
}

// Opcode implements Message.
func (*Query) Opcode() Opcode { return OpQuery }

func (m *Query) setVersion(v Version) { m.Params.Version = v }

// Encode implements Message.
func (m *Query) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.longString(m.Query)
	m.Params.encode(&e)
	return e.result("QUERY")
}

// Decode implements Message.
func (m *Query) Decode(src []byte) error {
	d := decoder{b: src}
	m.Query = d.longString("query")
	m.Params.decode(&d)
	return d.finish("QUERY")
}
