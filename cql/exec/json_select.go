package exec

import (
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// SELECT JSON and the toJson() and fromJson() functions.
//
// SELECT JSON runs the SELECT as written and then turns each result row
// into one text column named [json]: an object whose keys are the result
// columns' names (aliases included; a case-sensitive name in double
// quotes, as INSERT JSON reads it back) and whose values are the
// columns' JSON (json_encode.go), in the select list's order — for
// SELECT JSON *, the table's SELECT * order.
//
// toJson(x) is a selector: the JSON text of x's value, "null" for null.
// fromJson(text) is a term: the JSON decoded as the type of whatever
// receives it (a column, a WHERE relation, a function parameter), null
// for JSON null; it cannot be used where no type receives it, so not in
// the select list. It fails with FunctionFailure, as Cassandra's
// FromJsonFct (INSERT JSON's errors are Invalid).

// jsonColumn is the one column of a SELECT JSON result.
func jsonColumn(t *tableInfo) ColumnSpec {
	return ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "[json]", Type: schema.TextType}
}

// asJSON makes st a SELECT JSON: its result is the [json] column, and
// jsonOf keeps the columns each row is made of.
func (st *selectStmt) asJSON() {
	st.jsonOf, st.specs = st.specs, []ColumnSpec{jsonColumn(st.table)}
}

// jsonRows turns result rows of the columns cols into SELECT JSON rows.
func jsonRows(cols []ColumnSpec, rows [][][]byte) [][][]byte {
	out := make([][][]byte, len(rows))
	for i, r := range rows {
		out[i] = [][]byte{[]byte(rowJSON(cols, r))}
	}
	return out
}

// rowJSON is Cassandra's Selection.rowToJson: a null value is null and an
// empty one "" whatever its type.
func rowJSON(cols []ColumnSpec, row [][]byte) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		writeJSONString(&b, jsonName(c.Name))
		b.WriteString(": ")
		var v []byte
		if i < len(row) {
			v = row[i]
		}
		switch {
		case v == nil:
			b.WriteString("null")
		case len(v) == 0:
			b.WriteString(`""`)
		default:
			b.WriteString(toJSON(c.Type, v))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// compileJSONSelector compiles toJson() and fromJson() in a select list.
func (a *analyzer) compileJSONSelector(st *selectStmt, x *parser.FunctionCall, name string) (selector, error) {
	if name == "fromjson" {
		return nil, invalidf("fromJson() cannot be used in the selection clause of a SELECT statement")
	}
	if len(x.Args) != 1 {
		return nil, invalidf("toJson() only accepts one argument (got %d)", len(x.Args))
	}
	var arg selector
	var err error
	if isTermExpr(x.Args[0]) {
		// Only a hinted term has a type toJson can encode by.
		arg, err = a.compileTermSelector(st, x.Args[0], nil)
	} else {
		arg, err = a.compileSelector(st, x.Args[0])
	}
	if err != nil {
		return nil, err
	}
	t := arg.typ()
	fn := func(_ *bindEnv, vals [][]byte) ([]byte, error) {
		return []byte(toJSON(t, vals[0])), nil
	}
	if agg := aggregateOf([]selector{arg}, schema.TextType, fn); agg != nil {
		return agg, nil
	}
	return scalarFuncSelector{args: []selector{arg}, ret: schema.TextType, fn: fn}, nil
}

// compileJSONFunctionTerm compiles toJson() and fromJson() as a term
// received by spec; ok is false for any other function.
func (a *analyzer) compileJSONFunctionTerm(x *parser.FunctionCall, name string, spec ColumnSpec) (t term, ok bool, err error) {
	switch name {
	case "tojson":
		return nil, true, invalidf("toJson() may only be used within the selection clause of SELECT statements")
	case "fromjson":
	default:
		return nil, false, nil
	}
	if len(x.Args) != 1 {
		return nil, true, invalidf("fromJson() only accepts one argument (got %d)", len(x.Args))
	}
	as := ColumnSpec{Keyspace: spec.Keyspace, Table: spec.Table, Name: "arg0(system.fromjson)", Type: schema.TextType}
	arg, err := a.compileTerm(x.Args[0], as)
	if err != nil {
		return nil, true, err
	}
	return fromJSONTerm{arg: arg, typ: spec.Type}, true, nil
}

// fromJSONTerm is fromJson(arg) received as typ.
type fromJSONTerm struct {
	arg term
	typ *schema.Type
}

func (f fromJSONTerm) eval(env *bindEnv) ([]byte, bool, error) {
	v, unset, err := f.arg.eval(env)
	if err != nil || v == nil {
		return nil, false, err
	}
	if unset {
		return nil, false, invalidf("Invalid unset value for argument in call to function fromjson")
	}
	doc, err := decodeJSON(string(v))
	if err != nil {
		return nil, false, fromJSONFailure("Could not decode JSON string '%s': %s", string(v), jsonSyntaxMessage(err))
	}
	if doc == nil {
		return nil, false, nil
	}
	b, err := fromJSON(f.typ, doc)
	if err != nil {
		// Cassandra's FunctionExecutionException.create: the cause's
		// toString, class name included.
		return nil, false, fromJSONFailure("org.apache.cassandra.serializers.MarshalException: %s", errMessage(err))
	}
	return b, false, nil
}

// fromJSONFailure is the FunctionFailure error fromJson() fails with, as
// Cassandra's FunctionExecutionException words it.
func fromJSONFailure(format string, args ...any) *Error {
	e := invalidf("execution of 'system.fromjson[text]' failed: "+format, args...)
	e.Code, e.Keyspace, e.Function, e.ArgTypes = CodeFunctionFailure, "system", "fromjson", []string{"text"}
	return e
}
