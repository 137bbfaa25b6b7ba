package parser

import "strings"

// describeListings maps the keywords of the listing forms of DESCRIBE to
// their kinds.
var describeListings = map[string]DescribeKind{
	"cluster":        DescribeCluster,
	"keyspaces":      DescribeKeyspaces,
	"tables":         DescribeTables,
	"columnfamilies": DescribeTables,
	"types":          DescribeTypes,
	"functions":      DescribeFunctions,
	"aggregates":     DescribeAggregates,
}

// describeElements maps the keywords of the forms that describe one named
// element to their kinds.
var describeElements = map[string]DescribeKind{
	"table":        DescribeTable,
	"columnfamily": DescribeTable,
	"type":         DescribeType,
	"function":     DescribeFunction,
	"aggregate":    DescribeAggregate,
	"index":        DescribeIndex,
}

// parseDescribe parses the server-side DESCRIBE statement (Cassandra 4.0+,
// sent verbatim by cqlsh).
//
//	describeStatement: (DESCRIBE | DESC)
//	    ( FULL? SCHEMA | CLUSTER | KEYSPACES | ONLY? KEYSPACE ksName?
//	    | (TABLES | COLUMNFAMILIES) | (TABLE | COLUMNFAMILY) cfName
//	    | TYPES | TYPE utName | FUNCTIONS | FUNCTION fName
//	    | AGGREGATES | AGGREGATE fName | INDEX idxName
//	    | MATERIALIZED VIEW cfName | name )
//	    (WITH INTERNALS)?
func (p *parser) parseDescribe() Statement {
	s := &Describe{statement: stmtAt(p.tok().pos)}
	p.advance()
	p.parseDescribeTarget(s)
	if p.acceptKw("with") {
		p.expectKw("internals")
		s.Internals = true
	}
	return s
}

// parseDescribeTarget parses what follows DESCRIBE, up to WITH INTERNALS.
func (p *parser) parseDescribeTarget(s *Describe) {
	t := p.tok()
	if t.kind != tokIdent {
		s.Kind = DescribeName
		s.Name = p.parseTableName()
		return
	}
	w := strings.ToLower(t.text)
	if k, ok := describeListings[w]; ok {
		p.advance()
		s.Kind = k
		return
	}
	if k, ok := describeElements[w]; ok {
		p.advance()
		s.Kind = k
		s.Name = p.parseTableName()
		return
	}
	switch w {
	case "full":
		p.advance()
		s.Full = true
		p.expectKw("schema")
		s.Kind = DescribeSchema
	case "schema":
		p.advance()
		s.Kind = DescribeSchema
	case "only", "keyspace":
		p.parseDescribeKeyspace(s)
	case "materialized":
		p.advance()
		p.expectKw("view")
		s.Kind = DescribeView
		s.Name = p.parseTableName()
	default:
		s.Kind = DescribeName
		s.Name = p.parseTableName()
	}
}

// parseDescribeKeyspace parses ONLY? KEYSPACE ksName?.
func (p *parser) parseDescribeKeyspace(s *Describe) {
	s.Only = p.acceptKw("only")
	p.expectKw("keyspace")
	s.Kind = DescribeKeyspace
	if p.isIdentAt(0) {
		pos := p.tok().pos
		name, _ := p.parseIdent("keyspace name")
		s.Name = &TableName{node: node{Pos: pos}, Name: name}
	}
}
