package parser

import (
	"reflect"
	"testing"
)

func TestSelectShape(t *testing.T) {
	s := mustParse(t, "SELECT DISTINCT k, count(*) AS n FROM ks.t WHERE token(k) > ? AND c IN ? AND (c1, c2) >= (1, :x) GROUP BY k ORDER BY c DESC PER PARTITION LIMIT 3 LIMIT ? ALLOW FILTERING").(*Select)
	if !s.Distinct || s.JSON || !s.AllowFiltering {
		t.Fatalf("flags: %+v", s)
	}
	if s.Table.Keyspace != "ks" || s.Table.Name != "t" {
		t.Fatalf("table %+v", s.Table)
	}
	if len(s.Selectors) != 2 || s.Selectors[1].Alias != "n" {
		t.Fatalf("selectors %v", s.Selectors)
	}
	count := s.Selectors[1].Expr.(*FunctionCall)
	if count.Name != "count" || len(count.Args) != 1 {
		t.Fatalf("count %+v", count)
	}
	if _, ok := count.Args[0].(*Star); !ok {
		t.Fatalf("count arg %T", count.Args[0])
	}
	w := s.Where
	if !w[0].Token || w[0].Op != OpGt || w[0].Columns[0].Name != "k" {
		t.Fatalf("token relation %+v", w[0])
	}
	if w[1].Op != OpIn || w[1].Values != nil {
		t.Fatalf("IN ? relation %+v", w[1])
	}
	if _, ok := w[1].Value.(*BindMarker); !ok {
		t.Fatalf("IN ? value %T", w[1].Value)
	}
	if !w[2].Tuple || len(w[2].Columns) != 2 || w[2].Op != OpGte {
		t.Fatalf("tuple relation %+v", w[2])
	}
	if tup := w[2].Value.(*TupleLit); len(tup.Elems) != 2 {
		t.Fatalf("tuple value %v", tup)
	}
	if s.OrderBy[0].Column.Name != "c" || !s.OrderBy[0].Desc {
		t.Fatalf("order by %+v", s.OrderBy[0])
	}
	if lit := s.PerPartitionLimit.(*Literal); lit.Kind != LitInteger || lit.Val != "3" {
		t.Fatalf("per partition limit %+v", lit)
	}
	if _, ok := s.Limit.(*BindMarker); !ok {
		t.Fatalf("limit %T", s.Limit)
	}
	markers := s.BindMarkers()
	if len(markers) != 4 || markers[2].Name != "x" || markers[3] != s.Limit {
		t.Fatalf("markers %v", markers)
	}
}

func TestSelectStarAndColumnsNamedLikeKeywords(t *testing.T) {
	if s := mustParse(t, "SELECT * FROM t").(*Select); s.Selectors != nil {
		t.Fatalf("SELECT * has selectors %v", s.Selectors)
	}
	s := mustParse(t, "SELECT json, distinct FROM t").(*Select)
	if s.JSON || s.Distinct || len(s.Selectors) != 2 {
		t.Fatalf("got %+v", s)
	}
	s = mustParse(t, `SELECT key, "Key", TTL(v) FROM t`).(*Select)
	if got := []string{s.Selectors[0].Expr.(*ColumnRef).Name, s.Selectors[1].Expr.(*ColumnRef).Name}; got[0] != "key" || got[1] != "Key" {
		t.Fatalf("names %v", got)
	}
	if f := s.Selectors[2].Expr.(*FunctionCall); f.Name != "ttl" {
		t.Fatalf("ttl %+v", f)
	}
}

func TestLiterals(t *testing.T) {
	cases := []struct {
		term string
		kind LiteralKind
		val  string
	}{
		{"'it''s'", LitString, "it's"},
		{"$$a'b$$", LitString, "a'b"},
		{"42", LitInteger, "42"},
		{"-7", LitInteger, "-7"},
		{"1.5", LitFloat, "1.5"},
		{"-2e10", LitFloat, "-2e10"},
		{"NaN", LitFloat, "NaN"},
		{"-infinity", LitFloat, "-Infinity"},
		{"TRUE", LitBoolean, "true"},
		{"123E4567-E89B-12D3-A456-426614174000", LitUUID, "123e4567-e89b-12d3-a456-426614174000"},
		{"0xCAFE", LitBlob, "0xcafe"},
		{"1h30m", LitDuration, "1h30m"},
		{"P1DT2H", LitDuration, "P1DT2H"},
		{"P2W", LitDuration, "P2W"},
		{"P2000-01-02T03:04:05", LitDuration, "P2000-01-02T03:04:05"},
	}
	for _, c := range cases {
		s := mustParse(t, "INSERT INTO t (v) VALUES ("+c.term+")").(*Insert)
		lit, ok := s.Values[0].(*Literal)
		if !ok || lit.Kind != c.kind || lit.Val != c.val {
			t.Errorf("%s: got %#v, want kind %d val %q", c.term, s.Values[0], c.kind, c.val)
		}
	}
}

func TestCollectionLiterals(t *testing.T) {
	s := mustParse(t, "INSERT INTO t (a, b, c, d, e, f) VALUES ([1], {1}, {1: 2}, {x: 1}, (1, 2), {})").(*Insert)
	want := []string{"*parser.ListLit", "*parser.SetLit", "*parser.MapLit", "*parser.UDTLit", "*parser.TupleLit", "*parser.SetLit"}
	for i, v := range s.Values {
		if got := reflect.TypeOf(v).String(); got != want[i] {
			t.Errorf("value %d: got %s, want %s", i, got, want[i])
		}
	}
	if u := s.Values[3].(*UDTLit); u.Fields[0].Name != "x" {
		t.Errorf("udt field %q", u.Fields[0].Name)
	}
}

func TestIdentifiers(t *testing.T) {
	s := mustParse(t, `CREATE TABLE "Ks".MyTable ("CamelCase" int PRIMARY KEY, LowerMe text, "with ""quote""" int, key int, type int)`).(*CreateTable)
	if s.Table.Keyspace != "Ks" || s.Table.Name != "mytable" {
		t.Fatalf("table %+v", s.Table)
	}
	var names []string
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	want := []string{"CamelCase", "lowerme", `with "quote"`, "key", "type"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("got %q, want %q", names, want)
	}
}

func TestUpdateShape(t *testing.T) {
	s := mustParse(t, "UPDATE t USING TIMESTAMP ? AND TTL 5 SET a = a + ?, b = ? + b, c = c - {1}, m[?] = ?, u.f = 1, n = n -2, x = 3 WHERE k = ? IF a = 1 AND m['k'] IN (1, 2)").(*Update)
	if ts, ok := s.Using.Timestamp().(*BindMarker); !ok || ts.Index != 0 {
		t.Fatalf("timestamp %v", s.Using.Timestamp())
	}
	if ttl := s.Using.TTL().(*Literal); ttl.Val != "5" {
		t.Fatalf("ttl %v", ttl)
	}
	ops := []AssignOp{AssignAdd, AssignPrepend, AssignSub, AssignSet, AssignSet, AssignSub, AssignSet}
	for i, a := range s.Set {
		if a.Op != ops[i] {
			t.Errorf("assignment %d (%s): op %d, want %d", i, a, a.Op, ops[i])
		}
	}
	if s.Set[3].Target.Key == nil || s.Set[4].Target.Field != "f" {
		t.Fatalf("targets %v %v", s.Set[3].Target, s.Set[4].Target)
	}
	if v := s.Set[5].Value.(*Literal); v.Val != "2" {
		t.Fatalf("c = c -2 value %v", v)
	}
	if len(s.Conditions) != 2 || s.Conditions[1].Op != OpIn || len(s.Conditions[1].Values) != 2 {
		t.Fatalf("conditions %v", s.Conditions)
	}
	// Markers in order: TIMESTAMP ?, a + ?, ? + b, m[?], = ?, k = ?.
	if n := len(s.BindMarkers()); n != 6 {
		t.Fatalf("%d markers", n)
	}
	if s.BindMarkers()[3] != s.Set[3].Target.Key {
		t.Fatal("marker 3 is not the map key")
	}
}

func TestDeleteShape(t *testing.T) {
	s := mustParse(t, "DELETE a, m[?], u.f FROM t USING TIMESTAMP 3 WHERE k = 1 AND c > 2 IF EXISTS").(*Delete)
	if len(s.Targets) != 3 || s.Targets[1].Key == nil || s.Targets[2].Field != "f" || !s.IfExists {
		t.Fatalf("got %+v", s)
	}
	if s := mustParse(t, "DELETE FROM t WHERE k = 1").(*Delete); s.Targets != nil {
		t.Fatalf("whole-row delete has targets %v", s.Targets)
	}
}

func TestBatchMarkers(t *testing.T) {
	b := mustParse(t, "BEGIN UNLOGGED BATCH USING TIMESTAMP ? INSERT INTO t (k, v) VALUES (?, ?); UPDATE t SET v = :v WHERE k = ?; DELETE FROM t WHERE k = ? APPLY BATCH").(*Batch)
	if b.Kind != BatchUnlogged || len(b.Statements) != 3 {
		t.Fatalf("got %+v", b)
	}
	m := b.BindMarkers()
	if len(m) != 6 {
		t.Fatalf("%d markers", len(m))
	}
	for i, x := range m {
		if x.Index != i {
			t.Fatalf("marker %d has index %d", i, x.Index)
		}
	}
	if m[3].Name != "v" {
		t.Fatalf("named marker %+v", m[3])
	}
	for _, s := range b.Statements {
		if len(s.BindMarkers()) != 0 {
			t.Fatalf("child %s has its own markers", s)
		}
	}
}

func TestCreateTableKey(t *testing.T) {
	cases := []struct {
		in                    string
		partition, clustering []string
	}{
		{"CREATE TABLE t (k int PRIMARY KEY, v int)", []string{"k"}, nil},
		{"CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))", []string{"k"}, []string{"c"}},
		{"CREATE TABLE t (a int, b int, c int, d int, PRIMARY KEY ((a, b), c, d))", []string{"a", "b"}, []string{"c", "d"}},
	}
	for _, c := range cases {
		p, cl := mustParse(t, c.in).(*CreateTable).Key()
		if !reflect.DeepEqual(p, c.partition) || !reflect.DeepEqual(cl, c.clustering) {
			t.Errorf("%s: got %v %v", c.in, p, cl)
		}
	}
	s := mustParse(t, "CREATE TABLE t (k int, c int, s set<int> STATIC, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'x'").(*CreateTable)
	if !s.Columns[2].Static || s.Columns[2].Type.String() != "set<int>" {
		t.Fatalf("static column %+v", s.Columns[2])
	}
	if !s.ClusteringOrder[0].Desc || s.Options[0].Name != "comment" {
		t.Fatalf("options %v %v", s.ClusteringOrder, s.Options)
	}
}

func TestTypes(t *testing.T) {
	cases := map[string]string{
		"int":                            "int",
		"TEXT":                           "text",
		"frozen<map<text, list<int>>>":   "frozen<map<text, list<int>>>",
		"tuple<int, frozen<tuple<int>>>": "tuple<int, frozen<tuple<int>>>",
		"ks.Address":                     "ks.address",
		`"MyType"`:                       `"MyType"`,
		"'org.apache.cassandra.db.marshal.BytesType'": "'org.apache.cassandra.db.marshal.BytesType'",
	}
	for in, want := range cases {
		s := mustParse(t, "CREATE TYPE x (f "+in+")").(*CreateType)
		if got := s.Fields[0].Type.String(); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestDescribeShape(t *testing.T) {
	cases := []struct {
		in   string
		want Describe
	}{
		{"DESCRIBE FULL SCHEMA", Describe{Kind: DescribeSchema, Full: true}},
		{"desc keyspaces", Describe{Kind: DescribeKeyspaces}},
		{"DESCRIBE ONLY KEYSPACE ks WITH INTERNALS", Describe{Kind: DescribeKeyspace, Only: true, Internals: true, Name: &TableName{Name: "ks"}}},
		{"DESCRIBE TABLE ks.t", Describe{Kind: DescribeTable, Name: &TableName{Keyspace: "ks", Name: "t"}}},
		{"DESCRIBE t", Describe{Kind: DescribeName, Name: &TableName{Name: "t"}}},
		{"DESCRIBE CLUSTER", Describe{Kind: DescribeCluster}},
		{"DESCRIBE MATERIALIZED VIEW v", Describe{Kind: DescribeView, Name: &TableName{Name: "v"}}},
	}
	for _, c := range cases {
		got := mustParse(t, c.in).(*Describe)
		clearPositions(got)
		got.Markers = nil
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.in, *got, c.want)
		}
	}
}

func TestPositions(t *testing.T) {
	s := mustParse(t, "SELECT a,\n  b FROM t\nWHERE k = ?").(*Select)
	checks := []struct {
		n    Node
		want Pos
	}{
		{s, Pos{1, 1}},
		{s.Selectors[0], Pos{1, 8}},
		{s.Selectors[1].Expr, Pos{2, 3}},
		{s.Table, Pos{2, 10}},
		{s.Where[0], Pos{3, 7}},
		{s.Where[0].Value, Pos{3, 11}},
	}
	for i, c := range checks {
		if got := c.n.Position(); got != c.want {
			t.Errorf("check %d (%s): got %v, want %v", i, c.n, got, c.want)
		}
	}
	// Every node carries a position.
	for _, src := range roundTripCases {
		Inspect(mustParse(t, src), func(n Node) bool {
			if n.Position().Line == 0 {
				t.Errorf("%q: node %T %s has no position", src, n, n)
			}
			return true
		})
	}
}

func TestInspectVisitsMarkers(t *testing.T) {
	for _, src := range roundTripCases {
		s := mustParse(t, src)
		var seen []*BindMarker
		Inspect(s, func(n Node) bool {
			if m, ok := n.(*BindMarker); ok {
				seen = append(seen, m)
			}
			return true
		})
		if len(seen) != len(s.BindMarkers()) {
			t.Errorf("%q: Inspect saw %d markers, BindMarkers has %d", src, len(seen), len(s.BindMarkers()))
			continue
		}
		for i := range seen {
			if seen[i] != s.BindMarkers()[i] {
				t.Errorf("%q: marker %d out of source order", src, i)
			}
		}
	}
}

func TestParseAll(t *testing.T) {
	list, err := ParseAll("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\n-- comment\nUSE k;;\nINSERT INTO t (a) VALUES (?);\nSELECT * FROM t WHERE a = ?")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 {
		t.Fatalf("got %d statements", len(list))
	}
	if m := list[3].BindMarkers(); len(m) != 1 || m[0].Index != 0 {
		t.Fatalf("markers of the last statement: %v", m)
	}
	if list, err := ParseAll("  ;; -- nothing\n"); err != nil || len(list) != 0 {
		t.Fatalf("empty script: %v %v", list, err)
	}
	if _, err := ParseAll("USE k; SELECT * FORM t"); err == nil || err.Error() != "line 1:17 mismatched input 'FORM' expecting FROM" {
		t.Fatalf("got %v", err)
	}
	if _, err := ParseAll("USE k USE j"); err == nil || err.Error() != "line 1:7 mismatched input 'USE' expecting ';'" {
		t.Fatalf("got %v", err)
	}
}

func TestQuoteIdent(t *testing.T) {
	cases := map[string]string{
		"abc": "abc", "Abc": `"Abc"`, "select": `"select"`, "key": "key",
		"a b": `"a b"`, `a"b`: `"a""b"`, "": `""`, "1a": `"1a"`, "a_1": "a_1",
	}
	for in, want := range cases {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	src := "-- header\nCONSISTENCY QUORUM;\nSELECT ';' FROM t; /* c */ ;\n" +
		"BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE t SET v = 1 WHERE k = 1; APPLY BATCH;\n" +
		"INSERT INTO t (k, \"a;b\") VALUES ($$x;y$$, 1) -- tail"
	got, err := SplitStatements(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CONSISTENCY QUORUM",
		"SELECT ';' FROM t",
		"BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE t SET v = 1 WHERE k = 1; APPLY BATCH",
		`INSERT INTO t (k, "a;b") VALUES ($$x;y$$, 1)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if _, err := SplitStatements("SELECT 'unterminated; SELECT 1"); err == nil {
		t.Fatal("no error for an unterminated string")
	}
	if got, err := SplitStatements(" ; -- only comments\n"); err != nil || len(got) != 0 {
		t.Fatalf("got %q %v", got, err)
	}
}

// TestPrintIncompleteTrees checks that printing never panics on trees with
// missing parts, such as one an executor builds by hand.
func TestPrintIncompleteTrees(t *testing.T) {
	all := []Node{
		&Literal{}, &Null{}, &BindMarker{}, &ListLit{Elems: []Expr{nil}}, &SetLit{}, &MapLit{Entries: []*MapEntry{nil, {}}},
		&MapEntry{}, &TupleLit{}, &UDTLit{Fields: []*UDTField{nil, {}}}, &UDTField{}, &FunctionCall{Args: []Expr{nil}},
		&TypeHint{}, &Cast{}, &ColumnRef{}, &Star{}, &FieldAccess{}, &IndexExpr{}, &TypeRef{Args: []*TypeRef{nil}},
		&TableName{}, &Property{}, &UsingParam{}, &Relation{Columns: []*ColumnRef{nil}}, &Relation{Op: OpIn},
		&Target{}, &Condition{}, &Ordering{}, &Selector{}, &Assignment{Op: AssignAdd}, &Assignment{Op: AssignPrepend},
		&Select{Selectors: []*Selector{nil}, Where: []*Relation{nil}, OrderBy: []*Ordering{nil}, GroupBy: []*ColumnRef{nil}},
		&Insert{Using: Using{nil}}, &Update{Set: []*Assignment{nil}, Conditions: []*Condition{nil}}, &Delete{Targets: []*Target{nil}},
		&Batch{Statements: []Statement{nil}}, &Use{}, &Truncate{}, &CreateKeyspace{Options: []*Property{nil}},
		&AlterKeyspace{}, &DropKeyspace{}, &ColumnDef{}, &CreateTable{Columns: []*ColumnDef{nil}, PartitionKey: []*ColumnRef{nil}},
		&AlterTable{Kind: AlterTableAdd, Add: []*ColumnDef{nil}}, &AlterTable{Kind: AlterTableDrop}, &AlterTable{Kind: AlterTableRename, Renames: []*Rename{nil}},
		&Rename{}, &DropTable{}, &FieldDef{}, &CreateType{Fields: []*FieldDef{nil}}, &AlterType{Kind: AlterTypeAdd}, &AlterType{Kind: AlterTypeRename},
		&DropType{}, &Describe{}, &Describe{Kind: DescribeName, Name: &TableName{}},
	}
	for _, n := range all {
		_ = n.String()
		Inspect(n, func(Node) bool { return true })
	}
	var nilSelect *Select
	if got := nilSelect.String(); got != "" {
		t.Fatalf("nil select printed %q", got)
	}
}
