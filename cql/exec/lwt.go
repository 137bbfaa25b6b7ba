package exec

import (
	"fmt"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Lightweight transactions: INSERT ... IF NOT EXISTS, UPDATE/DELETE ...
// IF EXISTS and UPDATE/DELETE ... IF cond AND ..., alone or in a BATCH,
// with Cassandra 4.1's semantics (ModificationStatement, CQL3CasRequest,
// ColumnCondition, BatchStatement).
//
// A conditional statement runs as one Coordinator.CAS on its partition:
//
//   - lwt.go (this file) analyses the IF clause into a casSpec;
//   - lwt_eval.go tests conditions against the partition the transaction
//     reads (absent cells and absent rows are null);
//   - lwt_run.go builds the read (the rows the conditions name, or the
//     first live row when only static columns are tested), the Decide
//     callback (conditions, then the statements' updates at the ballot's
//     timestamp) and the result: [applied] alone when applied, else
//     followed by the rows read, in Cassandra's column order.

// casSpec is the IF clause of one INSERT, UPDATE or DELETE.
type casSpec struct {
	kind        string // INSERT, UPDATE or DELETE
	ifNotExists bool
	ifExists    bool
	conds       []*casCond // IF c op v AND ...: in IF order
}

// casCond is one condition: col (or its element elem, or its UDT field
// field) compared with op to values (one, or the IN list).
type casCond struct {
	col    *colInfo
	op     parser.Operator
	elem   term // m[k] or l[i]; nil otherwise
	field  int  // UDT field, -1 otherwise
	values []term
	inList term // IN ?
}

// columns returns the columns the conditions test, each once, in IF order
// (Cassandra's getColumnsWithConditions); nil for IF EXISTS and IF NOT
// EXISTS, whose failures show every column.
func (s *casSpec) columns() []*colInfo {
	if s == nil || s.ifExists || s.ifNotExists {
		return nil
	}
	var out []*colInfo
	seen := map[string]bool{}
	for _, c := range s.conds {
		if !seen[c.col.Name] {
			seen[c.col.Name] = true
			out = append(out, c.col)
		}
	}
	return out
}

// regular and static report whether some condition tests a regular
// (static) column.
func (s *casSpec) regular() bool { return s.any(kindRegular) }
func (s *casSpec) static() bool  { return s.any(kindStatic) }

func (s *casSpec) any(k colKind) bool {
	if s == nil {
		return false
	}
	for _, c := range s.conds {
		if c.col.Kind == k {
			return true
		}
	}
	return false
}

// compileCAS analyses the IF clause of a write on t. usingTS is the
// statement's USING TIMESTAMP (nil when absent). It returns nil when
// there is no IF clause.
func (a *analyzer) compileCAS(t *tableInfo, kind string, ifNotExists, ifExists bool, conds []*parser.Condition, usingTS parser.Expr) (*casSpec, error) {
	if !ifNotExists && !ifExists && len(conds) == 0 {
		return nil, nil
	}
	// ModificationStatement.Parsed.prepareColumnConditions checks the
	// timestamp first, then each condition; the constructor checks the
	// counter table and the timestamp of IF [NOT] EXISTS.
	if len(conds) > 0 && usingTS != nil {
		return nil, invalidf("Cannot provide custom timestamp for conditional updates")
	}
	s := &casSpec{kind: kind, ifNotExists: ifNotExists, ifExists: ifExists}
	for _, pc := range conds {
		c, err := a.compileCondition(t, pc)
		if err != nil {
			return nil, err
		}
		s.conds = append(s.conds, c)
	}
	for _, c := range t.Columns {
		if c.Type.IsCounter() {
			return nil, invalidf("Conditional updates are not supported on counter tables")
		}
	}
	if usingTS != nil {
		return nil, invalidf("Cannot provide custom timestamp for conditional updates")
	}
	return s, nil
}

// compileCondition compiles one condition as ColumnCondition.Raw.prepare
// does, with its messages.
func (a *analyzer) compileCondition(t *tableInfo, pc *parser.Condition) (*casCond, error) {
	col := t.column(pc.Target.Column)
	if col == nil {
		return nil, invalidf("Undefined column name %s in table %s.%s", schema.QuoteIdent(pc.Target.Column), t.Keyspace, t.Name)
	}
	if col.Type.IsCounter() {
		return nil, invalidf("Conditions on counters are not supported")
	}
	if pc.Op == parser.OpContains || pc.Op == parser.OpContainsKey {
		// CONTAINS and CONTAINS KEY conditions came with Cassandra 5.0
		// (CASSANDRA-10537); 4.1's grammar has no such condition.
		return nil, syntaxf("line %d:%d no viable alternative at input '%s' (conditions support =, !=, <, <=, >, >= and IN only)", pc.Pos.Line, pc.Pos.Col, pc.Op.String())
	}
	c := &casCond{col: col, op: pc.Op, field: -1}
	spec := specOf(t, col)
	switch {
	case pc.Target.Key != nil:
		es, vs, err := conditionElementSpecs(t, col)
		if err != nil {
			return nil, err
		}
		if c.elem, err = a.compileTerm(pc.Target.Key, es); err != nil {
			return nil, err
		}
		spec = vs
	case pc.Target.Field != "":
		if col.Type.Kind != schema.KindUDT {
			return nil, invalidf("Invalid field access syntax for non-UDT column %s", col.Name)
		}
		i := col.Type.FieldIndex(pc.Target.Field)
		if i < 0 {
			return nil, invalidf("Unknown field %s for column %s", pc.Target.Field, col.Name)
		}
		c.field = i
		spec = ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: col.Name + "." + pc.Target.Field, Type: col.Type.Elems[i]}
	}
	if err := checkDurationSlice(spec.Type, pc.Op); err != nil {
		return nil, err
	}
	if pc.Op == parser.OpIn {
		vals, list, err := a.compileIn(&parser.Relation{Op: parser.OpIn, Value: pc.Value, Values: pc.Values}, spec)
		if err != nil {
			return nil, err
		}
		c.values, c.inList = vals, list
	} else {
		v, err := a.compileTerm(pc.Value, spec)
		if err != nil {
			return nil, err
		}
		c.values = []term{v}
	}
	if col.isKey() {
		return nil, invalidf("PRIMARY KEY column '%s' cannot have IF conditions", col.Name)
	}
	return c, nil
}

// conditionElementSpecs returns the specs of the element (index or key) and of the
// value of col[...] (Lists.indexSpecOf/valueSpecOf, Maps.keySpecOf/
// valueSpecOf).
func conditionElementSpecs(t *tableInfo, col *colInfo) (elem, value ColumnSpec, err error) {
	ct := col.Type
	elem = ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "idx(" + col.Name + ")", Type: schema.IntType}
	value = ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "value(" + col.Name + ")"}
	switch ct.Kind {
	case schema.KindList:
		value.Type = ct.Elems[0]
	case schema.KindMap:
		elem.Name, elem.Type = "key("+col.Name+")", ct.Elems[0]
		value.Type = ct.Elems[1]
	case schema.KindSet:
		return elem, value, invalidf("Invalid element access syntax for set column %s", col.Name)
	default:
		return elem, value, invalidf("Invalid element access syntax for non-collection column %s", col.Name)
	}
	return elem, value, nil
}

// checkDurationSlice refuses <, <=, >, >= on durations, which have no
// order (ColumnCondition.Raw.validateOperationOnDurations).
func checkDurationSlice(t *schema.Type, op parser.Operator) error {
	switch op {
	case parser.OpLt, parser.OpLte, parser.OpGt, parser.OpGte:
	default:
		return nil
	}
	if !t.Contains(func(x *schema.Type) bool { return x.Kind == schema.KindDuration }) {
		return nil
	}
	switch {
	case t.IsCollection():
		return invalidf("Slice conditions are not supported on collections containing durations")
	case t.Kind == schema.KindTuple:
		return invalidf("Slice conditions are not supported on tuples containing durations")
	case t.Kind == schema.KindUDT:
		return invalidf("Slice conditions are not supported on UDTs containing durations")
	}
	return invalidf("Slice conditions ( %s ) are not supported on durations", op.String())
}

// checkCASKeys refuses IN on the key of a conditional statement
// (ModificationStatement.makeCasRequest): a transaction is on one row of
// one partition.
func checkCASKeys(w *writeStmt) error {
	kind := casKindWord(w.cas.kind)
	for _, c := range w.table.Partition {
		if r := w.where.col(c.Name); r != nil && (r.in != nil || r.inList != nil) {
			return invalidf("IN on the partition key is not supported with conditional %s", kind)
		}
	}
	if m := w.where.multi; m != nil && (m.in != nil || m.inList != nil) {
		return invalidf("IN on the clustering key columns is not supported with conditional %s", kind)
	}
	for _, c := range w.table.Clustering {
		if r := w.where.col(c.Name); r != nil && (r.in != nil || r.inList != nil) {
			return invalidf("IN on the clustering key columns is not supported with conditional %s", kind)
		}
	}
	return nil
}

// casKindWord is how Cassandra's key messages name a statement kind
// (StatementType.isUpdate: an INSERT is not one).
func casKindWord(kind string) string {
	if kind == "UPDATE" {
		return "updates"
	}
	return "deletions"
}

// checkSerial validates the consistency levels of a transaction as
// Cassandra's ConsistencyLevel.validateForCas and validateForCasCommit.
func checkSerial(serial, commit Consistency) error {
	if serial != Serial && serial != LocalSerial {
		return invalidf("Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL")
	}
	if commit == Serial || commit == LocalSerial {
		return invalidf("%s is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\"", consistencyName(commit))
	}
	return nil
}

// consistencyName spells a level as Cassandra's ConsistencyLevel enum.
func consistencyName(cl Consistency) string {
	names := [...]string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"}
	if int(cl) < len(names) {
		return names[cl]
	}
	return fmt.Sprintf("0x%04x", uint16(cl))
}

// checkCASDelete applies DeleteStatement.prepareInternal's checks to a
// conditional DELETE whose WHERE does not name one row by equalities
// (partial): it may only delete, and test, static columns.
func checkCASDelete(w *writeStmt, partial bool) error {
	if w.cas == nil || !partial {
		return nil
	}
	if !opsOnlyStatic(w.ops) {
		return invalidf("DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to delete non static columns")
	}
	if w.cas.regular() {
		return invalidf("DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF condition on non static columns")
	}
	return nil
}

// checkSerialRead refuses a SELECT at SERIAL or LOCAL_SERIAL that may
// read more than one partition: a linearizable read is a Paxos round on
// one partition (StorageProxy.readWithPaxos).
func (st *selectStmt) checkSerialRead(env *bindEnv, cl Consistency) error {
	if (cl != Serial && cl != LocalSerial) || st.table.virtual != nil {
		return nil
	}
	if hasFullPartitionKey(st.table, st.where) {
		keys, err := partitionKeyValues(st.table, st.where, env)
		if err != nil {
			return err
		}
		if len(keys) == 1 {
			return nil
		}
	}
	return invalidf("SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time")
}

// casSelect is the SELECT permission a conditional write needs besides
// MODIFY; none for an unconditional one.
func casSelect(conditional bool, table func(string, *parser.TableName) []access, tn *parser.TableName) []access {
	if !conditional {
		return nil
	}
	return table("SELECT", tn)
}

// checkWriteConsistency refuses an unconditional write at SERIAL or
// LOCAL_SERIAL (ConsistencyLevel.validateForWrite).
func checkWriteConsistency(cl Consistency) error {
	if cl == Serial || cl == LocalSerial {
		return invalidf("You must use conditional updates for serializable writes")
	}
	return nil
}
