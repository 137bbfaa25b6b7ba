package parser

import (
	"strings"
)

// maxDepth bounds the nesting of terms, selectors and types, so crafted
// input cannot exhaust the stack (vitess stops at 200; CQL needs far less).
const maxDepth = 100

// Parse parses one CQL statement, optionally followed by semicolons.
func Parse(src string) (Statement, error) {
	p := newParser(src)
	s := p.parseStatement()
	for p.acceptPunct(";") {
	}
	if p.err == nil && p.tok().kind != tokEOF {
		p.failExpected("<EOF>")
	}
	if p.err != nil {
		return nil, p.err
	}
	return s, nil
}

// ParseAll parses a script: statements separated by semicolons, as cqlsh's
// SOURCE reads them. Empty statements are skipped. Each statement numbers
// its own bind markers from 0.
func ParseAll(src string) ([]Statement, error) {
	p := newParser(src)
	var out []Statement
	for p.err == nil {
		for p.acceptPunct(";") {
		}
		if p.tok().kind == tokEOF {
			break
		}
		p.markers = nil
		s := p.parseStatement()
		if p.err != nil {
			break
		}
		out = append(out, s)
		if p.tok().kind != tokEOF && !p.isPunct(";") {
			p.failExpected("';'")
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return out, nil
}

// lookahead is the capacity of the token window; the grammar needs at most
// five tokens (isTypeHintAhead peeks four ahead).
const lookahead = 8

// parser is the state of one parse. It pulls tokens from the lexer on
// demand into a small window, so a malformed statement fails after reading
// only as far as the error, whatever its length, and no token array
// proportional to the input is ever built.
type parser struct {
	src     string
	lex     lexer
	window  [lookahead]token // ring buffer of the tokens read ahead
	head, n int              // first buffered token and count
	atEOF   bool             // the lexer has returned tokEOF (last in window)
	err     *Error           // sticky: once set, the parser sits at EOF
	markers []*BindMarker
	depth   int
}

func newParser(src string) *parser {
	return &parser{src: src, lex: lexer{src: src, line: 1, col: 1}}
}

// ---------------------------------------------------------------------------
// Token access. After an error every accessor sees EOF, so loops end and
// callers unwind without checking at every step. A lexical error met while
// reading ahead becomes the parse error.

func (p *parser) tok() token { return p.peek(0) }

// peek returns the token k places after the current one (k < lookahead).
func (p *parser) peek(k int) token {
	for p.err == nil && p.n <= k {
		if p.atEOF {
			return p.window[(p.head+p.n-1)%lookahead]
		}
		t, err := p.lex.next()
		if err != nil {
			p.setErr(err)
			break
		}
		p.window[(p.head+p.n)%lookahead] = t
		p.n++
		p.atEOF = t.kind == tokEOF
	}
	if p.err != nil {
		return token{kind: tokEOF, pos: p.lex.pos()}
	}
	return p.window[(p.head+k)%lookahead]
}

// advance moves past the current token; it never moves past EOF.
func (p *parser) advance() {
	if p.tok().kind == tokEOF {
		return
	}
	p.head = (p.head + 1) % lookahead
	p.n--
}

// found is the text of the current token as written, for error messages.
func (p *parser) found() string {
	t := p.tok()
	if t.kind == tokEOF {
		return "<EOF>"
	}
	if t.end-t.off > MaxEcho {
		// Clip the source text rather than a rebuilt copy of a long
		// string or name.
		return Clip(p.src[t.off:t.end])
	}
	return p.rawText(t)
}

// rawText returns the source text of t (strings with their quotes).
func (p *parser) rawText(t token) string {
	switch t.kind {
	case tokString:
		return QuoteString(t.text)
	case tokQuotedIdent:
		return `"` + strings.ReplaceAll(t.text, `"`, `""`) + `"`
	}
	return t.text
}

func (p *parser) isKw(kw string) bool {
	t := p.tok()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) peekKw(k int, kw string) bool {
	t := p.peek(k)
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) bool {
	if p.acceptKw(kw) {
		return true
	}
	p.failExpected(strings.ToUpper(kw))
	return false
}

// acceptKws accepts a sequence of keywords (IF NOT EXISTS) when all are
// present, and fails when only a prefix is.
func (p *parser) acceptKws(kws ...string) bool {
	if !p.isKw(kws[0]) {
		return false
	}
	for _, kw := range kws {
		if !p.expectKw(kw) {
			return false
		}
	}
	return true
}

func (p *parser) isPunct(s string) bool {
	t := p.tok()
	return t.kind == tokPunct && t.text == s
}

func (p *parser) peekPunct(k int, s string) bool {
	t := p.peek(k)
	return t.kind == tokPunct && t.text == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) bool {
	if p.acceptPunct(s) {
		return true
	}
	p.failExpected("'" + s + "'")
	return false
}

// ---------------------------------------------------------------------------
// Errors

func (p *parser) setErr(e *Error) {
	if p.err == nil {
		p.err = e
	}
}

// failExpected records "mismatched input 'x' expecting what" at the
// current token.
func (p *parser) failExpected(expected ...string) {
	if p.err != nil {
		return
	}
	t := p.tok()
	p.setErr(&Error{Pos: t.pos, Found: p.found(), Expected: expected})
}

// failAt records a free-form message at pos.
func (p *parser) failAt(pos Pos, msg string) {
	if p.err != nil {
		return
	}
	p.setErr(&Error{Pos: pos, Found: p.found(), Msg: msg})
}

// unsupported records that a well-formed statement or clause is not
// implemented.
func (p *parser) unsupported(pos Pos, what string) {
	if p.err != nil {
		return
	}
	p.setErr(&Error{Pos: pos, Found: p.found(), Msg: what + " is not supported", Unsupported: true})
}

// enter and leave bound recursion depth.
func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxDepth {
		p.failAt(p.tok().pos, "nesting too deep")
		return false
	}
	return true
}

func (p *parser) leave() { p.depth-- }

// ---------------------------------------------------------------------------
// Names

// parseIdent parses an identifier: an unquoted word that is not reserved
// (folded to lower case) or a quoted name (kept as is). what names it in
// the error.
//
//	ident: IDENT | QUOTED_NAME | unreserved_keyword
func (p *parser) parseIdent(what string) (string, Pos) {
	t := p.tok()
	switch t.kind {
	case tokIdent:
		name := strings.ToLower(t.text)
		if isReserved(name) {
			break
		}
		p.advance()
		return name, t.pos
	case tokQuotedIdent:
		p.advance()
		return t.text, t.pos
	}
	p.failExpected(what)
	return "", t.pos
}

// isIdentAt reports whether the token k ahead is an identifier.
func (p *parser) isIdentAt(k int) bool {
	t := p.peek(k)
	switch t.kind {
	case tokQuotedIdent:
		return true
	case tokIdent:
		return !isReserved(strings.ToLower(t.text))
	}
	return false
}

// parseColumnRef parses a column name.
func (p *parser) parseColumnRef() *ColumnRef {
	name, pos := p.parseIdent("column name")
	return &ColumnRef{node: node{Pos: pos}, Name: name}
}

// parseColumnList parses cident (',' cident)*.
func (p *parser) parseColumnList() []*ColumnRef {
	list := []*ColumnRef{p.parseColumnRef()}
	for p.acceptPunct(",") {
		list = append(list, p.parseColumnRef())
	}
	return list
}

// parseTableName parses a table (or type) name.
//
//	columnFamilyName: (ksName '.')? cfName
func (p *parser) parseTableName() *TableName {
	pos := p.tok().pos
	name, _ := p.parseIdent("table name")
	t := &TableName{node: node{Pos: pos}, Name: name}
	if p.acceptPunct(".") {
		t.Keyspace = name
		t.Name, _ = p.parseIdent("table name")
	}
	return t
}

// ---------------------------------------------------------------------------
// Statements

// parseStatement dispatches on the first keyword.
//
//	cqlStatement: selectStatement | insertStatement | updateStatement
//	    | batchStatement | deleteStatement | useStatement | truncateStatement
//	    | createKeyspaceStatement | createTableStatement | ... | describeStatement
func (p *parser) parseStatement() Statement {
	t := p.tok()
	if t.kind != tokIdent {
		p.failExpected()
		return nil
	}
	s := p.parseStatementByKeyword(strings.ToLower(t.text))
	if p.err != nil || s == nil {
		return nil
	}
	setMarkers(s, p.markers)
	return s
}

// parseStatementByKeyword parses the statement that kw, the lower-cased
// first word, introduces.
func (p *parser) parseStatementByKeyword(kw string) Statement {
	switch kw {
	case "select":
		return p.parseSelect()
	case "insert":
		return p.parseInsert()
	case "update":
		return p.parseUpdate()
	case "delete":
		return p.parseDelete()
	case "begin":
		return p.parseBatch()
	case "use":
		return p.parseUse()
	case "truncate":
		return p.parseTruncate()
	case "create":
		return p.parseCreate()
	case "alter":
		return p.parseAlter()
	case "drop":
		return p.parseDrop()
	case "describe", "desc":
		return p.parseDescribe()
	case "grant":
		return p.parseGrant(false)
	case "revoke":
		return p.parseGrant(true)
	case "list":
		return p.parseList()
	}
	p.failExpected()
	return nil
}

// setMarkers stores the statement's bind markers in its Markers field.
func setMarkers(s Statement, m []*BindMarker) {
	type markerHolder interface{ setMarkers([]*BindMarker) }
	if h, ok := s.(markerHolder); ok {
		h.setMarkers(m)
	}
}

func (s *statement) setMarkers(m []*BindMarker) { s.Markers = m }

func stmtAt(pos Pos) statement { return statement{node: node{Pos: pos}} }
