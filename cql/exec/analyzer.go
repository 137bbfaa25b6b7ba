package exec

import (
	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// analyzer checks one statement against a catalog and compiles it into an
// executable plan. It records the ColumnSpec of every bind marker (what
// PREPARE returns) and is used by one goroutine for one statement.
type analyzer struct {
	e        *Executor
	cat      *schema.Catalog
	keyspace string // the session's keyspace at analysis time
	// internal is set for the executor's own statements on system_auth,
	// which may write there.
	internal bool

	markers []ColumnSpec // by marker index
	bound   []bool
	// pk holds, for each partition key column of the statement's table, the
	// marker index that binds it (-1 when not bound by a single marker).
	pk []int
}

func newAnalyzer(e *Executor, cat *schema.Catalog, keyspace string, nMarkers int) *analyzer {
	return &analyzer{
		e:        e,
		cat:      cat,
		keyspace: keyspace,
		markers:  make([]ColumnSpec, nMarkers),
		bound:    make([]bool, nMarkers),
	}
}

func (a *analyzer) defaultKeyspace() string { return a.keyspace }

// bindMarker records the spec of marker m. A named marker (:name) is
// reported under its own name, not the column's, as Cassandra's
// VariableSpecifications does, so drivers can bind values by that name.
func (a *analyzer) bindMarker(m *parser.BindMarker, spec ColumnSpec) error {
	if m.Index < 0 || m.Index >= len(a.markers) {
		return invalidf("Invalid bind marker index %d", m.Index)
	}
	if m.Name != "" {
		spec.Name = m.Name
	}
	a.markers[m.Index] = spec
	a.bound[m.Index] = true
	return nil
}

// bindSpecs returns the marker specs, failing if one was never typed.
func (a *analyzer) bindSpecs() ([]ColumnSpec, error) {
	for i, ok := range a.bound {
		if !ok {
			return nil, invalidf("Cannot infer the type of bind marker %d", i)
		}
	}
	return a.markers, nil
}

// compareValues orders two serialized values of t as CQL does.
func compareValues(t *schema.Type, a, b []byte) int {
	return schema.Compare(t, a, b)
}

// keyspaceOf resolves the keyspace of a name, the session's when omitted.
func (a *analyzer) keyspaceOf(ks string) (string, error) {
	if ks != "" {
		return ks, nil
	}
	if a.keyspace == "" {
		return "", invalidf("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
	}
	return a.keyspace, nil
}
