package protocol

// AuthResponse is AUTH_RESPONSE (spec section 4.1.2): a SASL token from
// the client. For SASL PLAIN it is "\x00user\x00password".
type AuthResponse struct {
	Token []byte
}

// Opcode implements Message.
func (*AuthResponse) Opcode() Opcode { return OpAuthResponse }

// Encode implements Message.
func (m *AuthResponse) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.bytes(m.Token)
	return e.result("AUTH_RESPONSE")
}

// Decode implements Message.
func (m *AuthResponse) Decode(src []byte) error {
	d := decoder{b: src}
	m.Token = d.bytes("token")
	return d.finish("AUTH_RESPONSE")
}
