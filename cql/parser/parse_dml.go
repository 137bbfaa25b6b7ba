package parser

import "strings"

// parseInsert parses an INSERT statement.
//
//	insertStatement: INSERT INTO columnFamilyName
//	    ( '(' cident (',' cident)* ')' VALUES '(' term (',' term)* ')'
//	    | JSON jsonValue (DEFAULT (NULL | UNSET))? )
//	    (IF NOT EXISTS)? usingClause?
//	jsonValue: STRING_LITERAL | ':' noncol_ident | '?'
func (p *parser) parseInsert() Statement {
	s := &Insert{statement: stmtAt(p.tok().pos)}
	p.advance()
	p.expectKw("into")
	s.Table = p.parseTableName()
	if p.acceptKw("json") {
		p.parseInsertJSON(s)
		return s
	}
	p.expectPunct("(")
	s.Columns = p.parseColumnList()
	p.expectPunct(")")
	p.expectKw("values")
	p.expectPunct("(")
	s.Values = p.parseExprList(p.parseTerm)
	p.expectPunct(")")
	s.IfNotExists = p.acceptKws("if", "not", "exists")
	s.Using = p.parseUsing(true)
	return s
}

// parseInsertJSON parses the JSON form after INSERT INTO table JSON.
func (p *parser) parseInsertJSON(s *Insert) {
	t := p.tok()
	switch {
	case t.kind == tokString:
		p.advance()
		s.JSON = &Literal{node: node{Pos: t.pos}, Kind: LitString, Val: t.text}
	case p.isMarkerAhead():
		s.JSON = p.parseBindMarker()
	default:
		p.failExpected("string", "bind marker")
		return
	}
	if p.acceptKw("default") {
		switch {
		case p.acceptKw("null"):
		case p.acceptKw("unset"):
			s.DefaultUnset = true
		default:
			p.failExpected("NULL", "UNSET")
			return
		}
	}
	s.IfNotExists = p.acceptKws("if", "not", "exists")
	s.Using = p.parseUsing(true)
}

// parseUsing parses an optional USING clause; ttl says whether TTL is
// allowed (not in DELETE or BATCH).
//
//	usingClause: USING usingOption (AND usingOption)*
//	usingOption: TIMESTAMP intValue | TTL intValue
func (p *parser) parseUsing(ttl bool) Using {
	if !p.acceptKw("using") {
		return nil
	}
	var u Using
	for {
		o := &UsingParam{node: node{Pos: p.tok().pos}}
		switch {
		case p.acceptKw("timestamp"):
			o.Kind = UsingTimestamp
		case ttl && p.acceptKw("ttl"):
			o.Kind = UsingTTL
		case ttl:
			p.failExpected("TIMESTAMP", "TTL")
			return nil
		default:
			p.failExpected("TIMESTAMP")
			return nil
		}
		o.Value = p.parseIntOrMarker()
		u = append(u, o)
		if !p.acceptKw("and") {
			return u
		}
	}
}

// parseUpdate parses an UPDATE statement.
//
//	updateStatement: UPDATE columnFamilyName usingClause?
//	    SET columnOperation (',' columnOperation)*
//	    WHERE whereClause (IF (EXISTS | updateConditions))?
func (p *parser) parseUpdate() Statement {
	s := &Update{statement: stmtAt(p.tok().pos)}
	p.advance()
	s.Table = p.parseTableName()
	s.Using = p.parseUsing(true)
	p.expectKw("set")
	s.Set = []*Assignment{p.parseAssignment()}
	for p.acceptPunct(",") {
		s.Set = append(s.Set, p.parseAssignment())
	}
	if !p.isKw("where") {
		p.failExpected("WHERE")
	}
	s.Where = p.parseWhere()
	s.IfExists, s.Conditions = p.parseIf()
	return s
}

// parseAssignment parses one SET item.
//
//	columnOperation: cident '=' term ('+' cident)?
//	    | cident '=' cident ('+' | '-') term
//	    | cident '=' cident INTEGER          (a negative integer: c = c -1)
//	    | cident ('+=' | '-=') term
//	    | cident '[' term ']' '=' term
//	    | cident '.' fident '=' term
func (p *parser) parseAssignment() *Assignment {
	a := &Assignment{node: node{Pos: p.tok().pos}, Op: AssignSet}
	a.Target = p.parseTarget()
	if a.Target.Key == nil && a.Target.Field == "" {
		switch {
		case p.acceptPunct("+="):
			a.Op, a.Value = AssignAdd, p.parseTerm()
			return a
		case p.acceptPunct("-="):
			a.Op, a.Value = AssignSub, p.parseTerm()
			return a
		}
	}
	p.expectPunct("=")
	if a.Target.Key != nil || a.Target.Field != "" {
		a.Value = p.parseTerm()
		return a
	}
	if p.isSelfReferenceAhead() {
		p.parseSelfOperation(a)
		return a
	}
	a.Value = p.parseTerm()
	if p.acceptPunct("+") {
		a.Op = AssignPrepend
		p.expectSameColumn(a.Target.Column)
	}
	return a
}

// isSelfReferenceAhead reports whether the right-hand side starts with a
// column name followed by + or - (c = c + v, c = c - v, c = c -1).
func (p *parser) isSelfReferenceAhead() bool {
	if !p.isIdentAt(0) || p.isFunctionCallAhead() {
		return false
	}
	t := p.peek(1)
	switch t.kind {
	case tokPunct:
		return t.text == "+" || t.text == "-"
	case tokInteger:
		return strings.HasPrefix(t.text, "-")
	}
	return false
}

// parseSelfOperation parses cident ('+' | '-') term | cident INTEGER.
func (p *parser) parseSelfOperation(a *Assignment) {
	p.expectSameColumn(a.Target.Column)
	t := p.tok()
	switch {
	case t.kind == tokInteger:
		p.advance()
		a.Op = AssignSub
		a.Value = &Literal{node: node{Pos: Pos{Line: t.pos.Line, Col: t.pos.Col + 1}}, Kind: LitInteger, Val: t.text[1:]}
	case p.acceptPunct("+"):
		a.Op, a.Value = AssignAdd, p.parseTerm()
	default:
		p.advance() // '-'
		a.Op, a.Value = AssignSub, p.parseTerm()
	}
}

// expectSameColumn parses a column name that must be col: Cassandra
// supports only X = X + v and X = v + X.
func (p *parser) expectSameColumn(col string) {
	pos := p.tok().pos
	name, _ := p.parseIdent("column name")
	if p.err == nil && name != col {
		p.failAt(pos, "only expressions of the form X = <value> + X or X = X +/- <value> are supported")
	}
}

// parseTarget parses cident ('[' term ']' | '.' fident)?.
func (p *parser) parseTarget() *Target {
	t := &Target{node: node{Pos: p.tok().pos}}
	t.Column, _ = p.parseIdent("column name")
	switch {
	case p.acceptPunct("["):
		t.Key = p.parseTerm()
		p.expectPunct("]")
	case p.acceptPunct("."):
		t.Field, _ = p.parseIdent("field name")
	}
	return t
}

// parseIf parses an optional IF clause.
//
//	IF EXISTS | IF columnCondition (AND columnCondition)*
//	columnCondition: target (relationType term | IN inValues | CONTAINS KEY? term)
func (p *parser) parseIf() (exists bool, conds []*Condition) {
	if !p.acceptKw("if") {
		return false, nil
	}
	if p.acceptKw("exists") {
		return true, nil
	}
	for {
		c := &Condition{node: node{Pos: p.tok().pos}, Target: p.parseTarget()}
		c.Op = p.parseOperator(true)
		switch c.Op {
		case 0:
		case OpIn:
			c.Value, c.Values = p.parseInValues()
		case OpIsNotNull, OpLike:
			p.failAt(c.Pos, "operator "+c.Op.String()+" is not allowed in conditions")
		default:
			c.Value = p.parseTerm()
		}
		conds = append(conds, c)
		if !p.acceptKw("and") {
			return false, conds
		}
	}
}

// parseDelete parses a DELETE statement.
//
//	deleteStatement: DELETE (deleteSelection)? FROM columnFamilyName
//	    (USING TIMESTAMP intValue)? WHERE whereClause
//	    (IF (EXISTS | updateConditions))?
//	deleteSelection: target (',' target)*
func (p *parser) parseDelete() Statement {
	s := &Delete{statement: stmtAt(p.tok().pos)}
	p.advance()
	if !p.isKw("from") {
		s.Targets = []*Target{p.parseTarget()}
		for p.acceptPunct(",") {
			s.Targets = append(s.Targets, p.parseTarget())
		}
	}
	p.expectKw("from")
	s.Table = p.parseTableName()
	s.Using = p.parseUsing(false)
	if !p.isKw("where") {
		p.failExpected("WHERE")
	}
	s.Where = p.parseWhere()
	s.IfExists, s.Conditions = p.parseIf()
	return s
}

// parseBatch parses a batch.
//
//	batchStatement: BEGIN (UNLOGGED | COUNTER | LOGGED)? BATCH usingClause?
//	    (batchStatementObjective ';'?)* APPLY BATCH
//	batchStatementObjective: insertStatement | updateStatement | deleteStatement
func (p *parser) parseBatch() Statement {
	b := &Batch{statement: stmtAt(p.tok().pos), Kind: BatchLogged}
	p.advance()
	switch {
	case p.acceptKw("unlogged"):
		b.Kind = BatchUnlogged
	case p.acceptKw("counter"):
		b.Kind = BatchCounter
	default:
		p.acceptKw("logged")
	}
	p.expectKw("batch")
	b.Using = p.parseUsing(false)
	for p.err == nil && !p.isKw("apply") {
		s := p.parseBatchChild()
		if s == nil {
			break
		}
		b.Statements = append(b.Statements, s)
		p.acceptPunct(";")
	}
	p.expectKw("apply")
	p.expectKw("batch")
	return b
}

// parseBatchChild parses one statement of a batch.
//
//	batchStatementObjective: insertStatement | updateStatement | deleteStatement
func (p *parser) parseBatchChild() Statement {
	switch {
	case p.isKw("insert"):
		return p.parseInsert()
	case p.isKw("update"):
		return p.parseUpdate()
	case p.isKw("delete"):
		return p.parseDelete()
	}
	p.failExpected("INSERT", "UPDATE", "DELETE", "APPLY")
	return nil
}
