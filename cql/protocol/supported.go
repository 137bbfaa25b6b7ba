package protocol

// Supported is SUPPORTED (spec section 4.2.4), the answer to OPTIONS.
type Supported struct {
	Options map[string][]string
}

// Opcode implements Message.
func (*Supported) Opcode() Opcode { return OpSupported }

// Encode implements Message.
func (m *Supported) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.stringMultimap(m.Options)
	return e.result("SUPPORTED")
}

// Decode implements Message.
func (m *Supported) Decode(src []byte) error {
	d := decoder{b: src}
	m.Options = d.stringMultimap("options")
	return d.finish("SUPPORTED")
}
