package parser

import "reflect"

// Inspect traverses the tree rooted at n in source order: it calls f(n),
// and if f returns true, inspects each child of n. Nil nodes are skipped.
// The Markers list of a statement is not traversed separately: each marker
// is visited where it appears.
func Inspect(n Node, f func(Node) bool) {
	if isNilNode(n) || !f(n) {
		return
	}
	for _, c := range children(n) {
		Inspect(c, f)
	}
}

// isNilNode reports whether n is nil or a typed nil pointer (an absent
// optional child such as Describe.Name).
func isNilNode(n Node) bool {
	if n == nil {
		return true
	}
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// children lists the direct children of n in source order.
func children(n Node) []Node {
	switch n := n.(type) {
	case *ListLit:
		return exprNodes(n.Elems)
	case *SetLit:
		return exprNodes(n.Elems)
	case *TupleLit:
		return exprNodes(n.Elems)
	case *FunctionCall:
		return exprNodes(n.Args)
	case *MapLit:
		return nodes(n.Entries)
	case *MapEntry:
		return []Node{n.Key, n.Value}
	case *UDTLit:
		return nodes(n.Fields)
	case *UDTField:
		return []Node{n.Value}
	case *TypeHint:
		return []Node{n.Type, n.Expr}
	case *Cast:
		return []Node{n.Expr, n.Type}
	case *FieldAccess:
		return []Node{n.Expr}
	case *IndexExpr:
		return []Node{n.Expr, n.Key, n.To}
	case *TypeRef:
		return nodes(n.Args)
	}
	return clauseChildren(n)
}

func clauseChildren(n Node) []Node {
	switch n := n.(type) {
	case *Property:
		return []Node{n.Value}
	case *UsingParam:
		return []Node{n.Value}
	case *Relation:
		return append(append(append(nodes(n.Columns), n.MapKey), n.Value), exprNodes(n.Values)...)
	case *Target:
		return []Node{n.Key}
	case *Condition:
		return append([]Node{n.Target, n.Value}, exprNodes(n.Values)...)
	case *Ordering:
		return []Node{n.Column}
	case *Selector:
		return []Node{n.Expr}
	case *Assignment:
		return []Node{n.Target, n.Value}
	case *ColumnDef:
		return []Node{n.Type}
	case *FieldDef:
		return []Node{n.Type}
	}
	return statementChildren(n)
}

func statementChildren(n Node) []Node {
	switch n := n.(type) {
	case *Select:
		out := append(nodes(n.Selectors), n.Table)
		out = append(append(out, nodes(n.Where)...), nodes(n.GroupBy)...)
		return append(append(out, nodes(n.OrderBy)...), n.PerPartitionLimit, n.Limit)
	case *Insert:
		out := append([]Node{n.Table}, nodes(n.Columns)...)
		out = append(out, exprNodes(n.Values)...)
		if n.JSON != nil {
			out = append(out, n.JSON)
		}
		return append(out, nodes(n.Using)...)
	case *Update:
		out := append([]Node{n.Table}, nodes(n.Using)...)
		out = append(append(out, nodes(n.Set)...), nodes(n.Where)...)
		return append(out, nodes(n.Conditions)...)
	case *Delete:
		out := append(nodes(n.Targets), n.Table)
		out = append(append(out, nodes(n.Using)...), nodes(n.Where)...)
		return append(out, nodes(n.Conditions)...)
	case *Batch:
		out := nodes(n.Using)
		for _, s := range n.Statements {
			out = append(out, s)
		}
		return out
	}
	return ddlChildren(n)
}

func ddlChildren(n Node) []Node {
	switch n := n.(type) {
	case *Truncate:
		return []Node{n.Table}
	case *CreateKeyspace:
		return nodes(n.Options)
	case *AlterKeyspace:
		return nodes(n.Options)
	case *CreateTable:
		out := append([]Node{n.Table}, nodes(n.Columns)...)
		out = append(append(out, nodes(n.PartitionKey)...), nodes(n.Clustering)...)
		return append(append(out, nodes(n.ClusteringOrder)...), nodes(n.Options)...)
	case *AlterTable:
		out := append([]Node{n.Table}, nodes(n.Add)...)
		out = append(append(out, nodes(n.Drop)...), nodes(n.Renames)...)
		return append(out, nodes(n.Options)...)
	case *DropTable:
		return []Node{n.Table}
	case *CreateType:
		return append([]Node{n.Name}, nodes(n.Fields)...)
	case *AlterType:
		return append([]Node{n.Name, n.Add}, nodes(n.Renames)...)
	case *DropType:
		return []Node{n.Name}
	case *Describe:
		return []Node{n.Name}
	}
	return indexChildren(n)
}

// nodes converts a slice of concrete nodes to []Node.
func nodes[T Node](list []T) []Node {
	out := make([]Node, 0, len(list))
	for _, n := range list {
		out = append(out, n)
	}
	return out
}

func exprNodes(list []Expr) []Node { return nodes(list) }
