package exec

import "fmt"

// ErrorCode is a CQL error code, numbered as on the wire (protocol v4
// section 9).
type ErrorCode int32

// Error codes.
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
	CodeReadFailure     ErrorCode = 0x1300
	CodeFunctionFailure ErrorCode = 0x1400
	CodeWriteFailure    ErrorCode = 0x1500
	// CodeCASWriteUnknown (protocol v5) is a lightweight transaction
	// whose outcome is unknown; older protocols see it as a WriteTimeout
	// of write type CAS.
	CodeCASWriteUnknown ErrorCode = 0x1700
	CodeSyntaxError     ErrorCode = 0x2000
	CodeUnauthorized    ErrorCode = 0x2100
	CodeInvalid         ErrorCode = 0x2200
	CodeConfigError     ErrorCode = 0x2300
	CodeAlreadyExists   ErrorCode = 0x2400
	CodeUnprepared      ErrorCode = 0x2500
)

// Error is an error a client sees as a CQL ERROR message. The fields after
// Message are filled for the codes whose bodies carry them.
type Error struct {
	Code    ErrorCode
	Message string

	// Unavailable, WriteTimeout, ReadTimeout, Read/WriteFailure.
	Consistency Consistency
	Required    int  // Unavailable: replicas required
	Alive       int  // Unavailable: replicas alive
	Received    int  // timeouts and failures: answers received
	BlockFor    int  // timeouts and failures: answers needed
	NumFailures int  // failures
	DataPresent bool // ReadTimeout, ReadFailure
	WriteType   WriteType

	// AlreadyExists (and FunctionFailure: Keyspace).
	Keyspace, Table string

	// FunctionFailure: the function and its argument types.
	Function string
	ArgTypes []string

	// Unprepared.
	UnpreparedID []byte

	// Cause is the error this one reports, when Message was built from
	// another error's text: the client sees only Message, but logs,
	// errors.Is/As and tests can still reach the original (a storage
	// failure, a context cancellation, a schema refusal).
	Cause error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns e.Cause, so errors.Is and errors.As see through an
// *Error to the failure it reports.
func (e *Error) Unwrap() error { return e.Cause }

// WithCause sets e.Cause to cause and returns e. It is for an *Error just
// built around cause's text, as in
//
//	invalidf("Invalid clustering value: %s", err).WithCause(err)
//
// and must not be called on an *Error that may be shared.
func (e *Error) WithCause(cause error) *Error {
	e.Cause = cause
	return e
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (c ErrorCode) String() string {
	switch c {
	case CodeServerError:
		return "server error"
	case CodeProtocolError:
		return "protocol error"
	case CodeBadCredentials:
		return "bad credentials"
	case CodeUnavailable:
		return "unavailable"
	case CodeOverloaded:
		return "overloaded"
	case CodeIsBootstrapping:
		return "is bootstrapping"
	case CodeTruncateError:
		return "truncate error"
	case CodeWriteTimeout:
		return "write timeout"
	case CodeReadTimeout:
		return "read timeout"
	case CodeReadFailure:
		return "read failure"
	case CodeFunctionFailure:
		return "function failure"
	case CodeWriteFailure:
		return "write failure"
	case CodeCASWriteUnknown:
		return "CAS write unknown"
	case CodeSyntaxError:
		return "syntax error"
	case CodeUnauthorized:
		return "unauthorized"
	case CodeInvalid:
		return "invalid query"
	case CodeConfigError:
		return "config error"
	case CodeAlreadyExists:
		return "already exists"
	case CodeUnprepared:
		return "unprepared"
	}
	return fmt.Sprintf("error 0x%04x", int32(c))
}
