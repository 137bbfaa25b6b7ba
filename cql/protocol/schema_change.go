package protocol

import "fmt"

// Schema change targets (spec section 4.2.6).
const (
	TargetKeyspace  = "KEYSPACE"
	TargetTable     = "TABLE"
	TargetType      = "TYPE"
	TargetFunction  = "FUNCTION"  // v4
	TargetAggregate = "AGGREGATE" // v4
)

// SchemaChange is the body of a Schema_change result and of a
// SCHEMA_CHANGE event: <change_type><target><options>.
type SchemaChange struct {
	Change   string // CREATED, UPDATED or DROPPED
	Target   string
	Keyspace string
	Name     string   // table, type, function or aggregate
	ArgTypes []string // functions and aggregates
}

func (s *SchemaChange) encode(e *encoder) {
	e.string(s.Change)
	e.string(s.Target)
	e.string(s.Keyspace)
	switch s.Target {
	case TargetKeyspace:
	case TargetTable, TargetType:
		e.string(s.Name)
	case TargetFunction, TargetAggregate:
		e.string(s.Name)
		e.stringList(s.ArgTypes)
	default:
		// Drivers drop or panic on unknown targets: never send one.
		e.fail("unknown schema change target %q", s.Target)
	}
}

func (s *SchemaChange) decode(d *decoder) {
	*s = SchemaChange{}
	s.Change = d.string("change type")
	s.Target = d.string("target")
	s.Keyspace = d.string("keyspace")
	switch s.Target {
	case TargetKeyspace:
	case TargetTable, TargetType:
		s.Name = d.string("name")
	case TargetFunction, TargetAggregate:
		s.Name = d.string("name")
		s.ArgTypes = d.stringList("argument types")
	default:
		if d.err == nil {
			d.fail(fmt.Sprintf("unknown schema change target %q", s.Target))
		}
	}
}
