package protocol

import "fmt"

// Message is the body of one frame.
type Message interface {
	// Opcode is the frame opcode that carries the message.
	Opcode() Opcode
	// Encode appends the message body to dst.
	Encode(dst []byte) ([]byte, error)
	// Decode replaces the receiver's contents with the message in src,
	// which must be exactly one body (trailing bytes are an error).
	Decode(src []byte) error
}

// versioned is implemented by messages whose layout depends on the
// protocol version.
type versioned interface {
	setVersion(Version)
}

// NewRequest returns an empty request message for op, or nil if op is not
// a request opcode.
func NewRequest(op Opcode) Message {
	switch op {
	case OpStartup:
		return &Startup{}
	case OpAuthResponse:
		return &AuthResponse{}
	case OpOptions:
		return &Options{}
	case OpQuery:
		return &Query{}
	case OpPrepare:
		return &Prepare{}
	case OpExecute:
		return &Execute{}
	case OpBatch:
		return &Batch{}
	case OpRegister:
		return &Register{}
	}
	return nil
}

// NewResponse returns an empty response message for op, or nil if op is
// not a response opcode.
func NewResponse(op Opcode) Message {
	switch op {
	case OpError:
		return &Error{}
	case OpReady:
		return &Ready{}
	case OpAuthenticate:
		return &Authenticate{}
	case OpSupported:
		return &Supported{}
	case OpResult:
		return &Result{}
	case OpEvent:
		return &Event{}
	case OpAuthChallenge:
		return &AuthChallenge{}
	case OpAuthSuccess:
		return &AuthSuccess{}
	}
	return nil
}

// DecodeRequest decodes the body of a request frame with opcode op in
// protocol version v. The body must already be decompressed and stripped
// of its custom payload (SplitRequestBody).
func DecodeRequest(op Opcode, v Version, body []byte) (Message, error) {
	return decodeMessage(NewRequest(op), op, v, body)
}

// DecodeResponse decodes the body of a response frame, stripped of its
// prefix (SplitResponseBody).
func DecodeResponse(op Opcode, v Version, body []byte) (Message, error) {
	return decodeMessage(NewResponse(op), op, v, body)
}

func decodeMessage(m Message, op Opcode, v Version, body []byte) (Message, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownOpcode, op)
	}
	if vm, ok := m.(versioned); ok {
		vm.setVersion(v)
	}
	if err := m.Decode(body); err != nil {
		return nil, err
	}
	return m, nil
}
