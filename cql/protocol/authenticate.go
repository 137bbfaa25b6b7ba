package protocol

// Authenticate is AUTHENTICATE (spec section 4.2.3): the server requires
// authentication with the named authenticator class.
type Authenticate struct {
	Authenticator string
}

// PasswordAuthenticator is the class name drivers accept for SASL PLAIN
// (gocql 1.7 checks it against an allow-list).
const PasswordAuthenticator = "org.apache.cassandra.auth.PasswordAuthenticator"

// Opcode implements Message.
func (*Authenticate) Opcode() Opcode { return OpAuthenticate }

// Encode implements Message.
func (m *Authenticate) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.string(m.Authenticator)
	return e.result("AUTHENTICATE")
}

// Decode implements Message.
func (m *Authenticate) Decode(src []byte) error {
	d := decoder{b: src}
	m.Authenticator = d.string("authenticator")
	return d.finish("AUTHENTICATE")
}
