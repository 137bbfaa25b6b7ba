package parser

// This file holds the abstract syntax tree. Every node carries the position
// of its first token (Position), and prints itself back as canonical CQL
// (String, in print.go): Parse(n.String()) yields a tree equal to n except
// for positions.
//
// Names are plain strings, already normalized: unquoted identifiers are
// folded to lower case, quoted ones keep their case. Printing quotes a name
// only when it must ("MyTable", reserved words, odd characters).

// Pos is a position in the statement text: 1-based line and column
// (columns count bytes, tabs count one).
type Pos struct {
	Line, Col int
}

// Node is implemented by every AST node.
type Node interface {
	// Position is where the node's first token starts.
	Position() Pos
	// String prints the node as canonical CQL.
	String() string
}

// node is embedded in every AST node to carry its position.
type node struct {
	Pos Pos
}

// Position implements Node.
func (n *node) Position() Pos { return n.Pos }

// Statement is one complete CQL statement: *Select, *Insert, *Update,
// *Delete, *Batch, *Use, *Truncate, *CreateKeyspace, *AlterKeyspace,
// *DropKeyspace, *CreateTable, *AlterTable, *DropTable, *CreateType,
// *AlterType, *DropType, *CreateIndex, *DropIndex, *Describe, *CreateRole, *AlterRole, *DropRole,
// *GrantRole, *ListRoles, *GrantPermissions or *ListPermissions.
type Statement interface {
	Node
	// BindMarkers returns the statement's bind markers in order of
	// appearance; BindMarkers()[i].Index == i. For a *Batch the list spans
	// all its statements, numbered as the native protocol binds them.
	BindMarkers() []*BindMarker
	isStatement()
}

// statement is embedded in every Statement.
type statement struct {
	node
	// Markers are the bind markers of the statement, in order of
	// appearance. Filled in by the parser.
	Markers []*BindMarker
}

// BindMarkers implements Statement.
func (s *statement) BindMarkers() []*BindMarker { return s.Markers }
func (s *statement) isStatement()               {}

// Expr is a term or a selector: *Literal, *Null, *BindMarker, *ListLit,
// *SetLit, *MapLit, *TupleLit, *UDTLit, *FunctionCall, *TypeHint, *Cast,
// *ColumnRef, *Star (only as the argument of count), *FieldAccess or
// *IndexExpr (only in selectors).
type Expr interface {
	Node
	isExpr()
}

func (*Literal) isExpr()      {}
func (*Null) isExpr()         {}
func (*BindMarker) isExpr()   {}
func (*ListLit) isExpr()      {}
func (*SetLit) isExpr()       {}
func (*MapLit) isExpr()       {}
func (*TupleLit) isExpr()     {}
func (*UDTLit) isExpr()       {}
func (*FunctionCall) isExpr() {}
func (*TypeHint) isExpr()     {}
func (*Cast) isExpr()         {}
func (*ColumnRef) isExpr()    {}
func (*Star) isExpr()         {}
func (*FieldAccess) isExpr()  {}
func (*IndexExpr) isExpr()    {}

// ---------------------------------------------------------------------------
// Terms

// LiteralKind says which kind of constant a Literal is (Cassandra's
// Constants.Type).
type LiteralKind uint8

// Literal kinds.
const (
	LitString   LiteralKind = iota + 1 // 'text' or $$text$$
	LitInteger                         // 42, -7
	LitFloat                           // 1.5, -2e10, NaN, -Infinity
	LitBoolean                         // true, false
	LitUUID                            // 123e4567-e89b-12d3-a456-426614174000
	LitBlob                            // 0xcafe
	LitDuration                        // 1h30m, P1D, PT2H, P0001-02-03T04:05:06
)

// Literal is a constant. Val is its normalized text:
//   - LitString: the string's content, quotes removed and ” unescaped;
//   - LitInteger, LitFloat: the number as written, sign included
//     (NaN and Infinity spelled that way);
//   - LitBoolean: "true" or "false";
//   - LitUUID: lower case;
//   - LitBlob: "0x" followed by the hex digits in lower case;
//   - LitDuration: as written (1h30m, 12MO, P1DT2H, -P2W).
type Literal struct {
	node
	Kind LiteralKind
	Val  string
}

// Null is the null literal.
type Null struct {
	node
}

// BindMarker is a positional (?) or named (:name) bind marker.
type BindMarker struct {
	node
	// Index is the marker's 0-based position among all markers of the
	// statement, in order of appearance.
	Index int
	// Name is the marker's name for :name markers, "" for ?.
	Name string
}

// ListLit is [a, b, ...].
type ListLit struct {
	node
	Elems []Expr
}

// SetLit is {a, b, ...}. The empty literal {} parses as an empty SetLit
// (as in Cassandra); it also stands for an empty map or user type.
type SetLit struct {
	node
	Elems []Expr
}

// MapEntry is one key: value pair of a MapLit.
type MapEntry struct {
	node
	Key, Value Expr
}

// MapLit is {k: v, ...} with at least one entry.
type MapLit struct {
	node
	Entries []*MapEntry
}

// TupleLit is (a, b, ...). A parenthesized single term is not a tuple, but
// a one-element tuple appears as the right-hand side of a multi-column
// relation over one column: (c) > (1).
type TupleLit struct {
	node
	Elems []Expr
}

// UDTField is one field: value pair of a UDTLit.
type UDTField struct {
	node
	Name  string
	Value Expr
}

// UDTLit is a user-type literal {field: v, ...}: a brace literal whose
// keys are identifiers.
type UDTLit struct {
	node
	Fields []*UDTField
}

// FunctionCall is name(args...) or ks.name(args...). It also represents
// count(*) (Args holds one *Star), WRITETIME(c), TTL(c) and token(...) as
// selectors: Name is lower case unless it was quoted. Name is "token",
// "writetime", "ttl", "count", ... for those.
type FunctionCall struct {
	node
	Keyspace string // "" when unqualified
	Name     string
	Args     []Expr
}

// TypeHint is (type) term: a term with an explicit type, typically a bind
// marker in a function call, (int)?.
type TypeHint struct {
	node
	Type *TypeRef
	Expr Expr
}

// Cast is CAST(expr AS type), in selectors.
type Cast struct {
	node
	Expr Expr
	Type *TypeRef
}

// ColumnRef names a column of the statement's table.
type ColumnRef struct {
	node
	Name string
}

// Star is * as the argument of count(*).
type Star struct {
	node
}

// FieldAccess is expr.field: a user-type field in a selector.
type FieldAccess struct {
	node
	Expr  Expr
	Field string
}

// IndexExpr is expr[key], a collection element in a selector, or, with
// Slice set, expr[key..to], a slice of a set or map: Key and To are its
// bounds, either nil when left out (expr[..to], expr[key..]).
type IndexExpr struct {
	node
	Expr  Expr
	Key   Expr
	Slice bool
	To    Expr
}

// ---------------------------------------------------------------------------
// Types

// TypeRef is a CQL type as written: a native type (Name is "int",
// "text", ... lower case), a collection or tuple (Name is "list", "set",
// "map", "tuple" with Args), frozen<T> (Name "frozen", one Arg), a user type
// (Name, optionally Keyspace) or a custom type given as a string (Custom,
// Name empty). String() prints the form schema.ParseType accepts, e.g.
// "frozen<map<text, list<int>>>".
type TypeRef struct {
	node
	Keyspace string
	Name     string
	Args     []*TypeRef
	Custom   string
}

// ---------------------------------------------------------------------------
// Names and shared clauses

// TableName is [keyspace.]name of a table or a user type.
type TableName struct {
	node
	Keyspace string // "" when not given: the session's keyspace applies
	Name     string
}

// Property is one name = value table or keyspace option. Value is a
// *Literal, a *MapLit (string keys) or an empty *SetLit ({}); an unquoted
// identifier value is stored as a LitString literal.
type Property struct {
	node
	Name  string
	Value Expr
}

// UsingKind is TTL or TIMESTAMP.
type UsingKind uint8

// Using kinds.
const (
	UsingTTL UsingKind = iota + 1
	UsingTimestamp
)

// UsingParam is one TTL x or TIMESTAMP x of a USING clause; Value is an
// integer *Literal or a *BindMarker.
type UsingParam struct {
	node
	Kind  UsingKind
	Value Expr
}

// Using is a USING clause, in source order.
type Using []*UsingParam

// TTL returns the TTL value, or nil when not given.
func (u Using) TTL() Expr { return u.find(UsingTTL) }

// Timestamp returns the TIMESTAMP value, or nil when not given.
func (u Using) Timestamp() Expr { return u.find(UsingTimestamp) }

func (u Using) find(k UsingKind) Expr {
	for _, p := range u {
		if p.Kind == k {
			return p.Value
		}
	}
	return nil
}

// Operator is a relation or condition operator.
type Operator uint8

// Operators.
const (
	OpEq          Operator = iota + 1 // =
	OpLt                              // <
	OpLte                             // <=
	OpGt                              // >
	OpGte                             // >=
	OpNeq                             // !=
	OpIn                              // IN
	OpContains                        // CONTAINS
	OpContainsKey                     // CONTAINS KEY
	OpLike                            // LIKE
	OpIsNotNull                       // IS NOT NULL (no Value)
)

// Relation is one restriction of a WHERE clause.
//
// Its left-hand side is one of:
//   - a column: Columns has one element, Token and Tuple are false;
//   - token(a, b, ...): Token is true, Columns lists the arguments;
//   - a column tuple (a, b, ...): Tuple is true (multi-column relation).
//
// Its right-hand side: for OpIn, either Values (the parenthesized list;
// each element a *TupleLit or *BindMarker for a tuple relation) or Value
// (a single *BindMarker: IN ?); for other operators Value (for a tuple
// relation a *TupleLit or *BindMarker). OpIsNotNull has neither.
type Relation struct {
	node
	Columns []*ColumnRef
	Token   bool
	Tuple   bool
	// MapKey is k of a map-entry relation m[k] = v; nil otherwise.
	MapKey Expr
	Op     Operator
	Value  Expr
	Values []Expr
}

// Target is a column, optionally narrowed to a collection element
// (col[key]) or a user-type field (col.field), as assigned by UPDATE,
// deleted by DELETE or tested by IF.
type Target struct {
	node
	Column string
	Key    Expr   // element key or list index; nil when absent
	Field  string // user-type field; "" when absent
}

// Condition is one IF condition of a lightweight transaction. Like
// Relation, OpIn uses Values (or Value for IN ?).
type Condition struct {
	node
	Target *Target
	Op     Operator
	Value  Expr
	Values []Expr
}

// Ordering is one column of ORDER BY or CLUSTERING ORDER BY.
type Ordering struct {
	node
	Column *ColumnRef
	Desc   bool
}

// ---------------------------------------------------------------------------
// Data manipulation

// Selector is one item of a SELECT list: Expr is a *ColumnRef,
// *FunctionCall, *Cast, *FieldAccess, *IndexExpr or a term.
type Selector struct {
	node
	Expr  Expr
	Alias string // "" when no AS
}

// Select is a SELECT statement.
type Select struct {
	statement
	JSON     bool
	Distinct bool
	// Selectors is nil for SELECT *.
	Selectors         []*Selector
	Table             *TableName
	Where             []*Relation
	GroupBy           []*ColumnRef
	OrderBy           []*Ordering
	PerPartitionLimit Expr // nil, an integer *Literal or a *BindMarker
	Limit             Expr // nil, an integer *Literal or a *BindMarker
	AllowFiltering    bool
}

// Insert is an INSERT INTO ... (columns) VALUES (...) statement, or the
// JSON form INSERT INTO ... JSON value [DEFAULT NULL|UNSET]: then JSON is
// the value (a string *Literal or a *BindMarker) and Columns and Values
// are nil.
type Insert struct {
	statement
	Table   *TableName
	Columns []*ColumnRef
	Values  []Expr
	JSON    Expr
	// DefaultUnset is DEFAULT UNSET: columns the JSON leaves out keep
	// their value instead of being set to null (the default, DEFAULT
	// NULL). Only with JSON.
	DefaultUnset bool
	IfNotExists  bool
	Using        Using
}

// AssignOp is the kind of an UPDATE assignment.
type AssignOp uint8

// Assignment operators.
const (
	AssignSet     AssignOp = iota + 1 // c = v, c[k] = v, c.f = v
	AssignAdd                         // c = c + v (also c += v): counter add, append, union, map put
	AssignPrepend                     // c = v + c: list prepend
	AssignSub                         // c = c - v (also c -= v): counter subtract, remove
)

// Assignment is one item of UPDATE's SET clause. Target.Key and
// Target.Field are only used with AssignSet.
type Assignment struct {
	node
	Target *Target
	Op     AssignOp
	Value  Expr
}

// Update is an UPDATE statement.
type Update struct {
	statement
	Table      *TableName
	Using      Using
	Set        []*Assignment
	Where      []*Relation
	IfExists   bool
	Conditions []*Condition // IF c = v AND ...; nil when absent
}

// Delete is a DELETE statement. Targets is nil when whole rows are deleted.
type Delete struct {
	statement
	Targets    []*Target
	Table      *TableName
	Using      Using
	Where      []*Relation
	IfExists   bool
	Conditions []*Condition
}

// BatchKind is LOGGED (the default), UNLOGGED or COUNTER.
type BatchKind uint8

// Batch kinds.
const (
	BatchLogged BatchKind = iota + 1
	BatchUnlogged
	BatchCounter
)

// Batch is BEGIN [UNLOGGED|COUNTER] BATCH ... APPLY BATCH. Statements are
// *Insert, *Update or *Delete; their own Markers fields are empty, the
// batch's Markers number all markers in order.
type Batch struct {
	statement
	Kind       BatchKind
	Using      Using
	Statements []Statement
}

// ---------------------------------------------------------------------------
// Data definition

// Use is USE keyspace.
type Use struct {
	statement
	Keyspace string
}

// Truncate is TRUNCATE [TABLE] name.
type Truncate struct {
	statement
	Table *TableName
}

// CreateKeyspace is CREATE KEYSPACE [IF NOT EXISTS] name WITH options.
type CreateKeyspace struct {
	statement
	IfNotExists bool
	Name        string
	Options     []*Property
}

// AlterKeyspace is ALTER KEYSPACE [IF EXISTS] name WITH options.
type AlterKeyspace struct {
	statement
	IfExists bool
	Name     string
	Options  []*Property
}

// DropKeyspace is DROP KEYSPACE [IF EXISTS] name.
type DropKeyspace struct {
	statement
	IfExists bool
	Name     string
}

// ColumnDef is one column definition of CREATE TABLE or ALTER TABLE ADD.
type ColumnDef struct {
	node
	Name       string
	Type       *TypeRef
	Static     bool
	PrimaryKey bool // inline "name type PRIMARY KEY" (CREATE TABLE only)
}

// CreateTable is CREATE TABLE [IF NOT EXISTS] name (...) [WITH ...].
//
// The primary key is either inline (one ColumnDef with PrimaryKey set,
// PartitionKey and Clustering nil) or a PRIMARY KEY clause (PartitionKey
// non-empty). Use Key for the resolved key columns.
type CreateTable struct {
	statement
	IfNotExists     bool
	Table           *TableName
	Columns         []*ColumnDef
	PartitionKey    []*ColumnRef
	Clustering      []*ColumnRef
	ClusteringOrder []*Ordering
	Options         []*Property
}

// Key returns the partition key and clustering column names, whichever way
// the primary key was declared.
func (c *CreateTable) Key() (partition, clustering []string) {
	for _, d := range c.Columns {
		if d.PrimaryKey {
			partition = append(partition, d.Name)
		}
	}
	for _, r := range c.PartitionKey {
		partition = append(partition, r.Name)
	}
	for _, r := range c.Clustering {
		clustering = append(clustering, r.Name)
	}
	return partition, clustering
}

// AlterTableKind says what an ALTER TABLE does.
type AlterTableKind uint8

// ALTER TABLE kinds.
const (
	AlterTableAdd     AlterTableKind = iota + 1 // ADD [IF NOT EXISTS] c type [, ...]
	AlterTableDrop                              // DROP [IF EXISTS] c | (c, d)
	AlterTableRename                            // RENAME [IF EXISTS] a TO b [AND c TO d]
	AlterTableOptions                           // WITH options
)

// Rename is one a TO b of a RENAME clause.
type Rename struct {
	node
	From, To string
}

// AlterTable is ALTER TABLE [IF EXISTS] name followed by one action.
// Add is used by AlterTableAdd, Drop by AlterTableDrop, Renames by
// AlterTableRename, Options by AlterTableOptions.
type AlterTable struct {
	statement
	IfExists bool
	Table    *TableName
	Kind     AlterTableKind
	// IfColumnExists is ADD IF NOT EXISTS, DROP IF EXISTS or RENAME IF
	// EXISTS (Cassandra 4.1).
	IfColumnExists bool
	Add            []*ColumnDef
	Drop           []*ColumnRef
	// DropTimestamp is the n of DROP ... USING TIMESTAMP n (microseconds),
	// when HasDropTimestamp.
	DropTimestamp    int64
	HasDropTimestamp bool
	Renames          []*Rename
	Options          []*Property
}

// DropTable is DROP TABLE [IF EXISTS] name.
type DropTable struct {
	statement
	IfExists bool
	Table    *TableName
}

// FieldDef is one field of CREATE TYPE or ALTER TYPE ADD.
type FieldDef struct {
	node
	Name string
	Type *TypeRef
}

// CreateType is CREATE TYPE [IF NOT EXISTS] name (f type, ...).
type CreateType struct {
	statement
	IfNotExists bool
	Name        *TableName
	Fields      []*FieldDef
}

// AlterTypeKind says what an ALTER TYPE does.
type AlterTypeKind uint8

// ALTER TYPE kinds.
const (
	AlterTypeAdd    AlterTypeKind = iota + 1 // ADD [IF NOT EXISTS] f type
	AlterTypeRename                          // RENAME [IF EXISTS] a TO b [AND c TO d]
)

// AlterType is ALTER TYPE [IF EXISTS] name ADD ... | RENAME ....
type AlterType struct {
	statement
	IfExists      bool
	Name          *TableName
	Kind          AlterTypeKind
	IfFieldExists bool // ADD IF NOT EXISTS / RENAME IF EXISTS
	Add           *FieldDef
	Renames       []*Rename
}

// DropType is DROP TYPE [IF EXISTS] name.
type DropType struct {
	statement
	IfExists bool
	Name     *TableName
}

// DescribeKind is what a DESCRIBE statement lists or describes.
type DescribeKind uint8

// DESCRIBE kinds. The plural kinds list names; the singular ones return
// create statements.
const (
	DescribeCluster    DescribeKind = iota + 1 // DESCRIBE CLUSTER
	DescribeSchema                             // DESCRIBE [FULL] SCHEMA
	DescribeKeyspaces                          // DESCRIBE KEYSPACES
	DescribeKeyspace                           // DESCRIBE [ONLY] KEYSPACE [ks]
	DescribeTables                             // DESCRIBE TABLES | COLUMNFAMILIES
	DescribeTable                              // DESCRIBE TABLE | COLUMNFAMILY [ks.]t
	DescribeTypes                              // DESCRIBE TYPES
	DescribeType                               // DESCRIBE TYPE [ks.]t
	DescribeFunctions                          // DESCRIBE FUNCTIONS
	DescribeFunction                           // DESCRIBE FUNCTION [ks.]f
	DescribeAggregates                         // DESCRIBE AGGREGATES
	DescribeAggregate                          // DESCRIBE AGGREGATE [ks.]a
	DescribeIndex                              // DESCRIBE INDEX [ks.]i
	DescribeView                               // DESCRIBE MATERIALIZED VIEW [ks.]v
	DescribeName                               // DESCRIBE [ks.]x: whatever x names
)

// Describe is a DESCRIBE or DESC statement (server-side describe, as
// cqlsh 4.1 and 5.0 send it).
type Describe struct {
	statement
	Kind DescribeKind
	// Name is the object described; nil for the listing kinds, for
	// CLUSTER and SCHEMA, and for DESCRIBE KEYSPACE without a name (the
	// session's keyspace). For DescribeKeyspace only Name.Name is set.
	Name      *TableName
	Full      bool // DESCRIBE FULL SCHEMA
	Only      bool // DESCRIBE ONLY KEYSPACE
	Internals bool // WITH INTERNALS
}
