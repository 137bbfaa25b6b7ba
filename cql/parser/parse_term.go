package parser

import (
	"strconv"
	"strings"
)

// parseTerm parses a value.
//
//	term: constant | NULL | bindMarker | collectionLiteral | tupleLiteral
//	    | usertypeLiteral | functionCall | '(' comparatorType ')' term
func (p *parser) parseTerm() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	t := p.tok()
	switch t.kind {
	case tokString:
		p.advance()
		return &Literal{node: node{Pos: t.pos}, Kind: LitString, Val: t.text}
	case tokInteger, tokFloat, tokUUID, tokBlob, tokDuration:
		p.advance()
		return p.numericLiteral(t)
	case tokIdent, tokQuotedIdent:
		return p.parseWordTerm()
	case tokPunct:
		return p.parsePunctTerm()
	}
	p.failExpected()
	return nil
}

var literalKinds = [...]LiteralKind{
	tokInteger: LitInteger, tokFloat: LitFloat, tokUUID: LitUUID,
	tokBlob: LitBlob, tokDuration: LitDuration,
}

func (p *parser) numericLiteral(t token) *Literal {
	val := t.text
	if t.kind == tokUUID || t.kind == tokBlob {
		val = strings.ToLower(val)
	}
	return &Literal{node: node{Pos: t.pos}, Kind: literalKinds[t.kind], Val: val}
}

// parseWordTerm parses a term that starts with a word: true, false, null,
// NaN, Infinity or a function call.
func (p *parser) parseWordTerm() Expr {
	t := p.tok()
	if t.kind == tokIdent {
		switch strings.ToLower(t.text) {
		case "true", "false":
			p.advance()
			return &Literal{node: node{Pos: t.pos}, Kind: LitBoolean, Val: strings.ToLower(t.text)}
		case "null":
			p.advance()
			return &Null{node: node{Pos: t.pos}}
		case "nan":
			p.advance()
			return &Literal{node: node{Pos: t.pos}, Kind: LitFloat, Val: "NaN"}
		case "infinity":
			p.advance()
			return &Literal{node: node{Pos: t.pos}, Kind: LitFloat, Val: "Infinity"}
		}
	}
	if !p.isFunctionCallAhead() {
		p.failExpected()
		return nil
	}
	return p.parseFunctionCall(p.parseTerm)
}

// isFunctionCallAhead reports whether name( or ks.name( starts here.
func (p *parser) isFunctionCallAhead() bool {
	if !p.isFunctionNameAt(0) {
		return false
	}
	if p.peekPunct(1, "(") {
		return true
	}
	return p.peekPunct(1, ".") && p.isFunctionNameAt(2) && p.peekPunct(3, "(")
}

// isFunctionNameAt reports whether the token k ahead can name a function.
//
//	allowedFunctionName: IDENT | QUOTED_NAME | unreserved_function_keyword | TOKEN | COUNT
func (p *parser) isFunctionNameAt(k int) bool {
	t := p.peek(k)
	switch t.kind {
	case tokQuotedIdent:
		return true
	case tokIdent:
		w := strings.ToLower(t.text)
		return !isReserved(w) || w == "token"
	}
	return false
}

// parseFunctionName parses [ks '.'] name.
func (p *parser) parseFunctionName() (ks, name string, pos Pos) {
	pos = p.tok().pos
	name = p.functionNameToken()
	if p.acceptPunct(".") {
		ks, name = name, p.functionNameToken()
	}
	return ks, name, pos
}

func (p *parser) functionNameToken() string {
	if !p.isFunctionNameAt(0) {
		p.failExpected("function name")
		return ""
	}
	t := p.tok()
	p.advance()
	if t.kind == tokIdent {
		return strings.ToLower(t.text)
	}
	return t.text
}

// parseFunctionCall parses a call whose arguments are parsed by arg
// (terms, or selectors in a SELECT list).
//
//	functionCall: functionName '(' (arg (',' arg)*)? ')'
func (p *parser) parseFunctionCall(arg func() Expr) Expr {
	ks, name, pos := p.parseFunctionName()
	f := &FunctionCall{node: node{Pos: pos}, Keyspace: ks, Name: name}
	p.expectPunct("(")
	if name == "count" && ks == "" && p.isPunct("*") {
		f.Args = []Expr{&Star{node: node{Pos: p.tok().pos}}}
		p.advance()
		p.expectPunct(")")
		return f
	}
	if !p.acceptPunct(")") {
		f.Args = p.parseExprList(arg)
		p.expectPunct(")")
	}
	return f
}

func (p *parser) parseExprList(item func() Expr) []Expr {
	list := []Expr{item()}
	for p.acceptPunct(",") {
		list = append(list, item())
	}
	return list
}

// parsePunctTerm parses a term that starts with punctuation.
func (p *parser) parsePunctTerm() Expr {
	t := p.tok()
	switch t.text {
	case "?", ":":
		return p.parseBindMarker()
	case "[":
		return p.parseListLiteral()
	case "{":
		return p.parseBraceLiteral()
	case "(":
		if p.isTypeHintAhead() {
			return p.parseTypeHint()
		}
		return p.parseTupleLiteral()
	case "-":
		return p.parseNegativeSpecial()
	}
	p.failExpected()
	return nil
}

// parseNegativeSpecial parses -NaN and -Infinity.
func (p *parser) parseNegativeSpecial() Expr {
	t := p.tok()
	p.advance()
	switch {
	case p.isKw("nan"):
		p.advance()
		return &Literal{node: node{Pos: t.pos}, Kind: LitFloat, Val: "NaN"}
	case p.isKw("infinity"):
		p.advance()
		return &Literal{node: node{Pos: t.pos}, Kind: LitFloat, Val: "-Infinity"}
	}
	p.failExpected("NaN", "Infinity")
	return nil
}

// parseBindMarker parses a marker and numbers it.
//
//	bindMarker: '?' | ':' ident
func (p *parser) parseBindMarker() Expr {
	t := p.tok()
	m := &BindMarker{node: node{Pos: t.pos}, Index: len(p.markers)}
	p.advance()
	if t.text == ":" {
		m.Name, _ = p.parseIdent("bind marker name")
	}
	p.markers = append(p.markers, m)
	return m
}

// isMarkerAhead reports whether a bind marker starts here.
func (p *parser) isMarkerAhead() bool {
	return p.isPunct("?") || p.isPunct(":")
}

// parseListLiteral parses '[' (term (',' term)*)? ']'.
func (p *parser) parseListLiteral() Expr {
	l := &ListLit{node: node{Pos: p.tok().pos}}
	p.advance()
	if !p.acceptPunct("]") {
		l.Elems = p.parseExprList(p.parseTerm)
		p.expectPunct("]")
	}
	return l
}

// parseBraceLiteral parses a set, map or user-type literal.
//
//	'{' '}' | '{' term (',' term)* '}' | '{' term ':' term (',' term ':' term)* '}'
//	| '{' ident ':' term (',' ident ':' term)* '}'
func (p *parser) parseBraceLiteral() Expr {
	pos := p.tok().pos
	p.advance()
	if p.acceptPunct("}") {
		return &SetLit{node: node{Pos: pos}, Elems: []Expr{}}
	}
	if p.isIdentAt(0) && p.peekPunct(1, ":") {
		return p.parseUDTLiteral(pos)
	}
	first := p.parseTerm()
	if p.isPunct(":") {
		return p.parseMapLiteral(pos, first)
	}
	s := &SetLit{node: node{Pos: pos}, Elems: []Expr{first}}
	for p.acceptPunct(",") {
		s.Elems = append(s.Elems, p.parseTerm())
	}
	p.expectPunct("}")
	return s
}

// parseMapLiteral parses the rest of a map literal after its first key.
//
//	mapLiteral: '{' term ':' term (',' term ':' term)* '}'
func (p *parser) parseMapLiteral(pos Pos, firstKey Expr) Expr {
	m := &MapLit{node: node{Pos: pos}}
	key := firstKey
	for {
		e := &MapEntry{node: node{Pos: exprPos(key)}, Key: key}
		p.expectPunct(":")
		e.Value = p.parseTerm()
		m.Entries = append(m.Entries, e)
		if !p.acceptPunct(",") {
			break
		}
		key = p.parseTerm()
	}
	p.expectPunct("}")
	return m
}

// parseUDTLiteral parses a user-type literal after its opening brace.
//
//	usertypeLiteral: '{' fident ':' term (',' fident ':' term)* '}'
func (p *parser) parseUDTLiteral(pos Pos) Expr {
	u := &UDTLit{node: node{Pos: pos}}
	for {
		name, fpos := p.parseIdent("field name")
		p.expectPunct(":")
		u.Fields = append(u.Fields, &UDTField{node: node{Pos: fpos}, Name: name, Value: p.parseTerm()})
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct("}")
	return u
}

// exprPos returns e's position, tolerating nil after an error.
func exprPos(e Expr) Pos {
	if e == nil {
		return Pos{}
	}
	return e.Position()
}

// parseTupleLiteral parses '(' term (',' term)* ')'.
func (p *parser) parseTupleLiteral() Expr {
	t := &TupleLit{node: node{Pos: p.tok().pos}}
	p.advance()
	t.Elems = p.parseExprList(p.parseTerm)
	p.expectPunct(")")
	return t
}

// isTypeHintAhead reports whether '(' starts a type hint rather than a
// tuple: tuples hold terms, which never start with a bare name unless it
// is a function call or a literal word.
func (p *parser) isTypeHintAhead() bool {
	t := p.peek(1)
	switch t.kind {
	case tokQuotedIdent:
		return !p.peekPunct(2, "(") && !p.peekPunct(2, ".")
	case tokIdent:
	default:
		return false
	}
	switch strings.ToLower(t.text) {
	case "true", "false", "null", "nan", "infinity":
		return false
	}
	if p.peekPunct(2, "(") {
		return false
	}
	if p.peekPunct(2, ".") {
		return !p.peekPunct(4, "(")
	}
	return true
}

// parseTypeHint parses '(' comparatorType ')' term.
func (p *parser) parseTypeHint() Expr {
	h := &TypeHint{node: node{Pos: p.tok().pos}}
	p.advance()
	h.Type = p.parseType()
	p.expectPunct(")")
	h.Expr = p.parseTerm()
	return h
}

// parseIntOrMarker parses the value of LIMIT, TTL and TIMESTAMP.
//
//	intValue: INTEGER | bindMarker
func (p *parser) parseIntOrMarker() Expr {
	t := p.tok()
	if t.kind == tokInteger {
		p.advance()
		return &Literal{node: node{Pos: t.pos}, Kind: LitInteger, Val: t.text}
	}
	if p.isMarkerAhead() {
		return p.parseBindMarker()
	}
	p.failExpected("integer", "bind marker")
	return nil
}

// ---------------------------------------------------------------------------
// Types

// collectionArity is the number of type arguments of each parameterized
// type.
var collectionArity = map[string]int{"list": 1, "set": 1, "map": 2, "frozen": 1}

// parseType parses a CQL type.
//
//	comparatorType: native_type | collection_type | tuple_type
//	    | FROZEN '<' comparatorType '>' | userTypeName | STRING_LITERAL
//	collection_type: MAP '<' t ',' t '>' | LIST '<' t '>' | SET '<' t '>'
//	tuple_type: TUPLE '<' t (',' t)* '>'
func (p *parser) parseType() *TypeRef {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	t := p.tok()
	if t.kind == tokString {
		p.advance()
		return &TypeRef{node: node{Pos: t.pos}, Custom: t.text}
	}
	ref := &TypeRef{node: node{Pos: t.pos}}
	if t.kind == tokIdent && isTypeKeyword(strings.ToLower(t.text)) {
		ref.Name = strings.ToLower(t.text)
		p.advance()
		p.parseTypeArgs(ref)
		return ref
	}
	ref.Name, _ = p.parseIdent("type")
	if p.acceptPunct(".") {
		ref.Keyspace = ref.Name
		ref.Name, _ = p.parseIdent("type")
	}
	return ref
}

// parseTypeArgs parses the '<' ... '>' of a parameterized type, checking
// the argument count.
func (p *parser) parseTypeArgs(ref *TypeRef) {
	arity, ok := collectionArity[ref.Name]
	if !ok && ref.Name != "tuple" && ref.Name != "vector" {
		return
	}
	if !p.expectPunct("<") {
		return
	}
	if ref.Name == "vector" {
		p.unsupported(ref.Pos, "vector type")
		return
	}
	ref.Args = append(ref.Args, p.parseType())
	for p.acceptPunct(",") {
		ref.Args = append(ref.Args, p.parseType())
	}
	if ok && len(ref.Args) != arity {
		p.failAt(ref.Pos, ref.Name+" takes "+arityText(arity)+", got "+arityText(len(ref.Args)))
		return
	}
	p.expectPunct(">")
}

func arityText(n int) string {
	if n == 1 {
		return "1 type argument"
	}
	return strconv.Itoa(n) + " type arguments"
}
