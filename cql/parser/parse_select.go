package parser

import "strings"

// parseSelect parses a SELECT statement.
//
//	selectStatement: SELECT JSON? DISTINCT? ('*' | selectors)
//	    FROM columnFamilyName
//	    (WHERE whereClause)?
//	    (GROUP BY cident (',' cident)*)?
//	    (ORDER BY orderings)?
//	    (PER PARTITION LIMIT intValue)?
//	    (LIMIT intValue)?
//	    (ALLOW FILTERING)?
func (p *parser) parseSelect() Statement {
	s := &Select{statement: stmtAt(p.tok().pos)}
	p.advance()
	if p.isKw("json") && p.isSelectModifier() {
		p.advance()
		s.JSON = true
	}
	if p.isKw("distinct") && p.isSelectModifier() {
		p.advance()
		s.Distinct = true
	}
	if !p.acceptPunct("*") {
		s.Selectors = p.parseSelectors()
	}
	p.expectKw("from")
	s.Table = p.parseTableName()
	s.Where = p.parseWhere()
	if p.acceptKws("group", "by") {
		s.GroupBy = p.parseColumnList()
	}
	if p.acceptKws("order", "by") {
		s.OrderBy = p.parseOrderings()
	}
	if p.acceptKws("per", "partition", "limit") {
		s.PerPartitionLimit = p.parseIntOrMarker()
	}
	if p.acceptKw("limit") {
		s.Limit = p.parseIntOrMarker()
	}
	if p.acceptKws("allow", "filtering") {
		s.AllowFiltering = true
	}
	return s
}

// isSelectModifier reports whether the JSON or DISTINCT at the current
// token is the keyword rather than a column of that name (SELECT json
// FROM t).
func (p *parser) isSelectModifier() bool {
	if p.peekKw(1, "from") {
		return false
	}
	t := p.peek(1)
	if t.kind == tokPunct {
		switch t.text {
		case ",", ".", "[", "(":
			return false
		}
	}
	return !p.peekKw(1, "as")
}

// parseSelectors parses selector (',' selector)*.
//
//	selector: unaliasedSelector (AS ident)?
func (p *parser) parseSelectors() []*Selector {
	var list []*Selector
	for {
		s := &Selector{node: node{Pos: p.tok().pos}}
		s.Expr = p.parseSelectorExpr()
		if p.acceptKw("as") {
			s.Alias, _ = p.parseIdent("alias")
		}
		list = append(list, s)
		if !p.acceptPunct(",") {
			return list
		}
	}
}

// parseSelectorExpr parses a selector with its field and element
// suffixes.
//
//	unaliasedSelector: selectionBase ('.' fident | '[' collectionSubSelection ']')*
//	selectionBase: CAST '(' unaliasedSelector AS native_type ')'
//	    | functionName '(' (unaliasedSelector (',' unaliasedSelector)*)? ')'
//	    | COUNT '(' '*' ')' | cident | term
func (p *parser) parseSelectorExpr() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	e := p.parseSelectionBase()
	for p.err == nil {
		pos := exprPos(e)
		switch {
		case p.acceptPunct("."):
			f, _ := p.parseIdent("field name")
			e = &FieldAccess{node: node{Pos: pos}, Expr: e, Field: f}
		case p.acceptPunct("["):
			e = p.parseSubSelection(e, pos)
		default:
			return e
		}
	}
	return e
}

// parseSubSelection parses what follows '[' after a selector: an
// element or a slice, up to and including ']'.
//
//	collectionSubSelection: term ('..' term?)? | '..' term
func (p *parser) parseSubSelection(e Expr, pos Pos) Expr {
	x := &IndexExpr{node: node{Pos: pos}, Expr: e}
	if !p.isRangeAhead() {
		x.Key = p.parseTerm()
	}
	if p.isRangeAhead() {
		p.advance()
		p.advance()
		x.Slice = true
		if x.Key == nil || !p.peekPunct(0, "]") {
			x.To = p.parseTerm()
		}
	}
	p.expectPunct("]")
	return x
}

// isRangeAhead reports whether the next two tokens are '..' (the lexer
// gives '.' tokens, and leaves 1..2 as 1 . . 2).
func (p *parser) isRangeAhead() bool {
	return p.peekPunct(0, ".") && p.peekPunct(1, ".") && p.tok().end == p.peek(1).off
}

// parseSelectionBase parses a selector without its suffixes.
//
//	selectionBase: CAST '(' unaliasedSelector AS type ')' | functionCall
//	    | '(' type ')' selectionBase | cident | term
func (p *parser) parseSelectionBase() Expr {
	t := p.tok()
	if t.kind == tokIdent && strings.EqualFold(t.text, "cast") && p.peekPunct(1, "(") {
		return p.parseCast()
	}
	if p.isFunctionCallAhead() {
		return p.parseFunctionCall(p.parseSelectorExpr)
	}
	if p.isPunct("(") && p.isTypeHintAhead() {
		// selectionTypeHint: '(' comparatorType ')' selector
		if !p.enter() {
			return nil
		}
		defer p.leave()
		h := &TypeHint{node: node{Pos: t.pos}}
		p.advance()
		h.Type = p.parseType()
		p.expectPunct(")")
		h.Expr = p.parseSelectionBase()
		return h
	}
	if t.kind == tokIdent {
		switch strings.ToLower(t.text) {
		case "true", "false", "null", "nan", "infinity":
			return p.parseTerm()
		}
	}
	if p.isIdentAt(0) {
		return p.parseColumnRef()
	}
	return p.parseTerm()
}

// parseCast parses CAST '(' unaliasedSelector AS type ')'.
func (p *parser) parseCast() Expr {
	c := &Cast{node: node{Pos: p.tok().pos}}
	p.advance()
	p.expectPunct("(")
	c.Expr = p.parseSelectorExpr()
	p.expectKw("as")
	c.Type = p.parseType()
	p.expectPunct(")")
	return c
}

// parseOrderings parses cident (ASC | DESC)? (',' cident (ASC | DESC)?)*.
func (p *parser) parseOrderings() []*Ordering {
	var list []*Ordering
	for {
		o := &Ordering{node: node{Pos: p.tok().pos}, Column: p.parseColumnRef()}
		if p.acceptKw("desc") {
			o.Desc = true
		} else {
			p.acceptKw("asc")
		}
		list = append(list, o)
		if !p.acceptPunct(",") {
			return list
		}
	}
}

// parseWhere parses an optional WHERE clause.
//
//	whereClause: relation (AND relation)*
func (p *parser) parseWhere() []*Relation {
	if !p.acceptKw("where") {
		return nil
	}
	list := []*Relation{p.parseRelation()}
	for p.acceptKw("and") {
		list = append(list, p.parseRelation())
	}
	return list
}

// parseRelation parses one restriction.
//
//	relation: cident relationType term
//	    | cident IN (bindMarker | '(' (term (',' term)*)? ')')
//	    | cident CONTAINS KEY? term | cident LIKE term | cident IS NOT NULL
//	    | cident '[' term ']' relationType term
//	    | TOKEN '(' cident (',' cident)* ')' relationType term
//	    | '(' cident (',' cident)* ')' relationType (tupleLiteral | bindMarker)
//	    | '(' cident (',' cident)* ')' IN (bindMarker | '(' (tuple (',' tuple)*)? ')')
func (p *parser) parseRelation() *Relation {
	r := &Relation{node: node{Pos: p.tok().pos}}
	switch {
	case p.isKw("token") && p.peekPunct(1, "("):
		p.advance()
		p.advance()
		r.Token = true
		r.Columns = p.parseColumnList()
		p.expectPunct(")")
	case p.acceptPunct("("):
		r.Tuple = true
		r.Columns = p.parseColumnList()
		p.expectPunct(")")
	default:
		r.Columns = []*ColumnRef{p.parseColumnRef()}
		if p.acceptPunct("[") {
			r.MapKey = p.parseTerm()
			p.expectPunct("]")
			if p.isKw("in") {
				p.failExpected("relation type") // only relationType term
			} else if r.Op = p.parseOperator(false); r.Op != 0 {
				r.Value = p.parseTerm()
			}
			return r
		}
	}
	p.parseRelationRHS(r)
	return r
}

// parseRelationRHS parses a relation's operator and operand(s).
func (p *parser) parseRelationRHS(r *Relation) {
	r.Op = p.parseOperator(!r.Token && !r.Tuple)
	switch r.Op {
	case 0, OpIsNotNull:
	case OpIn:
		r.Value, r.Values = p.parseInValues()
	default:
		r.Value = p.parseTerm()
	}
}

// parseOperator parses a comparison operator; single enables the
// operators only a single column takes (CONTAINS, LIKE, IS NOT NULL).
//
//	relationType: '=' | '<' | '<=' | '>' | '>=' | '!='
func (p *parser) parseOperator(single bool) Operator {
	t := p.tok()
	if t.kind == tokPunct {
		if op := punctOperator(t.text); op != 0 {
			p.advance()
			return op
		}
	}
	switch {
	case p.acceptKw("in"):
		return OpIn
	case single && p.acceptKw("contains"):
		if p.acceptKw("key") {
			return OpContainsKey
		}
		return OpContains
	case single && p.acceptKw("like"):
		return OpLike
	case single && p.acceptKws("is", "not", "null"):
		return OpIsNotNull
	}
	p.failExpected("operator")
	return 0
}

func punctOperator(s string) Operator {
	switch s {
	case "=":
		return OpEq
	case "<":
		return OpLt
	case "<=":
		return OpLte
	case ">":
		return OpGt
	case ">=":
		return OpGte
	case "!=":
		return OpNeq
	}
	return 0
}

// parseInValues parses the operand of IN: a bind marker, or a
// parenthesized, possibly empty, list of terms.
func (p *parser) parseInValues() (Expr, []Expr) {
	if p.isMarkerAhead() {
		return p.parseBindMarker(), nil
	}
	if !p.expectPunct("(") {
		return nil, nil
	}
	if p.acceptPunct(")") {
		return nil, []Expr{}
	}
	list := p.parseExprList(p.parseTerm)
	p.expectPunct(")")
	return nil, list
}
