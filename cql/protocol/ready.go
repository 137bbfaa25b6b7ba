package protocol

// Ready is READY (spec section 4.2.2): the connection is ready for
// queries, or a REGISTER succeeded. Its body is empty.
type Ready struct{}

// Opcode implements Message.
func (*Ready) Opcode() Opcode { return OpReady }

// Encode implements Message.
func (*Ready) Encode(dst []byte) ([]byte, error) { return dst, nil }

// Decode implements Message.
func (*Ready) Decode(src []byte) error {
	d := decoder{b: src}
	return d.finish("READY")
}
