package exec

import (
	"slices"
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Analysis of INSERT, UPDATE and DELETE into a writeStmt.

func (a *analyzer) analyzeInsert(s *parser.Insert) (*writeStmt, error) {
	if s.JSON != nil {
		return a.analyzeInsertJSON(s)
	}
	t, err := a.lookupWritable(s.Table)
	if err != nil {
		return nil, err
	}
	if t.isCounter() {
		return nil, errInsertIntoCounterTable()
	}
	if len(s.Columns) != len(s.Values) {
		return nil, invalidf("Unmatched column names/values")
	}
	w := &writeStmt{table: t, insert: true, where: &whereClause{cols: map[string]*restriction{}}}
	seen := map[string]bool{}
	for i, ref := range s.Columns {
		c, err := a.resolveColumn(t, ref)
		if err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, invalidf("Multiple definitions found for column %s", c.Name)
		}
		seen[c.Name] = true
		if err := a.insertValue(w, c, s.Values[i]); err != nil {
			return nil, err
		}
	}
	if err := checkInsertKey(t, seen); err != nil {
		return nil, err
	}
	if w.cas, err = a.compileCAS(t, "INSERT", s.IfNotExists, false, nil, s.Using.Timestamp()); err != nil {
		return nil, err
	}
	return w, a.compileUsing(w, s.Using, true)
}

func (a *analyzer) insertValue(w *writeStmt, c *colInfo, x parser.Expr) error {
	tm, err := a.compileTerm(x, specOf(w.table, c))
	if err != nil {
		return err
	}
	if c.isKey() {
		w.where.cols[c.Name] = &restriction{col: c, eq: tm}
		a.notePK(w.table, c, x)
		return nil
	}
	w.ops = append(w.ops, &colOp{col: c, kind: opSet, value: tm})
	return nil
}

// checkInsertKey requires every partition key column, and every
// clustering column unless only static columns are inserted; as
// Cassandra's StatementRestrictions, each error lists every missing one.
func checkInsertKey(t *tableInfo, seen map[string]bool) error {
	var missing []string
	for _, c := range t.Partition {
		if !seen[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return invalidf("Some partition key parts are missing: %s", strings.Join(missing, ", "))
	}
	// Cassandra's applyOnlyToStaticColumns: no clustering column given,
	// and the columns set are static ones only (at least one).
	onlyStatic, anyStatic := true, false
	for name := range seen {
		switch t.column(name).Kind {
		case kindRegular, kindClustering:
			onlyStatic = false
		case kindStatic:
			anyStatic = true
		}
	}
	if onlyStatic && anyStatic {
		return nil
	}
	for _, c := range t.Clustering {
		if !seen[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return invalidf("Some clustering keys are missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// notePK records the marker that binds partition key column c, for the
// PREPARED pk_indexes.
func (a *analyzer) notePK(t *tableInfo, c *colInfo, x parser.Expr) {
	if c.Kind != kindPartition {
		return
	}
	if a.pk == nil {
		a.pk = make([]int, len(t.Partition))
		for i := range a.pk {
			a.pk[i] = -1
		}
	}
	if m, ok := x.(*parser.BindMarker); ok && c.Position < len(a.pk) {
		a.pk[c.Position] = m.Index
	}
}

// notePKFromWhere records pk markers of = relations.
func (a *analyzer) notePKFromWhere(t *tableInfo, rels []*parser.Relation) {
	for _, rel := range rels {
		if rel.Token || rel.Tuple || rel.Op != parser.OpEq || len(rel.Columns) != 1 {
			continue
		}
		if c := t.column(rel.Columns[0].Name); c != nil {
			a.notePK(t, c, rel.Value)
		}
	}
}

// compileUsing compiles USING TTL and TIMESTAMP.
func (a *analyzer) compileUsing(w *writeStmt, u parser.Using, ttlAllowed bool) error {
	if x := u.Timestamp(); x != nil {
		tm, err := a.compileTerm(x, ColumnSpec{Keyspace: w.table.Keyspace, Table: w.table.Name, Name: "[timestamp]", Type: schema.BigintType})
		if err != nil {
			return err
		}
		w.timestamp = tm
	}
	if x := u.TTL(); x != nil {
		if !ttlAllowed {
			return invalidf("A TTL is not allowed with DELETE statements")
		}
		tm, err := a.compileTerm(x, ColumnSpec{Keyspace: w.table.Keyspace, Table: w.table.Name, Name: "[ttl]", Type: schema.IntType})
		if err != nil {
			return err
		}
		w.ttl = tm
	}
	return nil
}

func (a *analyzer) analyzeUpdate(s *parser.Update) (*writeStmt, error) {
	t, err := a.lookupWritable(s.Table)
	if err != nil {
		return nil, err
	}
	w := &writeStmt{table: t}
	if err := a.compileUsing(w, s.Using, true); err != nil {
		return nil, err
	}
	if w.cas, err = a.compileCAS(t, "UPDATE", false, s.IfExists, s.Conditions, s.Using.Timestamp()); err != nil {
		return nil, err
	}
	for _, as := range s.Set {
		op, err := a.compileAssignment(t, as)
		if err != nil {
			return nil, err
		}
		w.ops = append(w.ops, op)
	}
	if w.where, err = a.compileWriteWhere(t, s.Where, "UPDATE"); err != nil {
		return nil, err
	}
	a.notePKFromWhere(t, s.Where)
	staticOnly := appliesOnlyToStatic(w)
	n, slice := w.where.restrictedClustering(t)
	if staticOnly && n > 0 {
		return nil, invalidf("Invalid restrictions on clustering columns since the UPDATE statement modifies only static columns")
	}
	if slice {
		return nil, invalidf("Slice restrictions are not supported on the clustering columns in UPDATE statements")
	}
	if !staticOnly && n < len(t.Clustering) {
		return nil, missingClustering(t, w.where)
	}
	return w, nil
}

// appliesOnlyToStatic reports whether w's operations and conditions
// touch static columns and nothing else (Cassandra's
// appliesOnlyToStaticColumns): then the clustering key may be left out.
func appliesOnlyToStatic(w *writeStmt) bool {
	if w.cas == nil {
		return opsOnlyStatic(w.ops)
	}
	for _, op := range w.ops {
		if op.col.Kind != kindStatic {
			return false
		}
	}
	if w.cas.regular() {
		return false
	}
	return len(w.ops) > 0 || w.cas.static()
}

// opsOnlyStatic reports whether ops touch static columns and nothing else.
func opsOnlyStatic(ops []*colOp) bool {
	for _, op := range ops {
		if op.col.Kind != kindStatic {
			return false
		}
	}
	return len(ops) > 0
}

// missingClustering is Cassandra's error naming every clustering column
// the WHERE clause leaves unrestricted.
func missingClustering(t *tableInfo, w *whereClause) *Error {
	restricted := make([]bool, len(t.Clustering))
	for _, r := range w.clSeq {
		for p := r.first; p <= r.last && p < len(restricted); p++ {
			restricted[p] = true
		}
	}
	s := ""
	for p, ok := range restricted {
		if !ok {
			if s != "" {
				s += ", "
			}
			s += t.Clustering[p].Name
		}
	}
	return invalidf("Some clustering keys are missing: %s", s)
}

func (a *analyzer) analyzeDelete(s *parser.Delete) (*writeStmt, error) {
	t, err := a.lookupWritable(s.Table)
	if err != nil {
		return nil, err
	}
	w := &writeStmt{table: t, deleteRow: len(s.Targets) == 0}
	if err := a.compileUsing(w, s.Using, false); err != nil {
		return nil, err
	}
	if w.cas, err = a.compileCAS(t, "DELETE", false, s.IfExists, s.Conditions, s.Using.Timestamp()); err != nil {
		return nil, err
	}
	for _, tg := range s.Targets {
		op, err := a.compileDeleteTarget(t, tg)
		if err != nil {
			return nil, err
		}
		w.ops = append(w.ops, op)
	}
	if w.where, err = a.compileWriteWhere(t, s.Where, "DELETE"); err != nil {
		return nil, err
	}
	a.notePKFromWhere(t, s.Where)
	n, slice := w.where.restrictedClustering(t)
	if appliesOnlyToStatic(w) && n > 0 {
		return nil, invalidf("Invalid restrictions on clustering columns since the DELETE statement modifies only static columns")
	}
	if err := w.where.checkClusteringGaps(t); err != nil {
		return nil, err
	}
	if err := checkCASDelete(w, n < len(t.Clustering) || slice); err != nil {
		return nil, err
	}
	// Deleting columns needs whole rows: a range (a clustering prefix, a
	// slice, or no clustering key at all) is for row deletion only.
	if len(w.ops) > 0 && !opsOnlyStatic(w.ops) && (n < len(t.Clustering) || slice) {
		return nil, invalidf("Range deletions are not supported for specific columns")
	}
	return w, nil
}

// compileWriteWhere compiles the WHERE of UPDATE/DELETE (kind): = or IN
// on every partition key column, and only key columns, checked in the
// order and with the messages of Cassandra's StatementRestrictions.
func (a *analyzer) compileWriteWhere(t *tableInfo, rels []*parser.Relation, kind string) (*whereClause, error) {
	w, err := a.compileWhere(t, rels)
	if err != nil {
		return nil, err
	}
	if err := w.checkClusteringOrder(t); err != nil {
		return nil, err
	}
	var nonKey []string
	for name, r := range w.cols {
		if !r.col.isKey() {
			nonKey = append(nonKey, name)
		}
	}
	if len(nonKey) > 0 {
		slices.Sort(nonKey)
		return nil, invalidf("Non PRIMARY KEY columns found in where clause: %s ", strings.Join(nonKey, ", "))
	}
	for name, r := range w.cols {
		if r.contains != nil || r.containsKey != nil {
			return nil, invalidf("Cannot use CONTAINS on column %s in a modification statement", name)
		}
	}
	if w.token != nil {
		return nil, invalidf("The token function cannot be used in WHERE clauses for %s statements", kind)
	}
	var missing []string
	slice := false
	for _, c := range t.Partition {
		r := w.col(c.Name)
		switch {
		case r == nil || (!r.isEqOrIn() && !r.isSlice()):
			missing = append(missing, c.Name)
		case r.isSlice():
			slice = true
		}
	}
	if len(missing) > 0 {
		return nil, invalidf("Some partition key parts are missing: %s", strings.Join(missing, ", "))
	}
	if slice {
		return nil, invalidf("Only EQ and IN relation are supported on the partition key (unless you use the token() function) for %s statements", kind)
	}
	return w, nil
}

// compileAssignment compiles one SET item of UPDATE.
func (a *analyzer) compileAssignment(t *tableInfo, as *parser.Assignment) (*colOp, error) {
	c := t.column(as.Target.Column)
	if c == nil {
		return nil, invalidf("Undefined column name %s in table %s.%s", schema.QuoteIdent(as.Target.Column), t.Keyspace, t.Name)
	}
	if c.isKey() {
		return nil, invalidf("PRIMARY KEY part %s found in SET part", c.Name)
	}
	spec := specOf(t, c)
	if c.Type.IsCounter() {
		return a.compileCounterAssignment(c, as, spec)
	}
	switch {
	case as.Target.Key != nil:
		return a.compileElementSet(t, c, as)
	case as.Target.Field != "":
		return a.compileFieldSet(c, as, spec)
	}
	switch as.Op {
	case parser.AssignSet:
		v, err := a.compileTerm(as.Value, spec)
		return &colOp{col: c, kind: opSet, value: v}, err
	case parser.AssignAdd, parser.AssignPrepend, parser.AssignSub:
		return a.compileCollectionOp(c, as, spec)
	}
	return nil, invalidf("Invalid operation on column %s", c.Name)
}

func (a *analyzer) compileCollectionOp(c *colInfo, as *parser.Assignment, spec ColumnSpec) (*colOp, error) {
	t := c.Type
	kinds := map[parser.AssignOp]opKind{parser.AssignAdd: opAppend, parser.AssignPrepend: opPrepend, parser.AssignSub: opRemove}
	k := kinds[as.Op]
	// Cassandra's Operation.Addition/Substraction/Prepend messages.
	switch {
	case k == opPrepend && t.Kind != schema.KindList:
		return nil, invalidf("Invalid operation (%s) for non list column %s", as.String(), c.Name)
	case k == opPrepend && !t.IsMultiCell():
		return nil, invalidf("Invalid operation (%s) for frozen list column %s", as.String(), c.Name)
	case !t.IsCollection():
		return nil, invalidf("Invalid operation (%s) for non counter column %s", as.String(), c.Name)
	case !t.IsMultiCell():
		return nil, invalidf("Invalid operation (%s) for frozen collection column %s", as.String(), c.Name)
	}
	vs := spec
	if k == opRemove && t.Kind == schema.KindMap {
		vs.Type = schema.SetOf(t.Elems[0], false) // m = m - {k1, k2}
	}
	v, err := a.compileTerm(as.Value, vs)
	return &colOp{col: c, kind: k, value: v}, err
}

func (a *analyzer) compileElementSet(t *tableInfo, c *colInfo, as *parser.Assignment) (*colOp, error) {
	ct := c.Type
	if as.Op != parser.AssignSet || !ct.IsMultiCell() || (ct.Kind != schema.KindList && ct.Kind != schema.KindMap) {
		return nil, invalidf("Invalid operation (%s) for non list/map column %s", as.String(), c.Name)
	}
	ks := ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "key(" + c.Name + ")", Type: schema.IntType}
	vs := ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "value(" + c.Name + ")", Type: ct.Elems[0]}
	if ct.Kind == schema.KindList {
		ks.Name = "idx(" + c.Name + ")"
	} else {
		ks.Type, vs.Type = ct.Elems[0], ct.Elems[1]
	}
	key, err := a.compileTerm(as.Target.Key, ks)
	if err != nil {
		return nil, err
	}
	v, err := a.compileTerm(as.Value, vs)
	return &colOp{col: c, kind: opSetElem, key: key, value: v}, err
}

func (a *analyzer) compileFieldSet(c *colInfo, as *parser.Assignment, spec ColumnSpec) (*colOp, error) {
	ct := c.Type
	if ct.Kind != schema.KindUDT || !ct.IsMultiCell() {
		return nil, invalidf("Invalid operation (%s) for frozen UDT column %s", as.String(), c.Name)
	}
	i := ct.FieldIndex(as.Target.Field)
	if i < 0 {
		return nil, invalidf("UDT column %s does not have a field named %s", c.Name, as.Target.Field)
	}
	fs := spec
	fs.Type = ct.Elems[i]
	v, err := a.compileTerm(as.Value, fs)
	return &colOp{col: c, kind: opSetField, field: i, value: v}, err
}

func (a *analyzer) compileDeleteTarget(t *tableInfo, tg *parser.Target) (*colOp, error) {
	c := t.column(tg.Column)
	if c == nil {
		return nil, invalidf("Undefined column name %s in table %s.%s", schema.QuoteIdent(tg.Column), t.Keyspace, t.Name)
	}
	if c.isKey() {
		return nil, invalidf("Invalid identifier %s for deletion (should not be a PRIMARY KEY part)", c.Name)
	}
	ct := c.Type
	switch {
	case tg.Key != nil:
		// Cassandra's Operation.ElementDeletion: a list index, a set
		// element or a map key of a non-frozen collection.
		if !ct.IsCollection() {
			return nil, invalidf("Invalid deletion operation for non collection column %s", c.Name)
		}
		if !ct.IsMultiCell() {
			return nil, invalidf("Invalid deletion operation for frozen collection column %s", c.Name)
		}
		ks := ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "idx(" + c.Name + ")", Type: schema.IntType}
		switch ct.Kind {
		case schema.KindMap:
			ks.Name, ks.Type = "key("+c.Name+")", ct.Elems[0]
		case schema.KindSet:
			ks.Name, ks.Type = "value("+c.Name+")", ct.Elems[0]
		}
		k, err := a.compileTerm(tg.Key, ks)
		return &colOp{col: c, kind: opDeleteElem, key: k}, err
	case tg.Field != "":
		if ct.Kind != schema.KindUDT || !ct.IsMultiCell() {
			return nil, invalidf("Invalid deletion operation for frozen UDT column %s", c.Name)
		}
		i := ct.FieldIndex(tg.Field)
		if i < 0 {
			return nil, invalidf("UDT column %s does not have a field named %s", c.Name, tg.Field)
		}
		return &colOp{col: c, kind: opDeleteField, field: i}, nil
	}
	return &colOp{col: c, kind: opDelete}, nil
}
