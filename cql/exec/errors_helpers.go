package exec

// Shorthands for the errors analysis reports most.

func invalidf(format string, args ...any) *Error {
	return Errorf(CodeInvalid, format, args...)
}

func syntaxf(format string, args ...any) *Error {
	return Errorf(CodeSyntaxError, format, args...)
}

func configf(format string, args ...any) *Error {
	return Errorf(CodeConfigError, format, args...)
}

// errFiltering is Cassandra's message for a restriction that would scan.
const errFilteringMessage = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"

func filteringError() *Error { return invalidf("%s", errFilteringMessage) }

func alreadyExists(ks, table, what string) *Error {
	return &Error{Code: CodeAlreadyExists, Message: what, Keyspace: ks, Table: table}
}
