package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// errorMessage maps any error to the ERROR message a client sees. It is
// the one place where errors become ERROR bodies: *exec.Error keeps its
// code and code-specific fields, *protocol.Error passes through, and
// anything else is a Server error carrying the error's text.
func errorMessage(err error) *protocol.Error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return fromExecError(ee)
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &protocol.Error{Code: protocol.CodeServerError, Message: fmt.Sprintf("request abandoned: %s", err)}
	}
	return &protocol.Error{Code: protocol.CodeServerError, Message: err.Error()}
}

func fromExecError(e *exec.Error) *protocol.Error {
	m := &protocol.Error{
		Code:         protocol.ErrorCode(e.Code),
		Message:      e.Message,
		Consistency:  protocol.Consistency(e.Consistency),
		Required:     clampInt32(e.Required),
		Alive:        clampInt32(e.Alive),
		Received:     clampInt32(e.Received),
		BlockFor:     clampInt32(e.BlockFor),
		NumFailures:  clampInt32(e.NumFailures),
		DataPresent:  e.DataPresent,
		WriteType:    string(e.WriteType),
		Keyspace:     e.Keyspace,
		Table:        e.Table,
		Function:     e.Function,
		ArgTypes:     e.ArgTypes,
		UnpreparedID: e.UnpreparedID,
	}
	switch m.Code {
	case protocol.CodeWriteTimeout, protocol.CodeWriteFailure:
		if m.WriteType == "" {
			// Python raises KeyError on an unknown write type; SIMPLE is
			// the honest default for a single-statement write.
			m.WriteType = string(exec.WriteSimple)
		}
	}
	if m.Message == "" {
		m.Message = e.Code.String()
	}
	return m
}

// downgradeError rewrites the codes protocol v3 lacks (they were added in
// v4) into their nearest v3 equivalents, which v3 drivers can parse, and
// CAS_WRITE_UNKNOWN (v5) into the Write_timeout of write type CAS that
// Cassandra sends v3 and v4 clients instead (ErrorMessage.encode).
func downgradeError(m *protocol.Error, v protocol.Version) *protocol.Error {
	if m.Code == protocol.CodeCASWriteUnknown {
		d := *m
		d.Code, d.WriteType = protocol.CodeWriteTimeout, string(exec.WriteCAS)
		return &d
	}
	if v >= protocol.Version4 {
		return m
	}
	d := *m
	switch m.Code {
	case protocol.CodeReadFailure:
		d.Code = protocol.CodeReadTimeout
	case protocol.CodeWriteFailure:
		d.Code = protocol.CodeWriteTimeout
	case protocol.CodeFunctionFailure:
		d.Code = protocol.CodeInvalid
	default:
		return m
	}
	return &d
}

func clampInt32(n int) int32 {
	switch {
	case n > 1<<31-1:
		return 1<<31 - 1
	case n < -1<<31:
		return -1 << 31
	}
	return int32(n)
}

func protocolError(format string, args ...any) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeProtocolError, Message: fmt.Sprintf(format, args...)}
}
