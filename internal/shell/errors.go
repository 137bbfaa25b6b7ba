package shell

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gocql/gocql"
)

// errorClasses names the exception classes of the Python driver that
// cqlsh prints in front of a server error, by CQL error code.
var errorClasses = map[int]struct{ class, summary string }{
	0x0000: {"ServerError", "Server error"},
	0x000A: {"ProtocolException", "Protocol error"},
	0x0100: {"AuthenticationFailed", "Bad credentials"},
	0x1000: {"Unavailable", "Unavailable exception"},
	0x1001: {"OverloadedErrorMessage", "Coordinator node overloaded"},
	0x1002: {"IsBootstrappingErrorMessage", "Coordinator node is bootstrapping"},
	0x1003: {"TruncateError", "Error during truncate"},
	0x1100: {"WriteTimeout", "Coordinator node timed out waiting for replica nodes' responses"},
	0x1200: {"ReadTimeout", "Coordinator node timed out waiting for replica nodes' responses"},
	0x1300: {"ReadFailure", "Replica(s) failed to execute read"},
	0x1400: {"FunctionFailure", "User Defined Function failure"},
	0x1500: {"WriteFailure", "Replica(s) failed to execute write"},
	0x2000: {"SyntaxException", "Syntax error in CQL query"},
	0x2100: {"Unauthorized", "Unauthorized"},
	0x2200: {"InvalidRequest", "Invalid query"},
	0x2300: {"ConfigurationException", "Query invalid because of configuration issue"},
	0x2400: {"AlreadyExists", "Already exists"},
	0x2500: {"PreparedQueryNotFound", "Query not prepared"},
}

// summarized are the codes whose Python exception carries the driver's
// summary ("Error from server: code=... [...] message=..."); the others
// print the server's message alone, as cqlsh shows them.
var summarized = map[int]bool{
	0x0100: true, 0x1000: true, 0x1100: true, 0x1200: true, 0x1300: true,
	0x1400: true, 0x1500: true, 0x2100: true, 0x2200: true,
}

// describeError renders an error as cqlsh prints it, for instance
//
//	InvalidRequest: Error from server: code=2200 [Invalid query] message="unknown table t"
//	SyntaxException: line 1:0 no viable alternative at input 'SELEC'
func describeError(err error) string {
	var re gocql.RequestError
	if !errors.As(err, &re) {
		return clientError(err)
	}
	code := re.Code()
	c, ok := errorClasses[code]
	if !ok {
		c = struct{ class, summary string }{"ServerError", fmt.Sprintf("Error code %04x", code)}
	}
	var ae *gocql.RequestErrAlreadyExists
	if errors.As(err, &ae) {
		return "AlreadyExists: " + alreadyExists(ae)
	}
	if !summarized[code] {
		return c.class + ": " + re.Message()
	}
	msg := fmt.Sprintf("%s: Error from server: code=%04x [%s] message=%q", c.class, code, c.summary, re.Message())
	return msg + errorInfo(err)
}

func alreadyExists(e *gocql.RequestErrAlreadyExists) string {
	if e.Table != "" {
		return fmt.Sprintf("Table '%s.%s' already exists", e.Keyspace, e.Table)
	}
	return fmt.Sprintf("Keyspace '%s' already exists", e.Keyspace)
}

// errorInfo is the info=... suffix the Python driver adds to availability
// and timeout errors.
func errorInfo(err error) string {
	var (
		un *gocql.RequestErrUnavailable
		wt *gocql.RequestErrWriteTimeout
		rt *gocql.RequestErrReadTimeout
	)
	switch {
	case errors.As(err, &un):
		return fmt.Sprintf(" info={'consistency': '%s', 'required_replicas': %d, 'alive_replicas': %d}",
			un.Consistency, un.Required, un.Alive)
	case errors.As(err, &wt):
		return fmt.Sprintf(" info={'consistency': '%s', 'required_responses': %d, 'received_responses': %d, 'write_type': '%s'}",
			wt.Consistency, wt.BlockFor, wt.Received, wt.WriteType)
	case errors.As(err, &rt):
		return fmt.Sprintf(" info={'consistency': '%s', 'required_responses': %d, 'received_responses': %d}",
			rt.Consistency, rt.BlockFor, rt.Received)
	}
	return ""
}

// clientError renders an error that did not come from the server.
func clientError(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "Interrupted."
	case errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrNoHosts):
		return "NoHostAvailable: " + err.Error()
	case errors.Is(err, gocql.ErrTimeoutNoResponse):
		return "OperationTimedOut: " + err.Error()
	}
	return strings.TrimPrefix(err.Error(), "shell: ")
}
