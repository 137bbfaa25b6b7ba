package protocol

// Startup is STARTUP (spec section 4.1.1): the connection's options.
// Sibyl reads CQL_VERSION, COMPRESSION and THROW_ON_OVERLOAD; drivers
// also send DRIVER_NAME, DRIVER_VERSION and others, which are kept but
// ignored.
type Startup struct {
	Options map[string]string
}

// Startup option keys.
const (
	StartupCQLVersion  = "CQL_VERSION"
	StartupCompression = "COMPRESSION"
	// StartupThrowOnOverload "1" asks to be answered Overloaded when the
	// server is at its limits, instead of the server pausing the
	// connection until requests in flight drain (Cassandra 4.0 and later).
	StartupThrowOnOverload = "THROW_ON_OVERLOAD"
)

// Opcode implements Message.
func (*Startup) Opcode() Opcode { return OpStartup }

// Encode implements Message.
func (m *Startup) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.stringMap(m.Options)
	return e.result("STARTUP")
}

// Decode implements Message.
func (m *Startup) Decode(src []byte) error {
	d := decoder{b: src}
	m.Options = d.stringMap("options")
	return d.finish("STARTUP")
}
