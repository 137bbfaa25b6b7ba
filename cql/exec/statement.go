package exec

import (
	"context"
	"errors"
	"fmt"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// plan is an analysed statement, ready to run with bound values.
type plan interface {
	run(ctx context.Context, e *Executor, s *Session, env *bindEnv, o *QueryOptions) (Result, error)
}

// analyzed is a statement's plan with what PREPARE reports about it.
type analyzed struct {
	plan   plan
	bind   []ColumnSpec
	pk     []uint16
	result []ColumnSpec // nil: no rows
	// write is set for INSERT, UPDATE and DELETE (what BATCH accepts).
	write *writeStmt
	// catalog is the catalog the statement was analysed against.
	catalog *schema.Catalog
	// access is the permissions the statement needs (auth_check.go),
	// checked each time it runs.
	access []access
}

// parse turns text into a statement, syntax errors into SyntaxError
// (Invalid for well-formed statements this server does not implement).
func parse(query string) (parser.Statement, error) {
	stmt, err := parser.Parse(query)
	if err == nil {
		return stmt, nil
	}
	var pe *parser.Error
	if errors.As(err, &pe) {
		if pe.Unsupported {
			return nil, newError(CodeInvalid, pe.Error()).WithCause(pe)
		}
		return nil, newError(CodeSyntaxError, pe.Error()).WithCause(pe)
	}
	return nil, newError(CodeSyntaxError, err.Error()).WithCause(err)
}

// analyze checks stmt against cat and compiles it.
func (e *Executor) analyze(stmt parser.Statement, cat *schema.Catalog, keyspace string) (*analyzed, error) {
	return e.analyzeWith(stmt, cat, keyspace, false)
}

// analyzeInternal is analyze for the executor's own statements on
// system_auth.
func (e *Executor) analyzeInternal(stmt parser.Statement, cat *schema.Catalog, keyspace string) (*analyzed, error) {
	return e.analyzeWith(stmt, cat, keyspace, true)
}

func (e *Executor) analyzeWith(stmt parser.Statement, cat *schema.Catalog, keyspace string, internal bool) (*analyzed, error) {
	a := newAnalyzer(e, cat, keyspace, len(stmt.BindMarkers()))
	a.internal = internal
	out := &analyzed{catalog: cat, access: accessOf(stmt, keyspace)}
	var err error
	switch s := stmt.(type) {
	case *parser.Select:
		var st *selectStmt
		if st, err = a.analyzeSelect(s); err == nil {
			out.plan, out.result = st, st.specs
			out.pk = a.pkIndexes(st.table)
		}
	case *parser.Insert, *parser.Update, *parser.Delete:
		var w *writeStmt
		if w, err = a.analyzeWrite(s); err == nil {
			out.plan, out.write = w, w
			out.pk = a.pkIndexes(w.table)
		}
	case *parser.Batch:
		out.plan, err = a.analyzeBatch(s)
	default:
		out.plan, err = a.analyzeOther(stmt)
	}
	if err != nil {
		return nil, err
	}
	if out.bind, err = a.bindSpecs(); err != nil {
		return nil, err
	}
	if err := checkSpecNames(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkSpecNames refuses a statement whose result or bind metadata would
// name a column with more than a protocol [string] holds. The parser
// bounds every name at that length, but a name built around one
// (writetime(c), in(c)) can exceed it, and the PREPARED or RESULT frame
// could then not be encoded.
func checkSpecNames(an *analyzed) error {
	for _, c := range an.result {
		if len(c.Name) > parser.MaxNameLength {
			return invalidf("Result column name '%s' of %d bytes is longer than the maximum of %d; give it a shorter alias with AS", c.Name, len(c.Name), parser.MaxNameLength)
		}
	}
	for _, c := range an.bind {
		if len(c.Name) > parser.MaxNameLength {
			return invalidf("Bind variable name '%s' of %d bytes is longer than the maximum of %d", c.Name, len(c.Name), parser.MaxNameLength)
		}
	}
	return nil
}

func (a *analyzer) analyzeWrite(stmt parser.Statement) (w *writeStmt, err error) {
	switch s := stmt.(type) {
	case *parser.Insert:
		w, err = a.analyzeInsert(s)
	case *parser.Update:
		w, err = a.analyzeUpdate(s)
	case *parser.Delete:
		w, err = a.analyzeDelete(s)
	default:
		return nil, invalidf("Only INSERT, UPDATE and DELETE statements are allowed in a BATCH")
	}
	if err == nil {
		err = checkCounterWrite(w)
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}

// pkIndexes returns the bind positions of the partition key columns when
// every one is bound by a single marker (else none: not routable).
func (a *analyzer) pkIndexes(t *tableInfo) []uint16 {
	if len(a.pk) != len(t.Partition) {
		return nil
	}
	out := make([]uint16, len(a.pk))
	for i, m := range a.pk {
		if m < 0 {
			return nil
		}
		out[i] = uint16(m)
	}
	return out
}

func (a *analyzer) analyzeOther(stmt parser.Statement) (plan, error) {
	switch s := stmt.(type) {
	case *parser.Use:
		return usePlan{keyspace: s.Keyspace}, nil
	case *parser.Describe:
		return a.analyzeDescribe(s)
	case *parser.CreateRole, *parser.AlterRole, *parser.DropRole, *parser.GrantRole,
		*parser.ListRoles, *parser.GrantPermissions, *parser.ListPermissions:
		return a.analyzeAuth(stmt)
	}
	return a.analyzeDDL(stmt)
}

// resolveValues orders the request's values by marker: by name when the
// client sent names, positionally otherwise.
func resolveValues(stmt []ColumnSpec, markerNames []string, o *QueryOptions) ([]Value, error) {
	if o.Names == nil {
		if len(o.Values) != len(stmt) {
			return nil, invalidf("There were %d markers(?) in CQL but %d bound variables", len(stmt), len(o.Values))
		}
		return o.Values, nil
	}
	if len(o.Names) != len(o.Values) {
		return nil, Errorf(CodeProtocolError, "%d value names for %d values", len(o.Names), len(o.Values))
	}
	out := make([]Value, len(stmt))
	for i := range out {
		out[i] = Value{Unset: true}
	}
	// Each marker takes the first value sent under its name, so a :name
	// used twice is bound once, as Cassandra's QueryOptions binds by spec
	// name.
	used := make([]bool, len(o.Names))
	for idx := range stmt {
		for i, name := range o.Names {
			if markerMatches(stmt, markerNames, idx, name) {
				out[idx] = o.Values[i]
				used[i] = true
				break
			}
		}
	}
	for i, ok := range used {
		if !ok && !anyMarkerMatches(stmt, markerNames, o.Names[i]) {
			return nil, invalidf("No column named %s in the statement's bind variables", o.Names[i])
		}
	}
	return out, nil
}

// anyMarkerMatches reports whether some marker takes values sent under
// name (a name sent twice binds its first value only).
func anyMarkerMatches(specs []ColumnSpec, names []string, name string) bool {
	for idx := range specs {
		if markerMatches(specs, names, idx, name) {
			return true
		}
	}
	return false
}

// markerMatches reports whether a value sent under name binds marker idx:
// by the marker's :name, or, for a ? marker, by the name of the column it
// binds (the name PREPARED reported for it).
func markerMatches(specs []ColumnSpec, names []string, idx int, name string) bool {
	if idx < len(names) && names[idx] != "" {
		return names[idx] == name
	}
	return specs[idx].Name == name
}

func markerNames(stmt parser.Statement) []string {
	ms := stmt.BindMarkers()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// internalError wraps an unexpected failure with context.
func internalError(what string, err error) error {
	return fmt.Errorf("cannot %s: %w", what, err)
}
