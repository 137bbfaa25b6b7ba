package exec

import (
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// lookupTable resolves a table name against the catalog: a user table, a
// system table, or a virtual table computed on read.
func (a *analyzer) lookupTable(tn *parser.TableName) (*tableInfo, error) {
	ks, err := a.keyspaceOf(tn.Keyspace)
	if err != nil {
		return nil, err
	}
	if a.cat.Keyspace(ks) == nil {
		return nil, invalidf("Keyspace %s does not exist", schema.QuoteIdent(ks))
	}
	st := a.cat.Table(ks, tn.Name)
	if st == nil {
		return nil, invalidf("table %s does not exist", tn.Name)
	}
	t := tableInfoOf(st)
	if vt := virtualTableFor(ks, tn.Name); vt != nil {
		t.virtual = vt
	}
	return t, nil
}

// lookupWritable resolves a table that DML may write to.
func (a *analyzer) lookupWritable(tn *parser.TableName) (*tableInfo, error) {
	t, err := a.lookupTable(tn)
	if err != nil {
		return nil, err
	}
	// The replicated system keyspaces (system_auth, system_distributed,
	// system_traces) hold ordinary data: as in Cassandra 4.1, a role with
	// MODIFY on their tables (a superuser) may write them, which is how
	// operators repair system_auth by hand.
	if t.virtual == nil && schema.IsReplicatedSystemKeyspace(t.Keyspace) {
		return t, nil
	}
	if t.virtual != nil || schema.IsSystemKeyspace(t.Keyspace) {
		return nil, Errorf(CodeUnauthorized, "%s keyspace is not user-modifiable.", t.Keyspace)
	}
	return t, nil
}

// resolveType turns a TypeRef into a schema type, user types resolved in
// keyspace ks.
func (a *analyzer) resolveType(tr *parser.TypeRef, ks string) (*schema.Type, error) {
	t, err := schema.ParseType(tr.String(), a.cat.TypeResolver(ks))
	if err != nil {
		msg := typeErrorMessage(err)
		// Cassandra names the type as it resolved it, in the statement's
		// keyspace (RawUT.prepare: "Unknown type ks.name").
		if name, ok := strings.CutPrefix(msg, "Unknown type "); ok && ks != "" && !strings.Contains(name, ".") {
			msg = "Unknown type " + ks + "." + name
		}
		return nil, newError(CodeInvalid, msg).WithCause(err)
	}
	return t, nil
}

// typeErrorMessage keeps the last, user-facing part of a type error
// ("Unknown type nosuchtype"), without the package's wrapping.
func typeErrorMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}
