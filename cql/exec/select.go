package exec

import (
	"slices"
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// selectStmt is an analysed SELECT.
type selectStmt struct {
	table    *tableInfo
	where    *whereClause
	sels     []selector
	specs    []ColumnSpec // result metadata
	distinct bool
	// aggregate is set when a selector is an aggregate: rows fold into
	// one row (per group when groupBy > 0).
	aggregate bool
	groupBy   int // number of primary key columns grouped by; 0 = none
	reversed  bool
	orderBy   bool // an ORDER BY was given
	// orderCols are the clustering columns ORDER BY names: results merged
	// from several partitions are sorted on them alone.
	orderCols []*colInfo
	limit     term
	ppLimit   term
	filtering bool // ALLOW FILTERING
	// needsFilter is set when some restriction is not answered by the
	// keys and slices read, so rows must be tested.
	needsFilter bool
	// index is the secondary index range reads look rows up by
	// (index_select.go); nil for a plain scan.
	index *indexChoice
	// staticOnly: only partition key and static columns are selected.
	staticOnly bool
	// defs are the columns the selectors read, in the order they were
	// met (Cassandra names the first in some errors).
	defs []*colInfo
	// jsonOf is set for SELECT JSON: the columns of the rows run makes,
	// which execute turns into the one [json] column specs names
	// (json_select.go).
	jsonOf []ColumnSpec
}

func (a *analyzer) analyzeSelect(s *parser.Select) (*selectStmt, error) {
	t, err := a.lookupTable(s.Table)
	if err != nil {
		return nil, err
	}
	st := &selectStmt{table: t, distinct: s.Distinct, filtering: s.AllowFiltering}
	if st.where, err = a.compileWhere(t, s.Where); err != nil {
		return nil, err
	}
	a.notePKFromWhere(t, s.Where)
	if err := a.compileSelection(st, s.Selectors); err != nil {
		return nil, err
	}
	if err := st.checkRestrictions(); err != nil {
		return nil, err
	}
	st.index = st.chooseIndex()
	if err := a.compileOrderBy(st, s.OrderBy); err != nil {
		return nil, err
	}
	if err := a.compileGroupBy(st, s.GroupBy); err != nil {
		return nil, err
	}
	if err := a.compileLimits(st, s); err != nil {
		return nil, err
	}
	if s.JSON {
		st.asJSON()
	}
	return st, st.checkDistinct()
}

func (a *analyzer) compileLimits(st *selectStmt, s *parser.Select) error {
	var err error
	if s.Limit != nil {
		spec := ColumnSpec{Keyspace: st.table.Keyspace, Table: st.table.Name, Name: "[limit]", Type: schema.IntType}
		if st.limit, err = a.compileTerm(s.Limit, spec); err != nil {
			return err
		}
	}
	if s.PerPartitionLimit != nil {
		if st.distinct {
			return invalidf("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries")
		}
		spec := ColumnSpec{Keyspace: st.table.Keyspace, Table: st.table.Name, Name: "[per_partition_limit]", Type: schema.IntType}
		if st.ppLimit, err = a.compileTerm(s.PerPartitionLimit, spec); err != nil {
			return err
		}
	}
	return nil
}

// compileSelection compiles the select list (nil: *).
func (a *analyzer) compileSelection(st *selectStmt, sels []*parser.Selector) error {
	t := st.table
	if sels == nil {
		for _, c := range t.Columns {
			st.sels = append(st.sels, columnSelector{c})
			st.specs = append(st.specs, specOf(t, c))
		}
		st.staticOnly = false
		return nil
	}
	st.staticOnly = true
	for _, sel := range sels {
		s, err := a.compileSelector(st, sel.Expr)
		if err != nil {
			return err
		}
		name := sel.Alias
		if name == "" {
			name = selectorName(sel.Expr)
			if c, ok := sel.Expr.(*parser.Cast); ok && isIdentityCast(s) {
				// The cast was dropped: the column is the value's own.
				name = selectorName(c.Expr)
			}
		}
		st.sels = append(st.sels, s)
		st.specs = append(st.specs, ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: name, Type: s.typ()})
		if _, ok := s.(aggregate); ok {
			st.aggregate = true
		}
	}
	return nil
}

// selectorName is the result column name Cassandra gives a selector
// without an alias.
func selectorName(x parser.Expr) string {
	switch x := x.(type) {
	case *parser.ColumnRef:
		return x.Name
	case *parser.FunctionCall:
		name := strings.ToLower(x.Name)
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			args[i] = selectorName(a)
		}
		if name == "count" && len(x.Args) == 1 {
			switch x.Args[0].(type) {
			case *parser.Star, *parser.Literal:
				return "count" // count(*) and count(constant) count rows
			}
		}
		if name == "writetime" || name == "ttl" {
			return name + "(" + strings.Join(args, ", ") + ")"
		}
		return "system." + name + "(" + strings.Join(args, ", ") + ")"
	case *parser.Star:
		return "*"
	case *parser.FieldAccess:
		return selectorName(x.Expr) + "." + x.Field
	case *parser.IndexExpr:
		if x.Slice {
			from, to := "", ""
			if x.Key != nil {
				from = x.Key.String()
			}
			if x.To != nil {
				to = x.To.String()
			}
			return selectorName(x.Expr) + "[" + from + ".." + to + "]"
		}
		return selectorName(x.Expr) + "[" + x.Key.String() + "]"
	case *parser.Cast:
		return "cast(" + selectorName(x.Expr) + " as " + x.Type.String() + ")"
	case *parser.TypeHint:
		return "(" + x.Type.String() + ")" + selectorName(x.Expr)
	}
	return x.String()
}

// isTermExpr reports whether x is a term rather than a selector: a
// constant, a bind marker, a collection, tuple or user-type literal, or a
// type hint.
func isTermExpr(x parser.Expr) bool {
	switch x.(type) {
	case *parser.Literal, *parser.Null, *parser.BindMarker, *parser.TypeHint,
		*parser.ListLit, *parser.SetLit, *parser.MapLit, *parser.TupleLit, *parser.UDTLit:
		return true
	}
	return false
}

// selectionSpec is the spec of a bind marker in the select list: Cassandra
// names them all [selection].
func selectionSpec(t *tableInfo, typ *schema.Type) ColumnSpec {
	return ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "[selection]", Type: typ}
}

// compileTermSelector compiles a term in the select list (Selectable.
// WithTerm): its type is the hint's, or want (a function parameter's);
// otherwise it cannot be inferred.
func (a *analyzer) compileTermSelector(st *selectStmt, x parser.Expr, want *schema.Type) (selector, error) {
	if h, ok := x.(*parser.TypeHint); ok {
		ht, err := a.resolveHintType(h.Type)
		if err != nil {
			return nil, err
		}
		name := selectorName(h)
		if lit, ok := h.Expr.(*parser.Literal); ok && !literalFits(lit.Kind, ht) {
			return nil, invalidf("Cannot assign value %s to %s of type %s", name, name, ht)
		}
		if !isTermExpr(h.Expr) {
			// A hint on a selector (Selectable.WithTypeHint): the value
			// must fit the hinted type, which the column then has.
			sel, err := a.compileSelector(st, h.Expr)
			if err != nil {
				return nil, err
			}
			if !assignable(sel.typ(), ht) {
				return nil, invalidf("Cannot assign value %s to %s of type %s", name, name, ht)
			}
			if agg := aggregateOf([]selector{sel}, ht, func(_ *bindEnv, vals [][]byte) ([]byte, error) { return vals[0], nil }); agg != nil {
				return agg, nil
			}
			return hintedSelector{inner: sel, ret: ht}, nil
		}
		inner, err := a.compileTerm(h.Expr, selectionSpec(st.table, ht))
		if err != nil {
			return nil, err
		}
		return termSelector{t: inner, ret: ht}, nil
	}
	if want == nil {
		return nil, invalidf("Cannot infer type for term %s in selection clause (try using a cast to force a type)", x.String())
	}
	inner, err := a.compileTerm(x, selectionSpec(st.table, want))
	if err != nil {
		return nil, err
	}
	return termSelector{t: inner, ret: want}, nil
}

func (a *analyzer) compileSelector(st *selectStmt, x parser.Expr) (selector, error) {
	t := st.table
	switch x := x.(type) {
	case *parser.ColumnRef:
		c, err := a.resolveColumn(t, x)
		if err != nil {
			return nil, err
		}
		if c.Kind != kindPartition && c.Kind != kindStatic {
			st.staticOnly = false
		}
		st.addDef(c)
		return columnSelector{c}, nil
	case *parser.FunctionCall:
		return a.compileFunctionSelector(st, x)
	case *parser.FieldAccess:
		return a.compileFieldSelector(st, x)
	case *parser.IndexExpr:
		return a.compileIndexSelector(st, x)
	case *parser.Cast:
		return a.compileCast(st, x)
	}
	if isTermExpr(x) {
		return a.compileTermSelector(st, x, nil)
	}
	return nil, invalidf("Unsupported selector %s", x.String())
}

func (a *analyzer) compileFieldSelector(st *selectStmt, x *parser.FieldAccess) (selector, error) {
	inner, err := a.compileSelector(st, x.Expr)
	if err != nil {
		return nil, err
	}
	it := inner.typ()
	if it.Kind != schema.KindUDT {
		return nil, invalidf("Invalid field selection: %s of type %s is not a user type", x.Expr.String(), it)
	}
	i := it.FieldIndex(x.Field)
	if i < 0 {
		return nil, invalidf("%s of type %s has no field %s", x.Expr.String(), it, x.Field)
	}
	return fieldSelector{inner: inner, index: i, ft: it.Elems[i]}, nil
}

func (a *analyzer) compileIndexSelector(st *selectStmt, x *parser.IndexExpr) (selector, error) {
	inner, err := a.compileSelector(st, x.Expr)
	if err != nil {
		return nil, err
	}
	what, What := "element", "Element"
	if x.Slice {
		what, What = "slice", "Slice"
	}
	it := inner.typ()
	switch it.Kind {
	case schema.KindMap, schema.KindSet:
	case schema.KindList:
		return nil, invalidf("%s selection is only allowed on sets and maps, but %s is a list", What, selectorName(x.Expr))
	default:
		if x.Slice {
			return nil, invalidf("Invalid slice selection: %s of type %s is not a collection", selectorName(x.Expr), it)
		}
		return nil, invalidf("Invalid %s selection: %s is of type %s is not a collection", what, selectorName(x.Expr), it)
	}
	// The bound's spec is the set's element or the map's key.
	name := "value(" + selectorName(x.Expr) + ")"
	if it.Kind == schema.KindMap {
		name = "key(" + selectorName(x.Expr) + ")"
	}
	spec := ColumnSpec{Keyspace: st.table.Keyspace, Table: st.table.Name, Name: name, Type: it.Elems[0]}
	bound := func(e parser.Expr) (term, error) {
		if e == nil {
			return nil, nil
		}
		return a.compileTerm(e, spec)
	}
	k, err := bound(x.Key)
	if err != nil {
		return nil, err
	}
	if !x.Slice {
		return elementSelector{inner: inner, key: k, name: selectorName(x.Expr)}, nil
	}
	to, err := bound(x.To)
	if err != nil {
		return nil, err
	}
	return sliceSelector{inner: inner, from: k, to: to, name: selectorName(x.Expr)}, nil
}

func (a *analyzer) compileCast(st *selectStmt, x *parser.Cast) (selector, error) {
	inner, err := a.compileSelector(st, x.Expr)
	if err != nil {
		return nil, err
	}
	to, err := a.resolveType(x.Type, st.table.Keyspace)
	if err != nil {
		return nil, err
	}
	from := inner.typ()
	if from.Equal(to) {
		// Cassandra ignores a cast to the value's own type.
		return inner, nil
	}
	if !castable(from, to) {
		// Cassandra names the first column of the selection here.
		what := from.String()
		if len(st.defs) > 0 {
			what = st.defs[0].Name
		}
		return nil, invalidf("%s cannot be cast to %s", what, to)
	}
	cs := castSelector{inner: inner, to: to}
	if agg := aggregateOf([]selector{inner}, to, func(_ *bindEnv, vals [][]byte) ([]byte, error) {
		if vals[0] == nil {
			return nil, nil
		}
		return cs.cast(vals[0])
	}); agg != nil {
		return agg, nil
	}
	return cs, nil
}

func (a *analyzer) compileFunctionSelector(st *selectStmt, x *parser.FunctionCall) (selector, error) {
	name := strings.ToLower(x.Name)
	switch name {
	case "count":
		return a.compileCount(st, x)
	case "min", "max", "sum", "avg":
		return a.compileAggregate(st, x, name)
	case "writetime", "ttl":
		return a.compileWritetime(st, x, name == "ttl")
	case "token":
		return a.compileTokenSelector(st, x)
	case "tojson", "fromjson":
		return a.compileJSONSelector(st, x, name)
	}
	if x.Keyspace != "" && x.Keyspace != "system" {
		return nil, invalidf("Unknown function %s.%s", x.Keyspace, x.Name)
	}
	// Selector arguments are compiled first, for their types; terms get
	// theirs from the chosen overload.
	shapes := make([]argShape, len(x.Args))
	texts := make([]string, len(x.Args))
	args := make([]selector, len(x.Args))
	for i, arg := range x.Args {
		texts[i] = selectorName(arg)
		if isTermExpr(arg) {
			shapes[i] = a.exprShape(arg)
			continue
		}
		s, err := a.compileSelector(st, arg)
		if err != nil {
			return nil, err
		}
		args[i], shapes[i] = s, argShape{typ: s.typ()}
	}
	nf, err := resolveFunc(x.Name, shapes, texts)
	if err != nil {
		return nil, err
	}
	out := scalarFuncSelector{ret: nf.ret(nil), fn: nf.fn}
	for i, arg := range x.Args {
		if args[i] == nil {
			s, err := a.compileTermSelector(st, arg, nf.args[i])
			if err != nil {
				return nil, err
			}
			args[i] = s
		}
	}
	out.args = args
	if agg := aggregateOf(out.args, out.ret, out.fn); agg != nil {
		return agg, nil
	}
	return out, nil
}

func (a *analyzer) compileCount(st *selectStmt, x *parser.FunctionCall) (selector, error) {
	if len(x.Args) != 1 {
		return nil, invalidf("Invalid number of arguments in call to function system.count: 1 required but %d provided", len(x.Args))
	}
	st.staticOnly = false
	if _, ok := x.Args[0].(*parser.Star); ok {
		return countSelector{}, nil
	}
	if _, ok := x.Args[0].(*parser.Literal); ok {
		// COUNT(constant) counts rows, as Cassandra special-cases it.
		return countSelector{}, nil
	}
	arg, err := a.compileSelector(st, x.Args[0])
	if err != nil {
		return nil, err
	}
	return countSelector{arg: arg}, nil
}

func (a *analyzer) compileAggregate(st *selectStmt, x *parser.FunctionCall, name string) (selector, error) {
	if len(x.Args) != 1 {
		return nil, invalidf("Invalid number of arguments in call to function system.%s: 1 required but %d provided", name, len(x.Args))
	}
	st.staticOnly = false
	arg, err := a.compileSelector(st, x.Args[0])
	if err != nil {
		return nil, err
	}
	switch name {
	case "min", "max":
		return minMaxSelector{arg: arg, max: name == "max"}, nil
	}
	if !isNumeric(arg.typ()) {
		return nil, invalidf("Invalid call to function %s, none of its type signatures match (argument of type %s)", name, arg.typ())
	}
	return sumAvgSelector{arg: arg, avg: name == "avg"}, nil
}

func (a *analyzer) compileWritetime(st *selectStmt, x *parser.FunctionCall, ttl bool) (selector, error) {
	what := "writetime"
	if ttl {
		what = "ttl"
	}
	if len(x.Args) != 1 {
		return nil, invalidf("Invalid number of arguments for %s", what)
	}
	ref, ok := x.Args[0].(*parser.ColumnRef)
	if !ok {
		return nil, invalidf("Invalid argument for %s: %s is not a column", what, x.Args[0].String())
	}
	c, err := a.resolveColumn(st.table, ref)
	if err != nil {
		return nil, err
	}
	if c.isKey() {
		return nil, invalidf("Cannot use selection function %s on PRIMARY KEY part %s", what, c.Name)
	}
	if c.Type.IsMultiCell() {
		return nil, invalidf("Cannot use selection function %s on non-frozen %s %s", what, c.Type.Kind, c.Name)
	}
	if c.Kind != kindStatic {
		st.staticOnly = false
	}
	st.addDef(c)
	return writetimeSelector{col: c, ttl: ttl}, nil
}

func (a *analyzer) compileTokenSelector(st *selectStmt, x *parser.FunctionCall) (selector, error) {
	t := st.table
	if len(x.Args) != len(t.Partition) {
		return nil, invalidf("Invalid number of arguments in call to function system.token: %d required but %d provided", len(t.Partition), len(x.Args))
	}
	for i, arg := range x.Args {
		ref, ok := arg.(*parser.ColumnRef)
		if !ok || ref.Name != t.Partition[i].Name {
			return nil, invalidf("The token function arguments must be the partition key columns in order: %s", partitionNames(t))
		}
	}
	return tokenSelector{cols: t.Partition}, nil
}

// compileOrderBy accepts the clustering order or its exact reverse, on a
// prefix of the clustering columns.
func (a *analyzer) compileOrderBy(st *selectStmt, order []*parser.Ordering) error {
	if len(order) == 0 {
		return nil
	}
	if st.usesIndex() {
		// SelectStatement.verifyOrderingIsAllowed, checked first.
		return invalidf("ORDER BY with 2ndary indexes is not supported.")
	}
	t := st.table
	if len(order) > len(t.Clustering) {
		return invalidf("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", order[len(t.Clustering)].Column.Name)
	}
	reversed := false
	next := 0 // the clustering position the next ordering may name
	for i, o := range order {
		c := t.column(o.Column.Name)
		if c == nil {
			return invalidf("Undefined column name %s", o.Column.Name)
		}
		if c.Kind != kindClustering {
			return invalidf("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", c.Name)
		}
		// Clustering columns restricted by = may be skipped, as in
		// Cassandra's SelectStatement.isReversed.
		for ; next < c.Position; next++ {
			if !st.where.restrictedByEq(t.Clustering[next]) {
				return invalidf("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
			}
		}
		if next != c.Position {
			return invalidf("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
		}
		next++
		st.orderCols = append(st.orderCols, c)
		rev := o.Desc != c.Desc
		if i > 0 && rev != reversed {
			return invalidf("Unsupported order by relation")
		}
		reversed = rev
	}
	if !hasFullPartitionKey(t, st.where) {
		return invalidf("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
	}
	st.reversed, st.orderBy = reversed, true
	return nil
}

// compileGroupBy accepts primary key columns in their declared order,
// the whole partition key included; columns restricted by = may be
// skipped (Cassandra's SelectStatement.getAggregationSpecification).
func (a *analyzer) compileGroupBy(st *selectStmt, cols []*parser.ColumnRef) error {
	if len(cols) == 0 {
		return nil
	}
	t := st.table
	keyCols := append(append([]*colInfo{}, t.Partition...), t.Clustering...)
	next := 0 // index in keyCols of the next column a group column may be
	for _, ref := range cols {
		c := t.column(ref.Name)
		if c == nil {
			return invalidf("Undefined column name %s", ref.Name)
		}
		if !c.isKey() {
			return invalidf("Group by is currently only supported on the columns of the PRIMARY KEY, got %s", c.Name)
		}
		for {
			if next >= len(keyCols) {
				return invalidf("Group by currently only support groups of columns following their declared order in the PRIMARY KEY")
			}
			k := keyCols[next]
			next++
			if k == c {
				break
			}
			if !st.where.restrictedByEq(k) {
				return invalidf("Group by currently only support groups of columns following their declared order in the PRIMARY KEY")
			}
		}
	}
	if next < len(t.Partition) {
		return invalidf("Group by is not supported on only a part of the partition key")
	}
	if next > len(t.Partition) && st.distinct {
		return invalidf("Grouping on clustering columns is not allowed for SELECT DISTINCT queries")
	}
	st.groupBy = next
	st.aggregate = true
	return nil
}

func (st *selectStmt) checkDistinct() error {
	if !st.distinct {
		return nil
	}
	// Cassandra's SelectStatement.validateDistinctSelection.
	if st.where.multi != nil {
		return invalidf("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.")
	}
	for _, r := range st.where.cols {
		if r.col.Kind != kindPartition && r.col.Kind != kindStatic {
			return invalidf("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.")
		}
	}
	var requested []*colInfo
	for _, s := range st.sels {
		requested = appendSelectorColumns(requested, s)
	}
	for _, c := range requested {
		if c.Kind != kindPartition && c.Kind != kindStatic {
			return invalidf("SELECT DISTINCT queries must only request partition key columns and/or static columns (not %s)", c.Name)
		}
	}
	// A scan (no = or IN on the whole partition key) must return the
	// partition key, so that partitions are told apart.
	if hasFullPartitionKey(st.table, st.where) || st.aggregate {
		return nil
	}
	for _, c := range st.table.Partition {
		if !slices.Contains(requested, c) {
			return invalidf("SELECT DISTINCT queries must request all the partition key columns (missing %s)", c.Name)
		}
	}
	return nil
}

// appendSelectorColumns appends the columns selector s reads.
func appendSelectorColumns(out []*colInfo, s selector) []*colInfo {
	switch s := s.(type) {
	case columnSelector:
		return append(out, s.col)
	case writetimeSelector:
		return append(out, s.col)
	case tokenSelector:
		return append(out, s.cols...)
	}
	for _, a := range selectorArgs(s) {
		out = appendSelectorColumns(out, a)
	}
	return out
}

// restrictedByEq reports whether c is restricted by = (alone or in a
// multi-column =), Cassandra's StatementRestrictions.isColumnRestrictedByEq.
func (w *whereClause) restrictedByEq(c *colInfo) bool {
	if r := w.col(c.Name); r != nil && r.eq != nil {
		return true
	}
	return w.multi != nil && w.multi.eq != nil && slices.Contains(w.multi.cols, c)
}

func (st *selectStmt) addDef(c *colInfo) {
	if !slices.Contains(st.defs, c) {
		st.defs = append(st.defs, c)
	}
}

// castable reports whether Cassandra 4.1 has a cast function from one
// type to another (CastFcts): between numeric types (not to counter),
// from numbers, ascii, inet, boolean, timeuuid, timestamp, date, time
// and uuid to ascii and text, and between timeuuid, timestamp and date
// as toDate and toTimestamp convert.
func castable(from, to *schema.Type) bool {
	if from.Kind == schema.KindCounter {
		from = schema.BigintType
	}
	switch to.Kind {
	case schema.KindASCII, schema.KindVarchar:
		if isNumeric(from) {
			return true
		}
		switch from.Kind {
		case schema.KindInet, schema.KindBoolean, schema.KindTimeUUID, schema.KindTimestamp,
			schema.KindDate, schema.KindTime, schema.KindUUID:
			return true
		case schema.KindASCII:
			return to.Kind == schema.KindVarchar
		}
		return false
	case schema.KindDate:
		return from.Kind == schema.KindTimeUUID || from.Kind == schema.KindTimestamp
	case schema.KindTimestamp:
		return from.Kind == schema.KindTimeUUID || from.Kind == schema.KindDate
	case schema.KindCounter:
		return false
	}
	return isNumeric(from) && isNumeric(to)
}

// isIdentityCast reports whether s, compiled from a CAST, is the cast's
// argument itself (a cast to the value's own type is dropped).
func isIdentityCast(s selector) bool {
	switch s.(type) {
	case castSelector, scalarOverAggregate:
		return false
	}
	return true
}
