package protocol

// Options is OPTIONS (spec section 4.1.3), answered with SUPPORTED at any
// point of a connection's life. Its body is empty.
type Options struct{}

// Opcode implements Message.
func (*Options) Opcode() Opcode { return OpOptions }

// Encode implements Message.
func (*Options) Encode(dst []byte) ([]byte, error) { return dst, nil }

// Decode implements Message.
func (*Options) Decode(src []byte) error {
	d := decoder{b: src}
	return d.finish("OPTIONS")
}
