package protocol

// AuthSuccess is AUTH_SUCCESS (spec section 4.2.8): authentication is
// complete. Token holds final SASL data and may be null.
type AuthSuccess struct {
	Token []byte
}

// Opcode implements Message.
func (*AuthSuccess) Opcode() Opcode { return OpAuthSuccess }

// Encode implements Message.
func (m *AuthSuccess) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.bytes(m.Token)
	return e.result("AUTH_SUCCESS")
}

// Decode implements Message.
func (m *AuthSuccess) Decode(src []byte) error {
	d := decoder{b: src}
	m.Token = d.bytes("token")
	return d.finish("AUTH_SUCCESS")
}
