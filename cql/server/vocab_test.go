package server

import (
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// cql/exec and cql/protocol each name the protocol's error codes and
// consistency levels: exec may not import the wire package, and the wire
// package knows nothing of execution. The server converts between them by
// value, so this test pins the two vocabularies together: a code added or
// changed on one side only fails here instead of reaching clients as
// another code.
func TestErrorCodesAgree(t *testing.T) {
	pairs := []struct {
		name  string
		exec  exec.ErrorCode
		proto protocol.ErrorCode
	}{
		{"ServerError", exec.CodeServerError, protocol.CodeServerError},
		{"ProtocolError", exec.CodeProtocolError, protocol.CodeProtocolError},
		{"BadCredentials", exec.CodeBadCredentials, protocol.CodeBadCredentials},
		{"Unavailable", exec.CodeUnavailable, protocol.CodeUnavailable},
		{"Overloaded", exec.CodeOverloaded, protocol.CodeOverloaded},
		{"IsBootstrapping", exec.CodeIsBootstrapping, protocol.CodeIsBootstrapping},
		{"TruncateError", exec.CodeTruncateError, protocol.CodeTruncateError},
		{"WriteTimeout", exec.CodeWriteTimeout, protocol.CodeWriteTimeout},
		{"ReadTimeout", exec.CodeReadTimeout, protocol.CodeReadTimeout},
		{"ReadFailure", exec.CodeReadFailure, protocol.CodeReadFailure},
		{"FunctionFailure", exec.CodeFunctionFailure, protocol.CodeFunctionFailure},
		{"WriteFailure", exec.CodeWriteFailure, protocol.CodeWriteFailure},
		{"CASWriteUnknown", exec.CodeCASWriteUnknown, protocol.CodeCASWriteUnknown},
		{"SyntaxError", exec.CodeSyntaxError, protocol.CodeSyntaxError},
		{"Unauthorized", exec.CodeUnauthorized, protocol.CodeUnauthorized},
		{"Invalid", exec.CodeInvalid, protocol.CodeInvalid},
		{"ConfigError", exec.CodeConfigError, protocol.CodeConfigError},
		{"AlreadyExists", exec.CodeAlreadyExists, protocol.CodeAlreadyExists},
		{"Unprepared", exec.CodeUnprepared, protocol.CodeUnprepared},
	}
	for _, p := range pairs {
		if uint16(p.exec) != uint16(p.proto) {
			t.Errorf("%s: exec 0x%04X, protocol 0x%04X", p.name, uint16(p.exec), uint16(p.proto))
		}
	}
}

// TestConsistencyCodesAgree pins exec's consistency levels to the
// protocol's codes (ANY = 0 to LOCAL_ONE = 0x000A, in the spec's order).
func TestConsistencyCodesAgree(t *testing.T) {
	levels := []exec.Consistency{exec.Any, exec.One, exec.Two, exec.Three, exec.Quorum, exec.All,
		exec.LocalQuorum, exec.EachQuorum, exec.Serial, exec.LocalSerial, exec.LocalOne}
	for i, cl := range levels {
		if uint16(cl) != uint16(i) {
			t.Errorf("exec consistency %v is 0x%04X, the protocol's code is 0x%04X", cl, uint16(cl), i)
		}
	}
}
