package exec

import (
	"github.com/sibyldb/sibyl/cql/parser"
)

// INSERT JSON: INSERT INTO t JSON '{"k": 1, "v": "x"}' [DEFAULT NULL |
// DEFAULT UNSET], or JSON ? with the document bound as text.
//
// As Cassandra's InsertStatement.ParsedInsertJson, the statement writes
// every column of the table: a column the document names gets its value
// (JSON null is null), one it leaves out gets null — a tombstone — or,
// with DEFAULT UNSET, is left alone. Key columns become the statement's
// key, so a missing one fails as a null key does ("Invalid null value in
// condition for column k"). Keys of the document are column names as
// INSERT JSON reads them (Json.handleCaseSensitivity): "\"Foo\"" is the
// case-sensitive Foo, any other key is folded to lower case.
//
// A literal document is decoded once, at PREPARE; a bound one on each
// execution, once for all the columns (bindEnv.json).

func (a *analyzer) analyzeInsertJSON(s *parser.Insert) (*writeStmt, error) {
	t, err := a.lookupWritable(s.Table)
	if err != nil {
		return nil, err
	}
	if t.isCounter() {
		// Cassandra's ParsedInsertJson checks the table before the document.
		return nil, errInsertIntoCounterTable()
	}
	w := &writeStmt{table: t, insert: true, where: &whereClause{cols: map[string]*restriction{}}}
	var literal map[string][]byte
	switch x := s.JSON.(type) {
	case *parser.Literal:
		if literal, err = jsonColumnValues(x.Val, t); err != nil {
			return nil, err
		}
	case *parser.BindMarker:
		if err := a.bindMarker(x, jsonColumn(t)); err != nil {
			return nil, err
		}
	default:
		return nil, invalidf("Invalid JSON value %s", s.JSON.String())
	}
	for _, c := range t.Columns {
		var tm term
		if m, ok := s.JSON.(*parser.BindMarker); ok {
			tm = jsonBoundTerm{index: m.Index, table: t, col: c.Name, defaultUnset: s.DefaultUnset}
		} else {
			tm = jsonLiteralTerm(literal, c.Name, s.DefaultUnset)
		}
		if c.isKey() {
			w.where.cols[c.Name] = &restriction{col: c, eq: tm}
			continue
		}
		if c.Type.IsCounter() {
			return nil, invalidf("Cannot set the value of counter column %s in JSON", c.Name)
		}
		w.ops = append(w.ops, &colOp{col: c, kind: opSet, value: tm})
	}
	if w.cas, err = a.compileCAS(t, "INSERT", s.IfNotExists, false, nil, s.Using.Timestamp()); err != nil {
		return nil, err
	}
	return w, a.compileUsing(w, s.Using, true)
}

// unsetTerm is a value left unset: the operation is skipped.
type unsetTerm struct{}

func (unsetTerm) eval(*bindEnv) ([]byte, bool, error) { return nil, true, nil }

func jsonLiteralTerm(vals map[string][]byte, col string, defaultUnset bool) term {
	if v, ok := vals[col]; ok {
		return constTerm{v}
	}
	if defaultUnset {
		return unsetTerm{}
	}
	return constTerm{nil}
}

// jsonBoundTerm is one column's value in a document bound to marker
// index.
type jsonBoundTerm struct {
	index        int
	table        *tableInfo
	col          string
	defaultUnset bool
}

func (j jsonBoundTerm) eval(env *bindEnv) ([]byte, bool, error) {
	vals, err := env.jsonDocument(j.index, j.table)
	if err != nil {
		return nil, false, err
	}
	if v, ok := vals[j.col]; ok {
		return v, false, nil
	}
	return nil, j.defaultUnset, nil
}

// jsonDoc is a bound INSERT JSON document, decoded into column values.
type jsonDoc struct {
	raw  []byte
	vals map[string][]byte
	err  error
}

// jsonDocument decodes the document bound to marker index once per
// execution.
func (env *bindEnv) jsonDocument(index int, t *tableInfo) (map[string][]byte, error) {
	if index >= len(env.values) {
		return nil, invalidf("There were %d markers(?) in CQL but %d bound variables", index+1, len(env.values))
	}
	v := env.values[index]
	if v.Unset || v.Bytes == nil {
		return nil, invalidf("Got null for INSERT JSON values")
	}
	if d, ok := env.json[index]; ok && string(d.raw) == string(v.Bytes) {
		return d.vals, d.err
	}
	if env.json == nil {
		env.json = map[int]*jsonDoc{}
	}
	vals, err := jsonColumnValues(string(v.Bytes), t)
	env.json[index] = &jsonDoc{raw: v.Bytes, vals: vals, err: err}
	return vals, err
}

// jsonColumnValues is Cassandra's Json.parseJson: the document must be an
// object; each key names a column (after case folding) and its value is
// converted to the column's type. The map holds the columns the document
// names, nil for JSON null.
func jsonColumnValues(text string, t *tableInfo) (map[string][]byte, error) {
	doc, err := decodeJSON(text)
	if err != nil {
		return nil, invalidf("Could not decode JSON string as a map: %s. (String was: %s)", jsonSyntaxMessage(err), text)
	}
	if doc == nil {
		return nil, invalidf("Got null for INSERT JSON values")
	}
	obj, ok := doc.(*jsonObject)
	if !ok {
		return nil, invalidf("Could not decode JSON string as a map: expected an object, but got a %s. (String was: %s)", javaClass(doc), text)
	}
	fields := caseFolded(obj)
	vals := make(map[string][]byte, len(fields.keys))
	for _, c := range t.Columns {
		v, ok := fields.remove(c.Name)
		if !ok {
			continue
		}
		if v == nil {
			vals[c.Name] = nil
			continue
		}
		b, err := fromJSON(c.Type, v)
		if err != nil {
			return nil, invalidf("Error decoding JSON value for %s: %s", c.Name, errMessage(err))
		}
		vals[c.Name] = b
	}
	if len(fields.keys) > 0 {
		return nil, invalidf("JSON values map contains unrecognized column: %s", fields.keys[0])
	}
	return vals, nil
}

func errMessage(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message
	}
	return err.Error()
}
