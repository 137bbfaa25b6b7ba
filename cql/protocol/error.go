package protocol

import "fmt"

// ErrorCode is an ERROR code (spec section 9).
type ErrorCode int32

// Error codes. Never invent others: drivers panic or fail on unknown codes.
const (
	CodeServerError     ErrorCode = 0x0000
	CodeProtocolError   ErrorCode = 0x000A
	CodeBadCredentials  ErrorCode = 0x0100
	CodeUnavailable     ErrorCode = 0x1000
	CodeOverloaded      ErrorCode = 0x1001
	CodeIsBootstrapping ErrorCode = 0x1002
	CodeTruncateError   ErrorCode = 0x1003
	CodeWriteTimeout    ErrorCode = 0x1100
	CodeReadTimeout     ErrorCode = 0x1200
	CodeReadFailure     ErrorCode = 0x1300 // v4
	CodeFunctionFailure ErrorCode = 0x1400 // v4
	CodeWriteFailure    ErrorCode = 0x1500 // v4
	// CodeCASWriteUnknown is a lightweight transaction whose outcome is
	// unknown (v5). This server speaks v3 and v4, to which Cassandra
	// sends it as a Write_timeout of write type CAS (cql/server does).
	CodeCASWriteUnknown ErrorCode = 0x1700
	CodeSyntaxError     ErrorCode = 0x2000
	CodeUnauthorized    ErrorCode = 0x2100
	CodeInvalid         ErrorCode = 0x2200
	CodeConfigError     ErrorCode = 0x2300
	CodeAlreadyExists   ErrorCode = 0x2400
	CodeUnprepared      ErrorCode = 0x2500
)

// Error is the ERROR message (spec section 4.2.1), and a Go error. The
// fields after Message are those of the code-specific body; the others
// are ignored.
type Error struct {
	Code    ErrorCode
	Message string

	// Unavailable, Write_timeout, Read_timeout, Read_failure, Write_failure,
	// CAS_write_unknown.
	Consistency Consistency
	Required    int32 // Unavailable
	Alive       int32 // Unavailable
	Received    int32
	BlockFor    int32
	NumFailures int32  // Read_failure, Write_failure
	DataPresent bool   // Read_timeout, Read_failure
	WriteType   string // Write_timeout, Write_failure

	// Already_exists: Table is empty for a keyspace. Function_failure:
	// Keyspace, Function and ArgTypes.
	Keyspace string
	Table    string
	Function string
	ArgTypes []string

	// Unprepared: the id the client sent.
	UnpreparedID []byte
}

func (m *Error) Error() string {
	return fmt.Sprintf("cql error 0x%04x: %s", int32(m.Code), m.Message)
}

// Opcode implements Message.
func (*Error) Opcode() Opcode { return OpError }

// Encode implements Message.
func (m *Error) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.int(int32(m.Code))
	e.string(m.Message)
	switch m.Code {
	case CodeUnavailable:
		e.short(uint16(m.Consistency))
		e.int(m.Required)
		e.int(m.Alive)
	case CodeWriteTimeout:
		e.short(uint16(m.Consistency))
		e.int(m.Received)
		e.int(m.BlockFor)
		e.string(m.WriteType)
	case CodeReadTimeout:
		e.short(uint16(m.Consistency))
		e.int(m.Received)
		e.int(m.BlockFor)
		e.byte(boolByte(m.DataPresent))
	case CodeReadFailure:
		e.short(uint16(m.Consistency))
		e.int(m.Received)
		e.int(m.BlockFor)
		e.int(m.NumFailures)
		e.byte(boolByte(m.DataPresent))
	case CodeWriteFailure:
		e.short(uint16(m.Consistency))
		e.int(m.Received)
		e.int(m.BlockFor)
		e.int(m.NumFailures)
		e.string(m.WriteType)
	case CodeCASWriteUnknown:
		e.short(uint16(m.Consistency))
		e.int(m.Received)
		e.int(m.BlockFor)
	case CodeFunctionFailure:
		e.string(m.Keyspace)
		e.string(m.Function)
		e.stringList(m.ArgTypes)
	case CodeAlreadyExists:
		e.string(m.Keyspace)
		e.string(m.Table)
	case CodeUnprepared:
		e.shortBytes(m.UnpreparedID)
	}
	return e.result("ERROR")
}

// Decode implements Message.
func (m *Error) Decode(src []byte) error {
	*m = Error{}
	d := decoder{b: src}
	m.Code = ErrorCode(d.int("code"))
	m.Message = d.string("message")
	switch m.Code {
	case CodeUnavailable:
		m.Consistency = Consistency(d.short("consistency"))
		m.Required = d.int("required")
		m.Alive = d.int("alive")
	case CodeWriteTimeout:
		m.decodeCounts(&d)
		m.WriteType = d.string("write type")
	case CodeReadTimeout:
		m.decodeCounts(&d)
		m.DataPresent = d.byte("data present") != 0
	case CodeReadFailure:
		m.decodeCounts(&d)
		m.NumFailures = d.int("failures")
		m.DataPresent = d.byte("data present") != 0
	case CodeWriteFailure:
		m.decodeCounts(&d)
		m.NumFailures = d.int("failures")
		m.WriteType = d.string("write type")
	case CodeCASWriteUnknown:
		m.decodeCounts(&d)
	case CodeFunctionFailure:
		m.Keyspace = d.string("keyspace")
		m.Function = d.string("function")
		m.ArgTypes = d.stringList("argument types")
	case CodeAlreadyExists:
		m.Keyspace = d.string("keyspace")
		m.Table = d.string("table")
	case CodeUnprepared:
		m.UnpreparedID = d.shortBytes("id")
	}
	return d.finish("ERROR")
}

func (m *Error) decodeCounts(d *decoder) {
	m.Consistency = Consistency(d.short("consistency"))
	m.Received = d.int("received")
	m.BlockFor = d.int("block for")
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
