package exec

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Property values of WITH clauses, as Go values the catalog accepts.

// propertyValue converts a WITH value: a literal to string, int64,
// float64 or bool; a map literal to map[string]string.
func propertyValue(x parser.Expr) (any, error) {
	switch v := x.(type) {
	case *parser.Literal:
		switch v.Kind {
		case parser.LitInteger:
			if n, err := strconv.ParseInt(v.Val, 10, 64); err == nil {
				return n, nil
			}
		case parser.LitFloat:
			if f, err := strconv.ParseFloat(v.Val, 64); err == nil {
				return f, nil
			}
		case parser.LitBoolean:
			return v.Val == "true", nil
		}
		return v.Val, nil
	case *parser.MapLit:
		m := make(map[string]string, len(v.Entries))
		for _, e := range v.Entries {
			k, ok1 := e.Key.(*parser.Literal)
			val, ok2 := e.Value.(*parser.Literal)
			if !ok1 || !ok2 {
				return nil, syntaxf("Invalid map property value %s", x.String())
			}
			// A key given twice ({'dc1': 1, 'dc1': 2}) is a syntax error in
			// Cassandra's grammar (convertPropertyMap), not a later value
			// silently winning.
			if _, dup := m[k.Val]; dup {
				return nil, syntaxf("Multiple definition for property %s", k.Val)
			}
			m[k.Val] = val.Val
		}
		return m, nil
	case *parser.SetLit:
		if len(v.Elems) == 0 {
			return map[string]string{}, nil
		}
	}
	return nil, syntaxf("Invalid property value %s", x.String())
}

// checkPropertyNames refuses a WITH clause naming one property twice, as
// Cassandra's PropertyDefinitions.addProperty does while parsing.
func checkPropertyNames(props []*parser.Property) error {
	seen := make(map[string]bool, len(props))
	for _, p := range props {
		if seen[p.Name] {
			return syntaxf("Multiple definition for property '%s'", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

type ksOptions struct {
	replication map[string]string
	durable     *bool
}

func keyspaceOptions(props []*parser.Property) (ksOptions, error) {
	var o ksOptions
	if err := checkPropertyNames(props); err != nil {
		return o, err
	}
	for _, p := range props {
		v, err := propertyValue(p.Value)
		if err != nil {
			return o, err
		}
		switch strings.ToLower(p.Name) {
		case "replication":
			m, ok := v.(map[string]string)
			if !ok {
				return o, syntaxf("Invalid value for property 'replication': a map is expected")
			}
			o.replication = m
		case "durable_writes":
			b, err := boolProperty(v)
			if err != nil {
				return o, configf("Invalid value for property 'durable_writes': %s", err).WithCause(err)
			}
			o.durable = &b
		default:
			return o, syntaxf("Unknown property '%s'", p.Name)
		}
	}
	return o, nil
}

func boolProperty(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return strconv.ParseBool(strings.ToLower(b))
	}
	return false, strconv.ErrSyntax
}

// applyTableOptions sets WITH options on a copy of base.
func applyTableOptions(base schema.TableOptions, props []*parser.Property) (schema.TableOptions, error) {
	o := base.Clone()
	if err := checkPropertyNames(props); err != nil {
		return o, err
	}
	for _, p := range props {
		v, err := propertyValue(p.Value)
		if err != nil {
			return o, err
		}
		if !slices.Contains(schema.TableOptionNames, strings.ToLower(p.Name)) {
			// PropertyDefinitions.validate: a SyntaxException.
			return o, syntaxf("Unknown property '%s'", p.Name)
		}
		if err := o.Set(p.Name, v); err != nil {
			return o, schemaError(err)
		}
	}
	if err := o.Validate(); err != nil {
		return o, schemaError(err)
	}
	return o, nil
}
