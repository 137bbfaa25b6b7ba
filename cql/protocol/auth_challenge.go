package protocol

// AuthChallenge is AUTH_CHALLENGE (spec section 4.2.7): a SASL challenge
// the client answers with another AUTH_RESPONSE.
type AuthChallenge struct {
	Token []byte
}

// Opcode implements Message.
func (*AuthChallenge) Opcode() Opcode { return OpAuthChallenge }

// Encode implements Message.
func (m *AuthChallenge) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.bytes(m.Token)
	return e.result("AUTH_CHALLENGE")
}

// Decode implements Message.
func (m *AuthChallenge) Decode(src []byte) error {
	d := decoder{b: src}
	m.Token = d.bytes("token")
	return d.finish("AUTH_CHALLENGE")
}
