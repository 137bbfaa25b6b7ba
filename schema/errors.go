package schema

import "fmt"

// The catalog's changes return these typed errors so that the executor
// can map each to its CQL error code without parsing messages:
//
//	*AlreadyExistsError  -> Already_exists (0x2400), carrying keyspace/table
//	*NotFoundError       -> Invalid (0x2200)
//	*InvalidError        -> Invalid (0x2200)
//	*ConfigError         -> Config_error (0x2300)
//	*UnauthorizedError   -> Unauthorized (0x2100)
//
// Use errors.As to tell them apart.

// ObjectKind names the kind of schema object an error is about.
type ObjectKind string

// The kinds of schema objects.
const (
	ObjectKeyspace ObjectKind = "keyspace"
	ObjectTable    ObjectKind = "table"
	ObjectType     ObjectKind = "type"
	ObjectColumn   ObjectKind = "column"
	ObjectField    ObjectKind = "field"
	ObjectIndex    ObjectKind = "index"
)

// AlreadyExistsError reports a CREATE of an object that exists. Table is
// the table or type name, empty for a keyspace.
type AlreadyExistsError struct {
	Kind     ObjectKind
	Keyspace string
	Table    string
}

func (e *AlreadyExistsError) Error() string {
	switch e.Kind {
	case ObjectKeyspace:
		return fmt.Sprintf("Cannot add existing keyspace \"%s\"", e.Keyspace)
	case ObjectTable:
		return fmt.Sprintf("Cannot add already existing table \"%s\" to keyspace \"%s\"", e.Table, e.Keyspace)
	case ObjectType:
		return fmt.Sprintf("A user type with name '%s' already exists", e.Table)
	case ObjectIndex:
		return fmt.Sprintf("Index '%s' already exists", e.Table)
	}
	return fmt.Sprintf("%s %s.%s already exists", e.Kind, e.Keyspace, e.Table)
}

// NotFoundError reports a reference to an object that does not exist.
// For a column or field, Table names the table or type it was looked for
// in.
type NotFoundError struct {
	Kind     ObjectKind
	Keyspace string
	Table    string
	Name     string
}

func (e *NotFoundError) Error() string {
	switch e.Kind {
	case ObjectKeyspace:
		return fmt.Sprintf("Keyspace '%s' doesn't exist", e.Keyspace)
	case ObjectTable:
		return fmt.Sprintf("Table '%s.%s' doesn't exist", e.Keyspace, e.Name)
	case ObjectType:
		return fmt.Sprintf("Type '%s.%s' doesn't exist", e.Keyspace, e.Name)
	case ObjectColumn:
		return fmt.Sprintf("Column with name '%s' doesn't exist in table '%s.%s'", e.Name, e.Keyspace, e.Table)
	case ObjectIndex:
		return fmt.Sprintf("Index '%s.%s' doesn't exist", e.Keyspace, e.Name)
	}
	return fmt.Sprintf("Unknown field %s in user type %s.%s", e.Name, e.Keyspace, e.Table)
}

// InvalidError reports a schema change that is not allowed. Cause, when
// set, is the error whose text Msg quotes (a malformed type).
type InvalidError struct {
	Msg   string
	Cause error
}

func (e *InvalidError) Error() string { return e.Msg }

// Unwrap returns e.Cause.
func (e *InvalidError) Unwrap() error { return e.Cause }

// ConfigError reports bad options: replication, table options. Cause,
// when set, is the error whose text Msg quotes (a number that did not
// parse).
type ConfigError struct {
	Msg   string
	Cause error
}

func (e *ConfigError) Error() string { return e.Msg }

// Unwrap returns e.Cause.
func (e *ConfigError) Unwrap() error { return e.Cause }

// UnauthorizedError reports a change to a system keyspace.
type UnauthorizedError struct{ Msg string }

func (e *UnauthorizedError) Error() string { return e.Msg }

func invalidf(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

func configf(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// invalidCause is invalidf for a message ending in ": " and cause's text;
// cause stays reachable through Unwrap.
func invalidCause(cause error, format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...) + ": " + cause.Error(), Cause: cause}
}

// configCause is configf for a message ending in ": " and cause's text;
// cause stays reachable through Unwrap.
func configCause(cause error, format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...) + ": " + cause.Error(), Cause: cause}
}
