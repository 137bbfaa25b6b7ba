package exec

import (
	"encoding/binary"
	"strconv"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// This file compiles a WHERE clause into restrictions per column, on
// clustering-column tuples, and on the partition token. Execution uses
// them twice: to build the partition keys and clustering slices it asks
// the Coordinator for (a superset of the answer), and to test each row it
// gets back, so the answer is exact whatever the slices cover.

// bound is one end of a range restriction; a nil term is unbounded.
type bound struct {
	t    term
	incl bool
}

// restriction is everything a WHERE clause says about one column.
type restriction struct {
	col         *colInfo
	eq          term   // = v
	in          []term // IN (a, b, ...)
	inList      term   // IN ? (a list value)
	lo, hi      *bound // > >= < <=
	contains    []term // CONTAINS v
	containsKey []term // CONTAINS KEY k
	entries     []mapEntry
}

// mapEntry is a map-entry relation m[key] = value.
type mapEntry struct{ key, value term }

func (r *restriction) isEqOrIn() bool { return r.eq != nil || r.in != nil || r.inList != nil }
func (r *restriction) isSlice() bool  { return r.lo != nil || r.hi != nil }

// multiRestriction is a relation on a tuple of clustering columns.
type multiRestriction struct {
	cols   []*colInfo
	typ    *schema.Type // tuple of the columns' types
	eq     term
	in     []term
	inList term
	lo, hi *bound
}

// tokenRestriction is a relation on token(partition key).
type tokenRestriction struct {
	eq     term
	lo, hi *bound
}

// whereClause is a compiled WHERE clause.
type whereClause struct {
	cols  map[string]*restriction
	multi *multiRestriction
	token *tokenRestriction
	// clSeq lists the relations on clustering columns in WHERE order, for
	// the checks whose message depends on that order.
	clSeq []clRel
}

// clRel is one relation on clustering columns: the positions it covers
// and whether it is a slice.
type clRel struct {
	first, last int
	slice       bool
}

func (w *whereClause) col(name string) *restriction { return w.cols[name] }

// compileWhere compiles rels against table t.
func (a *analyzer) compileWhere(t *tableInfo, rels []*parser.Relation) (*whereClause, error) {
	w := &whereClause{cols: make(map[string]*restriction)}
	for _, rel := range rels {
		var err error
		switch {
		case rel.Token:
			err = a.compileTokenRelation(t, w, rel)
		case rel.Tuple:
			err = a.compileTupleRelation(t, w, rel)
		default:
			err = a.compileColumnRelation(t, w, rel)
		}
		if err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (a *analyzer) resolveColumn(t *tableInfo, ref *parser.ColumnRef) (*colInfo, error) {
	c := t.column(ref.Name)
	if c == nil {
		return nil, invalidf("Undefined column name %s in table %s.%s", schema.QuoteIdent(ref.Name), t.Keyspace, t.Name)
	}
	return c, nil
}

func specOf(t *tableInfo, c *colInfo) ColumnSpec {
	return ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: c.Name, Type: c.Type}
}

func (a *analyzer) compileColumnRelation(t *tableInfo, w *whereClause, rel *parser.Relation) error {
	if len(rel.Columns) != 1 {
		return invalidf("Invalid relation %s", rel.String())
	}
	c, err := a.resolveColumn(t, rel.Columns[0])
	if err != nil {
		return err
	}
	r := w.cols[c.Name]
	if r == nil {
		r = &restriction{col: c}
		w.cols[c.Name] = r
	}
	spec := specOf(t, c)
	if rel.MapKey != nil {
		return a.compileMapEntry(t, r, rel)
	}
	if m := w.multi; m != nil && c.Kind == kindClustering && m.covers(c) {
		switch rel.Op {
		case parser.OpEq, parser.OpIn, parser.OpLt, parser.OpLte, parser.OpGt, parser.OpGte:
			slice := rel.Op != parser.OpEq && rel.Op != parser.OpIn
			w.clSeq = append(w.clSeq, clRel{first: c.Position, last: c.Position, slice: slice})
			return a.mergeIntoMulti(m, c, rel, spec)
		}
	}
	if c.Kind == kindClustering {
		switch rel.Op {
		case parser.OpEq, parser.OpIn:
			w.clSeq = append(w.clSeq, clRel{first: c.Position, last: c.Position})
		case parser.OpLt, parser.OpLte, parser.OpGt, parser.OpGte:
			w.clSeq = append(w.clSeq, clRel{first: c.Position, last: c.Position, slice: true})
		}
	}
	if r.isEqOrIn() || r.isSlice() {
		newKind := rkSlice
		switch rel.Op {
		case parser.OpEq:
			newKind = rkEq
		case parser.OpIn:
			newKind = rkIn
		}
		lower := rel.Op == parser.OpGt || rel.Op == parser.OpGte
		upper := rel.Op == parser.OpLt || rel.Op == parser.OpLte
		if newKind != rkSlice || lower || upper {
			oldKind := restrictionKind(r.eq != nil, r.in != nil || r.inList != nil)
			if err := mergeConflict(oldKind, newKind, c.Name, true, lower && r.lo != nil, upper && r.hi != nil, c, c); err != nil {
				return err
			}
		}
	}
	switch rel.Op {
	case parser.OpEq:
		r.eq, err = a.compileTerm(rel.Value, spec)
	case parser.OpIn:
		r.in, r.inList, err = a.compileIn(rel, spec)
	case parser.OpLt, parser.OpLte, parser.OpGt, parser.OpGte:
		err = a.compileSlice(r, rel, spec)
	case parser.OpContains, parser.OpContainsKey:
		err = a.compileContains(r, rel, spec)
	case parser.OpNeq:
		return invalidf("Unsupported \"!=\" relation: %s", rel.String())
	case parser.OpIsNotNull:
		return invalidf("Unsupported restriction: %s", rel.String())
	case parser.OpLike:
		return invalidf("LIKE restriction is only supported on properly indexed columns. %s is not valid.", rel.String())
	default:
		return invalidf("Unsupported relation %s", rel.String())
	}
	return err
}

func (a *analyzer) compileIn(rel *parser.Relation, spec ColumnSpec) ([]term, term, error) {
	if rel.Values == nil && rel.Value != nil {
		ls := spec
		ls.Name = "in(" + spec.Name + ")"
		ls.Type = schema.ListOf(spec.Type, false)
		t, err := a.compileTerm(rel.Value, ls)
		return nil, t, err
	}
	terms := make([]term, 0, len(rel.Values))
	for _, v := range rel.Values {
		t, err := a.compileTerm(v, spec)
		if err != nil {
			return nil, nil, err
		}
		terms = append(terms, t)
	}
	return terms, nil, nil
}

func (a *analyzer) compileSlice(r *restriction, rel *parser.Relation, spec ColumnSpec) error {
	t, err := a.compileTerm(rel.Value, spec)
	if err != nil {
		return err
	}
	b := &bound{t: t, incl: rel.Op == parser.OpLte || rel.Op == parser.OpGte}
	if rel.Op == parser.OpGt || rel.Op == parser.OpGte {
		if r.lo != nil {
			return invalidf("More than one restriction was found for the start bound on %s", spec.Name)
		}
		r.lo = b
	} else {
		if r.hi != nil {
			return invalidf("More than one restriction was found for the end bound on %s", spec.Name)
		}
		r.hi = b
	}
	return nil
}

func (a *analyzer) compileContains(r *restriction, rel *parser.Relation, spec ColumnSpec) error {
	ct := spec.Type
	if !ct.IsCollection() {
		return invalidf("Cannot use CONTAINS on non-collection column %s", spec.Name)
	}
	es := spec
	if rel.Op == parser.OpContainsKey {
		if ct.Kind != schema.KindMap {
			return invalidf("Cannot use CONTAINS KEY on non-map column %s", spec.Name)
		}
		es.Type = ct.Elems[0]
		t, err := a.compileTerm(rel.Value, es)
		r.containsKey = append(r.containsKey, t)
		return err
	}
	es.Type = ct.Elems[len(ct.Elems)-1]
	t, err := a.compileTerm(rel.Value, es)
	r.contains = append(r.contains, t)
	return err
}

func (a *analyzer) compileTokenRelation(t *tableInfo, w *whereClause, rel *parser.Relation) error {
	if len(rel.Columns) != len(t.Partition) {
		return invalidf("The token() function must be applied to all partition key components or none of them")
	}
	for i, ref := range rel.Columns {
		if ref.Name != t.Partition[i].Name {
			return invalidf("The token function arguments must be in the partition key order: %s", partitionNames(t))
		}
	}
	if w.token == nil {
		w.token = &tokenRestriction{}
	}
	spec := ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "partition key token", Type: schema.BigintType}
	tm, err := a.compileTerm(rel.Value, spec)
	if err != nil {
		return err
	}
	b := &bound{t: tm, incl: rel.Op == parser.OpLte || rel.Op == parser.OpGte}
	// Cassandra's TokenRestriction merge rules and messages.
	names := partitionNames(t)
	names = names[1 : len(names)-1]
	tr := w.token
	switch {
	case tr.eq != nil:
		return invalidf("%s cannot be restricted by more than one relation if it includes an Equal", names)
	case (tr.lo != nil || tr.hi != nil) && rel.Op == parser.OpEq:
		return invalidf("Columns \"%s\" cannot be restricted by both an equality and an inequality relation", names)
	case tr.lo != nil && (rel.Op == parser.OpGt || rel.Op == parser.OpGte):
		return invalidf("More than one restriction was found for the start bound on %s", names)
	case tr.hi != nil && (rel.Op == parser.OpLt || rel.Op == parser.OpLte):
		return invalidf("More than one restriction was found for the end bound on %s", names)
	}
	switch rel.Op {
	case parser.OpEq:
		w.token.eq = tm
	case parser.OpGt, parser.OpGte:
		w.token.lo = b
	case parser.OpLt, parser.OpLte:
		w.token.hi = b
	default:
		return invalidf("Unsupported relation on token(): %s", rel.String())
	}
	return nil
}

func partitionNames(t *tableInfo) string {
	s := ""
	for i, c := range t.Partition {
		if i > 0 {
			s += ", "
		}
		s += c.Name
	}
	return "(" + s + ")"
}

func (a *analyzer) compileTupleRelation(t *tableInfo, w *whereClause, rel *parser.Relation) error {
	cols := make([]*colInfo, 0, len(rel.Columns))
	types := make([]*schema.Type, 0, len(rel.Columns))
	for i, ref := range rel.Columns {
		c, err := a.resolveColumn(t, ref)
		if err != nil {
			return err
		}
		if c.Kind != kindClustering {
			return invalidf("Multi-column relations can only be applied to clustering columns but was applied to: %s", c.Name)
		}
		if i > 0 && c.Position != cols[i-1].Position+1 {
			return invalidf("Clustering columns must appear in the PRIMARY KEY order in multi-column relations: %s", rel.String())
		}
		cols, types = append(cols, c), append(types, c.Type)
	}
	if len(cols) > 0 {
		slice := rel.Op == parser.OpGt || rel.Op == parser.OpGte || rel.Op == parser.OpLt || rel.Op == parser.OpLte
		w.clSeq = append(w.clSeq, clRel{first: cols[0].Position, last: cols[len(cols)-1].Position, slice: slice})
	}
	typ := schema.TupleOf(types...)
	m := &multiRestriction{cols: cols, typ: typ}
	if err := a.compileMultiOp(t, m, rel, typ); err != nil {
		return err
	}
	// This server keeps one tuple restriction: a one-column tuple beside
	// another tuple is kept as the single-column restriction it equals.
	if old := w.multi; old != nil && commonNames(old.cols, cols) == "" {
		switch {
		case len(cols) == 1:
			return demoteTuple(w, m)
		case len(old.cols) == 1:
			w.multi = nil
			if err := demoteTuple(w, old); err != nil {
				return err
			}
		}
	}
	// Merge with what already restricts these columns, as Cassandra does:
	// the earlier restriction decides the message of a conflict.
	for _, c := range cols {
		r := w.cols[c.Name]
		if r == nil || (!r.isEqOrIn() && !r.isSlice()) {
			continue
		}
		if err := mergeConflict(restrictionKind(r.eq != nil, r.isEqOrIn() && r.eq == nil), m.kind(), c.Name,
			c.Position == cols[0].Position, r.lo != nil && m.lo != nil, r.hi != nil && m.hi != nil, cols[0], c); err != nil {
			return err
		}
		// Two slices starting on the same column: the single one becomes a
		// one-column tuple bound.
		m.absorb(r, c)
	}
	if old := w.multi; old != nil {
		common := commonNames(old.cols, cols)
		if common == "" {
			// Cassandra keeps one restriction per tuple of columns; this
			// server keeps one tuple restriction per statement.
			return invalidf("More than one multi-column relation on distinct clustering columns is not supported by this server: %s", rel.String())
		}
		if err := mergeConflict(old.kind(), m.kind(), common, old.cols[0] == cols[0], old.lo != nil && m.lo != nil, old.hi != nil && m.hi != nil, old.cols[0], cols[0]); err != nil {
			return err
		}
		if m.lo == nil {
			m.lo = old.lo
		}
		if m.hi == nil {
			m.hi = old.hi
		}
		if len(old.cols) > len(m.cols) {
			m.cols, m.typ = old.cols, old.typ
		}
	}
	w.multi = m
	return nil
}

// Restriction kinds, for the merge rules.
const (
	rkEq = iota
	rkIn
	rkSlice
)

func restrictionKind(eq, in bool) int {
	switch {
	case eq:
		return rkEq
	case in:
		return rkIn
	}
	return rkSlice
}

// covers reports whether c is one of the tuple's columns.
func (m *multiRestriction) covers(c *colInfo) bool {
	return c.Position >= m.cols[0].Position && c.Position <= m.cols[len(m.cols)-1].Position
}

func (m *multiRestriction) kind() int {
	return restrictionKind(m.eq != nil, m.in != nil || m.inList != nil)
}

// mergeConflict is Cassandra's verdict on restricting columns already
// restricted (old) again (new): only two slices starting on the same
// column, with one start and one end bound between them, merge. names
// are the columns in common; oldFirst and newFirst the first column of
// each relation.
func mergeConflict(old, new int, names string, sameFirst, twoStarts, twoEnds bool, oldFirst, newFirst *colInfo) error {
	switch {
	case old == rkEq:
		return invalidf("%s cannot be restricted by more than one relation if it includes an Equal", names)
	case old == rkIn:
		return invalidf("%s cannot be restricted by more than one relation if it includes a IN", names)
	case new != rkSlice:
		return invalidf("Column \"%s\" cannot be restricted by both an equality and an inequality relation", names)
	case !sameFirst:
		later := oldFirst
		if newFirst.Position > oldFirst.Position {
			later = newFirst
		}
		return invalidf("Column \"%s\" cannot be restricted by two inequalities not starting with the same column", later.Name)
	case twoStarts:
		return invalidf("More than one restriction was found for the start bound on %s", names)
	case twoEnds:
		return invalidf("More than one restriction was found for the end bound on %s", names)
	}
	return nil
}

// commonNames lists the columns of a also in b, as Cassandra joins them.
func commonNames(a, b []*colInfo) string {
	s := ""
	for _, c := range a {
		for _, d := range b {
			if c == d {
				if s != "" {
					s += " ,"
				}
				s += c.Name
			}
		}
	}
	return s
}

// absorb moves the slice bounds of the single-column restriction r on c
// (the first column of m) into m as one-column tuple bounds.
func (m *multiRestriction) absorb(r *restriction, c *colInfo) {
	if r.lo != nil {
		m.lo = &bound{t: tupleBoundTerm{singleTupleTerm{r.lo.t, c.Name}, 1}, incl: r.lo.incl}
	}
	if r.hi != nil {
		m.hi = &bound{t: tupleBoundTerm{singleTupleTerm{r.hi.t, c.Name}, 1}, incl: r.hi.incl}
	}
	r.lo, r.hi = nil, nil
}

// singleTupleTerm is a single-column bound seen as a one-element tuple.
type singleTupleTerm struct {
	term
	col string
}

func (s singleTupleTerm) eval(env *bindEnv) ([]byte, bool, error) {
	v, unset, err := s.term.eval(env)
	if err != nil {
		return nil, false, err
	}
	if unset {
		return nil, false, invalidf("Invalid unset value for column %s", s.col)
	}
	if v == nil {
		return nil, false, invalidf("Invalid null value in condition for column %s", s.col)
	}
	out := make([]byte, 4, 4+len(v))
	out[0], out[1], out[2], out[3] = byte(len(v)>>24), byte(len(v)>>16), byte(len(v)>>8), byte(len(v))
	return append(out, v...), false, nil
}

// mergeIntoMulti applies a single-column relation on c to the tuple
// restriction already covering c, with Cassandra's merge rules; a slice on
// the tuple's first column merges into the tuple's bounds.
func (a *analyzer) mergeIntoMulti(m *multiRestriction, c *colInfo, rel *parser.Relation, spec ColumnSpec) error {
	kind := rkSlice
	switch rel.Op {
	case parser.OpEq:
		kind = rkEq
	case parser.OpIn:
		kind = rkIn
	case parser.OpLt, parser.OpLte, parser.OpGt, parser.OpGte:
	default:
		return nil
	}
	lower := rel.Op == parser.OpGt || rel.Op == parser.OpGte
	if err := mergeConflict(m.kind(), kind, c.Name, c == m.cols[0], kind == rkSlice && lower && m.lo != nil,
		kind == rkSlice && !lower && m.hi != nil, m.cols[0], c); err != nil {
		return err
	}
	tm, err := a.compileTerm(rel.Value, spec)
	if err != nil {
		return err
	}
	b := &bound{t: tupleBoundTerm{singleTupleTerm{tm, c.Name}, 1}, incl: rel.Op == parser.OpGte || rel.Op == parser.OpLte}
	if lower {
		m.lo = b
	} else {
		m.hi = b
	}
	return nil
}

func (a *analyzer) compileMultiOp(t *tableInfo, m *multiRestriction, rel *parser.Relation, typ *schema.Type) error {
	name := "("
	for i, c := range rel.Columns {
		if i > 0 {
			name += ","
		}
		name += c.Name
	}
	spec := ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: name + ")", Type: typ}
	var err error
	switch rel.Op {
	case parser.OpEq:
		m.eq, err = a.compileTerm(rel.Value, spec)
	case parser.OpIn:
		m.in, m.inList, err = a.compileIn(rel, spec)
	case parser.OpGt, parser.OpGte, parser.OpLt, parser.OpLte:
		var tm term
		if tm, err = a.compileTerm(rel.Value, spec); err != nil {
			return err
		}
		b := &bound{t: tupleBoundTerm{tm, len(rel.Columns)}, incl: rel.Op == parser.OpGte || rel.Op == parser.OpLte}
		if rel.Op == parser.OpGt || rel.Op == parser.OpGte {
			m.lo = b
		} else {
			m.hi = b
		}
	default:
		return invalidf("Unsupported multi-column relation %s", rel.String())
	}
	return err
}

// tupleBoundTerm is a tuple bound over the first n clustering columns;
// it evaluates to the serialized tuple.
type tupleBoundTerm struct {
	term
	n int
}

// checkClusteringOrder applies Cassandra's rule that, in a statement
// that may not filter, nothing may follow a slice on the clustering
// columns. It is checked relation by relation, in WHERE order, as
// Cassandra merges them, so the messages name the same columns.
func (w *whereClause) checkClusteringOrder(t *tableInfo) error {
	type owner struct {
		first int
		slice bool
	}
	owners := make([]*owner, len(t.Clustering))
	for _, r := range w.clSeq {
		last := -1
		for p := len(owners) - 1; p >= 0; p-- {
			if owners[p] != nil {
				last = p
				break
			}
		}
		if last >= 0 {
			old := owners[last]
			if old.slice && r.first > old.first {
				return invalidf("Clustering column \"%s\" cannot be restricted (preceding column \"%s\" is restricted by a non-EQ relation)",
					t.Clustering[r.first].Name, t.Clustering[old.first].Name)
			}
			if r.slice && r.first < old.first {
				next := r.first
				for p := r.first + 1; p < len(owners); p++ {
					if owners[p] != nil {
						next = p
						break
					}
				}
				return invalidf("PRIMARY KEY column \"%s\" cannot be restricted (preceding column \"%s\" is restricted by a non-EQ relation)",
					t.Clustering[next].Name, t.Clustering[r.first].Name)
			}
		}
		o := &owner{first: r.first, slice: r.slice}
		for p := r.first; p <= r.last && p < len(owners); p++ {
			if owners[p] != nil && owners[p].slice {
				o.slice = true
			}
			owners[p] = o
		}
	}
	return nil
}

// checkClusteringGaps refuses a restriction on a clustering column when
// one before it is not restricted (a statement that may not filter).
func (w *whereClause) checkClusteringGaps(t *tableInfo) error {
	restricted := make([]bool, len(t.Clustering))
	for _, r := range w.clSeq {
		for p := r.first; p <= r.last && p < len(restricted); p++ {
			restricted[p] = true
		}
	}
	i := 0
	for p, ok := range restricted {
		if !ok {
			continue
		}
		if p != i {
			return invalidf("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted",
				t.Clustering[p].Name, t.Clustering[i].Name)
		}
		i++
	}
	return nil
}

// restrictedClustering reports how many clustering columns have a
// restriction, and whether any is a slice.
func (w *whereClause) restrictedClustering(t *tableInfo) (n int, slice bool) {
	for _, c := range t.Clustering {
		r := w.col(c.Name)
		inMulti := false
		if w.multi != nil {
			for _, mc := range w.multi.cols {
				inMulti = inMulti || mc == c
			}
		}
		switch {
		case inMulti:
			n++
			slice = slice || w.multi.lo != nil || w.multi.hi != nil
		case r != nil && (r.isEqOrIn() || r.isSlice()):
			n++
			slice = slice || r.isSlice()
		}
	}
	return n, slice
}

// compileTokenTerm compiles token(v1, ...) as a value, as Cassandra's
// TokenFct: the token of the partition key made of the arguments, for the
// table the value is compared or assigned to (WHERE token(k) > token(?)).
func (a *analyzer) compileTokenTerm(x *parser.FunctionCall, spec ColumnSpec) (term, error) {
	t, err := a.lookupTable(&parser.TableName{Keyspace: spec.Keyspace, Name: spec.Table})
	if err != nil {
		return nil, err
	}
	if len(x.Args) != len(t.Partition) {
		return nil, invalidf("Invalid number of arguments in call to function system.token: %d required but %d provided", len(t.Partition), len(x.Args))
	}
	if !assignable(schema.BigintType, spec.Type) {
		return nil, invalidf("Type error: cannot assign result of function system.token (type bigint) to %s (type %s)", spec.Name, spec.Type)
	}
	for i, arg := range x.Args {
		if a.exprShape(arg).test(t.Partition[i].Type) == notAssignable {
			return nil, invalidf("Type error: %s cannot be passed as argument %d of function system.token of type %s", arg.String(), i, t.Partition[i].Type)
		}
	}
	out := funcTerm{name: "system.token"}
	for i, arg := range x.Args {
		as := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "arg" + strconv.Itoa(i) + "(system.token)", Type: t.Partition[i].Type}
		tm, err := a.compileTerm(arg, as)
		if err != nil {
			return nil, err
		}
		out.args = append(out.args, tm)
	}
	out.fn = func(env *bindEnv, args [][]byte) ([]byte, error) {
		for _, v := range args {
			if v == nil {
				return nil, nil
			}
		}
		tok := env.e.cfg.Token(partitionKey(args))
		return binary.BigEndian.AppendUint64(nil, uint64(tok)), nil
	}
	return out, nil
}

// compileMapEntry compiles m[k] = v: the non-frozen map m holds key k
// with value v (Cassandra's map-entry equality, a filtering restriction).
func (a *analyzer) compileMapEntry(t *tableInfo, r *restriction, rel *parser.Relation) error {
	c := r.col
	ct := c.Type
	switch {
	case ct.Kind == schema.KindList:
		return invalidf("Indexes on list entries (%s[index] = value) are not currently supported.", c.Name)
	case ct.Kind != schema.KindMap:
		return invalidf("Column %s cannot be used as a map", c.Name)
	case !ct.IsMultiCell():
		return invalidf("Map-entry equality predicates on frozen map column %s are not supported", c.Name)
	case rel.Op != parser.OpEq:
		return invalidf("Only EQ relations are supported on map entries")
	}
	k, err := a.compileTerm(rel.MapKey, ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "key(" + c.Name + ")", Type: ct.Elems[0]})
	if err != nil {
		return err
	}
	v, err := a.compileTerm(rel.Value, ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "value(" + c.Name + ")", Type: ct.Elems[1]})
	if err != nil {
		return err
	}
	r.entries = append(r.entries, mapEntry{k, v})
	return nil
}

// demoteTuple adds the one-column tuple restriction m, (b) = (1) or
// (b) > (1), as the single-column restriction it is equivalent to.
func demoteTuple(w *whereClause, m *multiRestriction) error {
	c := m.cols[0]
	r := w.cols[c.Name]
	if r == nil {
		r = &restriction{col: c}
		w.cols[c.Name] = r
	}
	if r.isEqOrIn() || r.isSlice() {
		oldKind := restrictionKind(r.eq != nil, r.in != nil || r.inList != nil)
		if err := mergeConflict(oldKind, m.kind(), c.Name, true, r.lo != nil && m.lo != nil, r.hi != nil && m.hi != nil, c, c); err != nil {
			return err
		}
	}
	switch {
	case m.eq != nil:
		r.eq = firstComponentTerm{m.eq}
	case m.in != nil:
		r.in = make([]term, len(m.in))
		for i, tm := range m.in {
			r.in[i] = firstComponentTerm{tm}
		}
	case m.inList != nil:
		r.inList = firstComponentsTerm{m.inList}
	}
	if m.lo != nil {
		r.lo = &bound{t: firstComponentTerm{m.lo.t.(tupleBoundTerm).term}, incl: m.lo.incl}
	}
	if m.hi != nil {
		r.hi = &bound{t: firstComponentTerm{m.hi.t.(tupleBoundTerm).term}, incl: m.hi.incl}
	}
	return nil
}

// firstComponentTerm is the value of a one-element tuple.
type firstComponentTerm struct{ term }

func (f firstComponentTerm) eval(env *bindEnv) ([]byte, bool, error) {
	v, unset, err := f.term.eval(env)
	if err != nil || unset || v == nil {
		return nil, unset, err
	}
	comps, err := decodeComponents(v, 1)
	if err != nil {
		return nil, false, err
	}
	return comps[0], false, nil
}

// firstComponentsTerm is a list of one-element tuples (IN ?) as the list
// of their values.
type firstComponentsTerm struct{ term }

func (f firstComponentsTerm) eval(env *bindEnv) ([]byte, bool, error) {
	v, unset, err := f.term.eval(env)
	if err != nil || unset || v == nil {
		return nil, unset, err
	}
	elems, err := decodeElems(v)
	if err != nil {
		return nil, false, err
	}
	for i, e := range elems {
		comps, err := decodeComponents(e, 1)
		if err != nil {
			return nil, false, err
		}
		if comps[0] == nil {
			return nil, false, invalidf("Invalid null value in condition for columns")
		}
		elems[i] = comps[0]
	}
	return encodeElems(elems), false, nil
}
