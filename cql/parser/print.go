package parser

import (
	"strings"
)

// This file prints the AST back as canonical CQL: keywords in upper case,
// names quoted only when needed, single spaces, ", " between list items.
// Parsing the output gives back an equal tree (positions aside); the tests
// and FuzzRoundTrip hold that property.

// printer accumulates output. Every node has a print method that appends
// itself, so nested nodes share one buffer.
type printer struct {
	strings.Builder
}

func nodeString(n interface{ print(*printer) }) string {
	var p printer
	n.print(&p)
	return p.String()
}

// QuoteIdent returns name as it must be written in CQL: unchanged when it
// is a lower-case unquoted identifier that is not a reserved word, else
// double-quoted with " doubled.
func QuoteIdent(name string) string {
	if !needsQuotes(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func needsQuotes(name string) bool {
	if name == "" {
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
		case (c >= '0' && c <= '9') || c == '_':
			if i == 0 {
				return true
			}
		default:
			return true
		}
	}
	return isReserved(name) || isAmbiguous(name)
}

// isAmbiguous reports whether an unreserved word reads as a keyword in
// some position (SELECT json ..., SELECT cast(...), x AS as), so printing
// quotes it to keep the round trip exact.
func isAmbiguous(name string) bool {
	switch name {
	case "as", "json", "distinct", "cast":
		return true
	}
	return false
}

// QuoteString returns s as a CQL string literal: single-quoted, with '
// doubled.
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (p *printer) ident(name string) {
	if !needsQuotes(name) {
		p.WriteString(name)
		return
	}
	p.WriteByte('"')
	p.WriteString(strings.ReplaceAll(name, `"`, `""`))
	p.WriteByte('"')
}

func (p *printer) exprs(list []Expr) {
	for i, e := range list {
		if i > 0 {
			p.WriteString(", ")
		}
		p.expr(e)
	}
}

// expr prints any node; nil prints nothing, so printing a tree that is
// still being built (or was built by hand) never panics.
func (p *printer) expr(e Node) {
	if pr, ok := e.(interface{ print(*printer) }); ok {
		pr.print(p)
	}
}

func (p *printer) columns(list []*ColumnRef) {
	for i, c := range list {
		if i > 0 {
			p.WriteString(", ")
		}
		c.print(p)
	}
}

func (p *printer) properties(list []*Property) {
	for i, o := range list {
		if i > 0 {
			p.WriteString(" AND ")
		}
		o.print(p)
	}
}

func (p *printer) using(u Using) {
	if len(u) == 0 {
		return
	}
	p.WriteString(" USING ")
	for i, o := range u {
		if i > 0 {
			p.WriteString(" AND ")
		}
		o.print(p)
	}
}

func (p *printer) where(list []*Relation) {
	if len(list) == 0 {
		return
	}
	p.WriteString(" WHERE ")
	for i, r := range list {
		if i > 0 {
			p.WriteString(" AND ")
		}
		r.print(p)
	}
}

func (p *printer) conditions(ifExists bool, list []*Condition) {
	if ifExists {
		p.WriteString(" IF EXISTS")
		return
	}
	if len(list) == 0 {
		return
	}
	p.WriteString(" IF ")
	for i, c := range list {
		if i > 0 {
			p.WriteString(" AND ")
		}
		c.print(p)
	}
}

// ---------------------------------------------------------------------------
// Terms

func (n *Literal) String() string { return nodeString(n) }
func (n *Literal) print(p *printer) {
	if n == nil {
		return
	}
	if n.Kind == LitString {
		p.WriteString(QuoteString(n.Val))
		return
	}
	p.WriteString(n.Val)
}

func (n *Null) String() string       { return "NULL" }
func (n *Null) print(p *printer)     { p.WriteString("NULL") }
func (n *Star) String() string       { return "*" }
func (n *Star) print(p *printer)     { p.WriteByte('*') }
func (n *BindMarker) String() string { return nodeString(n) }
func (n *BindMarker) print(p *printer) {
	if n == nil {
		return
	}
	if n.Name == "" {
		p.WriteByte('?')
		return
	}
	p.WriteByte(':')
	p.ident(n.Name)
}

func (n *ListLit) String() string { return nodeString(n) }
func (n *ListLit) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteByte('[')
	p.exprs(n.Elems)
	p.WriteByte(']')
}

func (n *SetLit) String() string { return nodeString(n) }
func (n *SetLit) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteByte('{')
	p.exprs(n.Elems)
	p.WriteByte('}')
}

func (n *MapEntry) String() string { return nodeString(n) }
func (n *MapEntry) print(p *printer) {
	if n == nil {
		return
	}
	p.expr(n.Key)
	p.WriteString(": ")
	p.expr(n.Value)
}

func (n *MapLit) String() string { return nodeString(n) }
func (n *MapLit) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteByte('{')
	for i, e := range n.Entries {
		if i > 0 {
			p.WriteString(", ")
		}
		e.print(p)
	}
	p.WriteByte('}')
}

func (n *TupleLit) String() string { return nodeString(n) }
func (n *TupleLit) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteByte('(')
	p.exprs(n.Elems)
	p.WriteByte(')')
}

func (n *UDTField) String() string { return nodeString(n) }
func (n *UDTField) print(p *printer) {
	if n == nil {
		return
	}
	p.ident(n.Name)
	p.WriteString(": ")
	p.expr(n.Value)
}

func (n *UDTLit) String() string { return nodeString(n) }
func (n *UDTLit) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteByte('{')
	for i, f := range n.Fields {
		if i > 0 {
			p.WriteString(", ")
		}
		f.print(p)
	}
	p.WriteByte('}')
}

func (n *FunctionCall) String() string { return nodeString(n) }
func (n *FunctionCall) print(p *printer) {
	if n == nil {
		return
	}
	if n.Keyspace != "" {
		p.ident(n.Keyspace)
		p.WriteByte('.')
	}
	p.functionName(n.Name)
	p.WriteByte('(')
	p.exprs(n.Args)
	p.WriteByte(')')
}

// functionName prints a function name. The reserved word token and the
// keywords that name built-in selectors are valid unquoted there.
func (p *printer) functionName(name string) {
	switch name {
	case "token", "writetime", "ttl", "count", "maxwritetime":
		p.WriteString(name)
	default:
		p.ident(name)
	}
}

func (n *TypeHint) String() string { return nodeString(n) }
func (n *TypeHint) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteByte('(')
	n.Type.print(p)
	p.WriteString(") ")
	p.expr(n.Expr)
}

func (n *Cast) String() string { return nodeString(n) }
func (n *Cast) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("CAST(")
	p.expr(n.Expr)
	p.WriteString(" AS ")
	n.Type.print(p)
	p.WriteByte(')')
}

func (n *ColumnRef) String() string { return nodeString(n) }
func (n *ColumnRef) print(p *printer) {
	if n != nil {
		p.ident(n.Name)
	}
}

func (n *FieldAccess) String() string { return nodeString(n) }
func (n *FieldAccess) print(p *printer) {
	if n == nil {
		return
	}
	p.expr(n.Expr)
	p.WriteByte('.')
	p.ident(n.Field)
}

func (n *IndexExpr) String() string { return nodeString(n) }
func (n *IndexExpr) print(p *printer) {
	if n == nil {
		return
	}
	p.expr(n.Expr)
	p.WriteByte('[')
	p.expr(n.Key)
	if n.Slice {
		p.WriteString("..")
		p.expr(n.To)
	}
	p.WriteByte(']')
}

// ---------------------------------------------------------------------------
// Types, names, clauses

func (n *TypeRef) String() string { return nodeString(n) }
func (n *TypeRef) print(p *printer) {
	if n == nil {
		return
	}
	if n.Name == "" {
		p.WriteString(QuoteString(n.Custom))
		return
	}
	if n.Keyspace != "" {
		p.ident(n.Keyspace)
		p.WriteByte('.')
	}
	switch {
	case n.Keyspace != "" || !isTypeKeyword(n.Name):
		p.ident(n.Name)
	case len(n.Args) == 0 && isParameterizedType(n.Name):
		// A user type named like a collection: quote it, or it would
		// reparse as the collection missing its arguments.
		p.WriteString(`"` + n.Name + `"`)
	default:
		p.WriteString(n.Name)
	}
	if len(n.Args) == 0 {
		return
	}
	p.WriteByte('<')
	for i, a := range n.Args {
		if i > 0 {
			p.WriteString(", ")
		}
		a.print(p)
	}
	p.WriteByte('>')
}

func (n *TableName) String() string { return nodeString(n) }
func (n *TableName) print(p *printer) {
	if n == nil {
		return
	}
	if n.Keyspace != "" {
		p.ident(n.Keyspace)
		p.WriteByte('.')
	}
	p.ident(n.Name)
}

func (n *Property) String() string { return nodeString(n) }
func (n *Property) print(p *printer) {
	if n == nil {
		return
	}
	p.ident(n.Name)
	p.WriteString(" = ")
	p.expr(n.Value)
}

func (n *UsingParam) String() string { return nodeString(n) }
func (n *UsingParam) print(p *printer) {
	if n == nil {
		return
	}
	if n.Kind == UsingTTL {
		p.WriteString("TTL ")
	} else {
		p.WriteString("TIMESTAMP ")
	}
	p.expr(n.Value)
}

var operatorText = [...]string{
	OpEq: "=", OpLt: "<", OpLte: "<=", OpGt: ">", OpGte: ">=", OpNeq: "!=",
	OpIn: "IN", OpContains: "CONTAINS", OpContainsKey: "CONTAINS KEY",
	OpLike: "LIKE", OpIsNotNull: "IS NOT NULL",
}

// String returns the operator as CQL writes it.
func (o Operator) String() string {
	if int(o) < len(operatorText) && operatorText[o] != "" {
		return operatorText[o]
	}
	return "?op"
}

func (n *Relation) String() string { return nodeString(n) }
func (n *Relation) print(p *printer) {
	if n == nil {
		return
	}
	switch {
	case n.Token:
		p.WriteString("token(")
		p.columns(n.Columns)
		p.WriteByte(')')
	case n.Tuple:
		p.WriteByte('(')
		p.columns(n.Columns)
		p.WriteByte(')')
	default:
		p.columns(n.Columns)
		if n.MapKey != nil {
			p.WriteByte('[')
			p.expr(n.MapKey)
			p.WriteByte(']')
		}
	}
	p.rhs(n.Op, n.Value, n.Values)
}

// rhs prints an operator and its operand(s), shared by Relation and
// Condition.
func (p *printer) rhs(op Operator, value Expr, values []Expr) {
	p.WriteByte(' ')
	p.WriteString(op.String())
	if op == OpIsNotNull {
		return
	}
	p.WriteByte(' ')
	if op == OpIn && value == nil {
		p.WriteByte('(')
		p.exprs(values)
		p.WriteByte(')')
		return
	}
	p.expr(value)
}

func (n *Target) String() string { return nodeString(n) }
func (n *Target) print(p *printer) {
	if n == nil {
		return
	}
	p.ident(n.Column)
	switch {
	case n.Key != nil:
		p.WriteByte('[')
		p.expr(n.Key)
		p.WriteByte(']')
	case n.Field != "":
		p.WriteByte('.')
		p.ident(n.Field)
	}
}

func (n *Condition) String() string { return nodeString(n) }
func (n *Condition) print(p *printer) {
	if n == nil {
		return
	}
	n.Target.print(p)
	p.rhs(n.Op, n.Value, n.Values)
}

func (n *Ordering) String() string { return nodeString(n) }
func (n *Ordering) print(p *printer) {
	if n == nil {
		return
	}
	n.Column.print(p)
	if n.Desc {
		p.WriteString(" DESC")
	} else {
		p.WriteString(" ASC")
	}
}

func (n *Selector) String() string { return nodeString(n) }
func (n *Selector) print(p *printer) {
	if n == nil {
		return
	}
	p.expr(n.Expr)
	if n.Alias != "" {
		p.WriteString(" AS ")
		p.ident(n.Alias)
	}
}

func firstName(t *TableName) string {
	if t.Keyspace != "" {
		return t.Keyspace
	}
	return t.Name
}

func isParameterizedType(name string) bool {
	switch name {
	case "list", "set", "map", "frozen", "tuple", "vector":
		return true
	}
	return false
}

// targetColumn prints the column of an assignment's target.
func (p *printer) targetColumn(t *Target) {
	if t != nil {
		p.ident(t.Column)
	}
}
