package parser

import "strings"

// IndexTarget is one target of CREATE INDEX: a column, or KEYS(c),
// VALUES(c), ENTRIES(c) or FULL(c). Kind is "" for a plain column, else
// the lower-case function word.
type IndexTarget struct {
	node
	Kind   string
	Column *ColumnRef
}

// CreateIndex is CREATE [CUSTOM] INDEX [IF NOT EXISTS] [[ks.]name] ON
// table (target, ...) [USING 'class'] [WITH properties].
type CreateIndex struct {
	statement
	Custom      bool
	IfNotExists bool
	// Name is the index name; nil when the statement gives none.
	Name    *TableName
	Table   *TableName
	Targets []*IndexTarget
	// Using is the class of USING 'class', when HasUsing.
	Using    string
	HasUsing bool
	Options  []*Property
}

// DropIndex is DROP INDEX [IF EXISTS] [ks.]name.
type DropIndex struct {
	statement
	IfExists bool
	Name     *TableName
}

// parseCreateIndex parses the rest of CREATE [CUSTOM] INDEX, from CUSTOM
// or INDEX.
//
//	createIndexStatement: CREATE CUSTOM? INDEX (IF NOT EXISTS)? idxName?
//	    ON columnFamilyName '(' (indexIdent (',' indexIdent)*)? ')'
//	    (USING STRING_LITERAL)? (WITH properties)?
//	idxName: (ksName '.')? ident
func (p *parser) parseCreateIndex(pos Pos) Statement {
	s := &CreateIndex{statement: stmtAt(pos)}
	s.Custom = p.acceptKw("custom")
	p.expectKw("index")
	s.IfNotExists = p.parseIfNotExists()
	if !p.isKw("on") {
		s.Name = p.parseTableName()
	}
	p.expectKw("on")
	s.Table = p.parseTableName()
	p.expectPunct("(")
	for p.err == nil && !p.isPunct(")") {
		s.Targets = append(s.Targets, p.parseIndexTarget())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	if p.acceptKw("using") {
		t := p.tok()
		if t.kind != tokString {
			p.failExpected("index class string")
			return nil
		}
		p.advance()
		s.Using, s.HasUsing = t.text, true
	}
	if p.acceptKw("with") {
		s.Options = p.parseProperties()
	}
	return s
}

// parseIndexTarget parses one indexIdent.
//
//	indexIdent: cident | (VALUES | KEYS | ENTRIES | FULL) '(' cident ')'
func (p *parser) parseIndexTarget() *IndexTarget {
	x := &IndexTarget{node: node{Pos: p.tok().pos}}
	for _, kw := range []string{"values", "keys", "entries", "full"} {
		if p.isKw(kw) && p.peekPunct(1, "(") {
			p.advance()
			p.advance()
			x.Kind = kw
			x.Column = p.parseColumnRef()
			p.expectPunct(")")
			return x
		}
	}
	x.Column = p.parseColumnRef()
	return x
}

// parseDropIndex parses the rest of DROP INDEX, after INDEX.
//
//	dropIndexStatement: DROP INDEX (IF EXISTS)? (ksName '.')? ident
func (p *parser) parseDropIndex(pos Pos) Statement {
	s := &DropIndex{statement: stmtAt(pos)}
	s.IfExists = p.parseIfExists()
	s.Name = p.parseTableName()
	return s
}

func (n *IndexTarget) String() string { return nodeString(n) }
func (n *IndexTarget) print(p *printer) {
	if n == nil {
		return
	}
	if n.Kind == "" {
		n.Column.print(p)
		return
	}
	p.WriteString(strings.ToUpper(n.Kind) + "(")
	n.Column.print(p)
	p.WriteByte(')')
}

func (n *CreateIndex) String() string { return nodeString(n) }
func (n *CreateIndex) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("CREATE ")
	if n.Custom {
		p.WriteString("CUSTOM ")
	}
	p.WriteString("INDEX ")
	p.ifNotExists(n.IfNotExists)
	if n.Name != nil {
		n.Name.print(p)
		p.WriteByte(' ')
	}
	p.WriteString("ON ")
	n.Table.print(p)
	p.WriteString(" (")
	for i, t := range n.Targets {
		if i > 0 {
			p.WriteString(", ")
		}
		t.print(p)
	}
	p.WriteByte(')')
	if n.HasUsing {
		p.WriteString(" USING " + QuoteString(n.Using))
	}
	p.with(n.Options)
}

func (n *DropIndex) String() string { return nodeString(n) }
func (n *DropIndex) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DROP INDEX ")
	p.ifExists(n.IfExists)
	n.Name.print(p)
}

func indexChildren(n Node) []Node {
	switch n := n.(type) {
	case *CreateIndex:
		out := []Node{n.Name, n.Table}
		out = append(append(out, nodes(n.Targets)...), nodes(n.Options)...)
		return out
	case *DropIndex:
		return []Node{n.Name}
	case *IndexTarget:
		return []Node{n.Column}
	}
	return nil
}
