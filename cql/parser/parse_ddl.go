package parser

import (
	"strconv"
	"strings"
)

// parseUse parses USE keyspaceName.
func (p *parser) parseUse() Statement {
	s := &Use{statement: stmtAt(p.tok().pos)}
	p.advance()
	s.Keyspace, _ = p.parseIdent("keyspace name")
	return s
}

// parseTruncate parses TRUNCATE (TABLE | COLUMNFAMILY)? columnFamilyName.
func (p *parser) parseTruncate() Statement {
	s := &Truncate{statement: stmtAt(p.tok().pos)}
	p.advance()
	if !p.acceptKw("table") {
		p.acceptKw("columnfamily")
	}
	s.Table = p.parseTableName()
	return s
}

// parseCreate dispatches CREATE statements.
//
//	CREATE (KEYSPACE | TABLE | COLUMNFAMILY | TYPE) ...
func (p *parser) parseCreate() Statement {
	pos := p.tok().pos
	p.advance()
	switch {
	case p.isKw("keyspace"):
		return p.parseCreateKeyspace(pos)
	case p.isKw("table"), p.isKw("columnfamily"):
		return p.parseCreateTable(pos)
	case p.isKw("type"):
		return p.parseCreateType(pos)
	}
	if p.isKw("role") || p.isKw("user") {
		return p.parseCreateRole(pos)
	}
	if p.isKw("index") || p.isKw("custom") && p.peekKw(1, "index") {
		return p.parseCreateIndex(pos)
	}
	p.unsupportedObject(pos, "CREATE")
	return nil
}

// unsupportedObject rejects DDL on objects Sibyl does not have (views,
// functions, triggers, ...) with a clear message, and anything else as a
// syntax error.
func (p *parser) unsupportedObject(pos Pos, verb string) {
	t := p.tok()
	if t.kind == tokIdent {
		switch w := strings.ToLower(t.text); w {
		case "materialized", "function", "aggregate", "or", "trigger":
			what := strings.ToUpper(w)
			switch w {
			case "materialized":
				what = "MATERIALIZED VIEW"
			case "or":
				what = "OR REPLACE"
			}
			p.unsupported(pos, verb+" "+what)
			return
		}
	}
	p.failExpected("KEYSPACE", "TABLE", "TYPE")
}

// parseIfNotExists parses an optional IF NOT EXISTS.
func (p *parser) parseIfNotExists() bool { return p.acceptKws("if", "not", "exists") }

// parseIfExists parses an optional IF EXISTS.
func (p *parser) parseIfExists() bool { return p.acceptKws("if", "exists") }

// parseCreateKeyspace parses the rest of CREATE KEYSPACE.
//
//	createKeyspaceStatement: CREATE KEYSPACE (IF NOT EXISTS)? ident WITH properties
func (p *parser) parseCreateKeyspace(pos Pos) Statement {
	s := &CreateKeyspace{statement: stmtAt(pos)}
	p.advance()
	s.IfNotExists = p.parseIfNotExists()
	s.Name, _ = p.parseIdent("keyspace name")
	p.expectKw("with")
	s.Options = p.parseProperties()
	return s
}

// parseProperties parses property (AND property)*.
//
//	property: ident '=' propertyValue
//	propertyValue: constant | unreserved_keyword | mapLiteral
func (p *parser) parseProperties() []*Property {
	list := []*Property{p.parseProperty()}
	for p.acceptKw("and") {
		list = append(list, p.parseProperty())
	}
	return list
}

// parseProperty parses ident '=' propertyValue.
func (p *parser) parseProperty() *Property {
	o := &Property{node: node{Pos: p.tok().pos}}
	o.Name, _ = p.parseIdent("property name")
	p.expectPunct("=")
	o.Value = p.parsePropertyValue()
	return o
}

// parsePropertyValue parses a property's value: a constant, a map or
// empty-brace literal, or an unreserved word (stored as a string).
//
//	propertyValue: constant | unreserved_keyword | mapLiteral
func (p *parser) parsePropertyValue() Expr {
	t := p.tok()
	if t.kind == tokIdent && !p.peekPunct(1, "(") {
		switch w := strings.ToLower(t.text); w {
		case "true", "false", "nan", "infinity", "null":
		default:
			if !isReserved(w) {
				p.advance()
				return &Literal{node: node{Pos: t.pos}, Kind: LitString, Val: w}
			}
		}
	}
	e := p.parseTerm()
	switch e.(type) {
	case *Literal, *MapLit, *SetLit, nil:
		return e
	}
	p.failAt(exprPos(e), "property value must be a constant or a map")
	return nil
}

// parseAlter dispatches ALTER statements.
func (p *parser) parseAlter() Statement {
	pos := p.tok().pos
	p.advance()
	switch {
	case p.isKw("keyspace"):
		return p.parseAlterKeyspace(pos)
	case p.isKw("table"), p.isKw("columnfamily"):
		return p.parseAlterTable(pos)
	case p.isKw("type"):
		return p.parseAlterType(pos)
	}
	if p.isKw("role") || p.isKw("user") {
		return p.parseAlterRole(pos)
	}
	p.unsupportedObject(pos, "ALTER")
	return nil
}

// parseAlterKeyspace parses the rest of ALTER KEYSPACE.
//
//	alterKeyspaceStatement: ALTER KEYSPACE (IF EXISTS)? ident WITH properties
func (p *parser) parseAlterKeyspace(pos Pos) Statement {
	s := &AlterKeyspace{statement: stmtAt(pos)}
	p.advance()
	s.IfExists = p.parseIfExists()
	s.Name, _ = p.parseIdent("keyspace name")
	p.expectKw("with")
	s.Options = p.parseProperties()
	return s
}

// parseDrop dispatches DROP statements.
//
//	DROP (KEYSPACE | TABLE | COLUMNFAMILY | TYPE) (IF EXISTS)? name
func (p *parser) parseDrop() Statement {
	pos := p.tok().pos
	p.advance()
	switch {
	case p.acceptKw("keyspace"):
		s := &DropKeyspace{statement: stmtAt(pos)}
		s.IfExists = p.parseIfExists()
		s.Name, _ = p.parseIdent("keyspace name")
		return s
	case p.acceptKw("table"), p.acceptKw("columnfamily"):
		s := &DropTable{statement: stmtAt(pos)}
		s.IfExists = p.parseIfExists()
		s.Table = p.parseTableName()
		return s
	case p.acceptKw("type"):
		s := &DropType{statement: stmtAt(pos)}
		s.IfExists = p.parseIfExists()
		s.Name = p.parseTableName()
		return s
	case p.acceptKw("index"):
		return p.parseDropIndex(pos)
	}
	if p.isKw("role") || p.isKw("user") {
		return p.parseDropRole(pos)
	}
	p.unsupportedObject(pos, "DROP")
	return nil
}

// ---------------------------------------------------------------------------
// Tables

// parseCreateTable parses the rest of CREATE TABLE.
//
//	createTableStatement: CREATE (TABLE | COLUMNFAMILY) (IF NOT EXISTS)?
//	    columnFamilyName '(' tableDefinition (',' tableDefinition?)* ')'
//	    (WITH tableProperty (AND tableProperty)*)?
//	tableDefinition: ident comparatorType STATIC? (PRIMARY KEY)?
//	    | PRIMARY KEY '(' partitionKey (',' ident)* ')'
func (p *parser) parseCreateTable(pos Pos) Statement {
	s := &CreateTable{statement: stmtAt(pos)}
	p.advance()
	s.IfNotExists = p.parseIfNotExists()
	s.Table = p.parseTableName()
	p.expectPunct("(")
	for p.err == nil {
		if p.isKw("primary") {
			p.parsePrimaryKeyClause(s)
		} else {
			s.Columns = append(s.Columns, p.parseColumnDef(true))
		}
		if !p.acceptPunct(",") || p.isPunct(")") {
			break
		}
	}
	// A table with no primary key, or a key declared both inline and by
	// a clause, parses: Cassandra refuses them with an InvalidRequest
	// (CreateTableStatement.Raw), which exec answers.
	p.expectPunct(")")
	if p.acceptKw("with") {
		p.parseTableProperties(s)
	}
	return s
}

// parseColumnDef parses ident comparatorType STATIC? (PRIMARY KEY)?;
// inlineKey allows the PRIMARY KEY suffix.
func (p *parser) parseColumnDef(inlineKey bool) *ColumnDef {
	d := &ColumnDef{node: node{Pos: p.tok().pos}}
	d.Name, _ = p.parseIdent("column name")
	d.Type = p.parseType()
	d.Static = p.acceptKw("static")
	if inlineKey && p.acceptKws("primary", "key") {
		d.PrimaryKey = true
	}
	return d
}

// parsePrimaryKeyClause parses PRIMARY KEY '(' partitionKey (',' ident)* ')'.
//
//	partitionKey: ident | '(' ident (',' ident)* ')'
func (p *parser) parsePrimaryKeyClause(s *CreateTable) {
	pos := p.tok().pos
	p.advance()
	p.expectKw("key")
	if s.PartitionKey != nil {
		p.failAt(pos, "multiple PRIMARY KEYs specified (exactly one required)")
		return
	}
	p.expectPunct("(")
	if p.acceptPunct("(") {
		s.PartitionKey = p.parseColumnList()
		p.expectPunct(")")
	} else {
		s.PartitionKey = []*ColumnRef{p.parseColumnRef()}
	}
	for p.acceptPunct(",") {
		s.Clustering = append(s.Clustering, p.parseColumnRef())
	}
	p.expectPunct(")")
}

// parseTableProperties parses the WITH clause of CREATE TABLE.
//
//	tableProperty: property | COMPACT STORAGE
//	    | CLUSTERING ORDER BY '(' ident (ASC | DESC)? (',' ident (ASC | DESC)?)* ')'
func (p *parser) parseTableProperties(s *CreateTable) {
	for {
		switch {
		case p.isKw("compact") && p.peekKw(1, "storage"):
			p.unsupported(p.tok().pos, "COMPACT STORAGE")
			return
		case p.isKw("clustering") && p.peekKw(1, "order"):
			pos := p.tok().pos
			p.advance()
			p.advance()
			p.expectKw("by")
			if s.ClusteringOrder != nil {
				p.failAt(pos, "CLUSTERING ORDER BY given twice")
				return
			}
			p.expectPunct("(")
			s.ClusteringOrder = p.parseOrderings()
			p.expectPunct(")")
		default:
			s.Options = append(s.Options, p.parseProperty())
		}
		if !p.acceptKw("and") {
			return
		}
	}
}

// parseAlterTable parses the rest of ALTER TABLE.
//
//	alterTableStatement: ALTER (TABLE | COLUMNFAMILY) (IF EXISTS)? columnFamilyName
//	    ( ADD (IF NOT EXISTS)? (columnDef (',' columnDef)* | '(' columnDef (',' columnDef)* ')')
//	    | DROP (IF EXISTS)? (ident | '(' ident (',' ident)* ')')
//	    | RENAME (IF EXISTS)? ident TO ident (AND ident TO ident)*
//	    | WITH properties )
func (p *parser) parseAlterTable(pos Pos) Statement {
	s := &AlterTable{statement: stmtAt(pos)}
	p.advance()
	s.IfExists = p.parseIfExists()
	s.Table = p.parseTableName()
	switch {
	case p.acceptKw("add"):
		s.Kind = AlterTableAdd
		s.IfColumnExists = p.parseIfNotExists()
		s.Add = p.parseAlterAdd()
	case p.isKw("drop") && p.peekKw(1, "compact"):
		p.unsupported(p.tok().pos, "DROP COMPACT STORAGE")
	case p.acceptKw("drop"):
		s.Kind = AlterTableDrop
		s.IfColumnExists = p.parseIfExists()
		s.Drop = p.parseAlterDrop()
		if p.acceptKws("using", "timestamp") {
			s.DropTimestamp, s.HasDropTimestamp = p.parseDropTimestamp(), true
		}
	case p.acceptKw("rename"):
		s.Kind = AlterTableRename
		s.IfColumnExists = p.parseIfExists()
		s.Renames = p.parseRenames()
	case p.acceptKw("with"):
		s.Kind = AlterTableOptions
		s.Options = p.parseProperties()
	case p.isKw("alter"):
		p.unsupported(p.tok().pos, "ALTER TABLE ... ALTER (changing a column's type)")
	default:
		p.failExpected("ADD", "DROP", "RENAME", "WITH")
	}
	return s
}

// parseAlterAdd parses the columns of ALTER TABLE ADD.
//
//	columnDef (',' columnDef)* | '(' columnDef (',' columnDef)* ')'
func (p *parser) parseAlterAdd() []*ColumnDef {
	paren := p.acceptPunct("(")
	list := []*ColumnDef{p.parseColumnDef(false)}
	for p.acceptPunct(",") {
		list = append(list, p.parseColumnDef(false))
	}
	if paren {
		p.expectPunct(")")
	}
	return list
}

// parseAlterDrop parses the columns of ALTER TABLE DROP.
//
//	ident | '(' ident (',' ident)* ')'
func (p *parser) parseAlterDrop() []*ColumnRef {
	if p.acceptPunct("(") {
		list := p.parseColumnList()
		p.expectPunct(")")
		return list
	}
	return []*ColumnRef{p.parseColumnRef()}
}

// parseDropTimestamp parses the INTEGER of DROP ... USING TIMESTAMP: a
// literal only, as in Cassandra's grammar.
func (p *parser) parseDropTimestamp() int64 {
	t := p.tok()
	if t.kind != tokInteger {
		p.failExpected("INTEGER")
		return 0
	}
	v, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		p.failAt(t.pos, "Invalid timestamp "+t.text)
		return 0
	}
	p.advance()
	return v
}

// parseRenames parses ident TO ident (AND ident TO ident)*.
func (p *parser) parseRenames() []*Rename {
	var list []*Rename
	for {
		r := &Rename{node: node{Pos: p.tok().pos}}
		r.From, _ = p.parseIdent("column name")
		p.expectKw("to")
		r.To, _ = p.parseIdent("column name")
		list = append(list, r)
		if !p.acceptKw("and") {
			return list
		}
	}
}

// ---------------------------------------------------------------------------
// User types

// parseCreateType parses the rest of CREATE TYPE.
//
//	createTypeStatement: CREATE TYPE (IF NOT EXISTS)? userTypeName
//	    '(' fident comparatorType (',' fident comparatorType)* ')'
func (p *parser) parseCreateType(pos Pos) Statement {
	s := &CreateType{statement: stmtAt(pos)}
	p.advance()
	s.IfNotExists = p.parseIfNotExists()
	s.Name = p.parseTableName()
	p.expectPunct("(")
	for p.err == nil {
		s.Fields = append(s.Fields, p.parseFieldDef())
		if !p.acceptPunct(",") || p.isPunct(")") {
			break
		}
	}
	p.expectPunct(")")
	return s
}

// parseFieldDef parses one field of a user type.
//
//	fident comparatorType
func (p *parser) parseFieldDef() *FieldDef {
	f := &FieldDef{node: node{Pos: p.tok().pos}}
	f.Name, _ = p.parseIdent("field name")
	f.Type = p.parseType()
	return f
}

// parseAlterType parses the rest of ALTER TYPE.
//
//	alterTypeStatement: ALTER TYPE (IF EXISTS)? userTypeName
//	    ( ADD (IF NOT EXISTS)? fident comparatorType
//	    | RENAME (IF EXISTS)? fident TO fident (AND fident TO fident)* )
func (p *parser) parseAlterType(pos Pos) Statement {
	s := &AlterType{statement: stmtAt(pos)}
	p.advance()
	s.IfExists = p.parseIfExists()
	s.Name = p.parseTableName()
	switch {
	case p.acceptKw("add"):
		s.Kind = AlterTypeAdd
		s.IfFieldExists = p.parseIfNotExists()
		s.Add = p.parseFieldDef()
	case p.acceptKw("rename"):
		s.Kind = AlterTypeRename
		s.IfFieldExists = p.parseIfExists()
		s.Renames = p.parseRenames()
	case p.isKw("alter"):
		p.unsupported(p.tok().pos, "ALTER TYPE ... ALTER (changing a field's type)")
	default:
		p.failExpected("ADD", "RENAME")
	}
	return s
}
