package exec

import (
	"errors"
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// CREATE INDEX and DROP INDEX, as Cassandra 4.1's CreateIndexStatement
// and DropIndexStatement (and 5.0's StorageAttachedIndex for CREATE CUSTOM
// INDEX ... USING 'sai'). Both answer and publish SCHEMA_CHANGE UPDATED
// TABLE for the index's table, as Cassandra does: an index is part of
// its table's metadata.

// createIndex checks the statement's own shape (IndexAttributes.validate
// and CreateIndexStatement.Raw.prepare); the catalog checks the target
// against the table.
func (a *analyzer) createIndex(s *parser.CreateIndex) (plan, error) {
	ks := s.Table.Keyspace
	if ks == "" && s.Name != nil {
		ks = s.Name.Keyspace
	}
	ks, err := a.keyspaceOf(ks)
	if err != nil {
		return nil, err
	}
	if s.Name != nil && s.Name.Keyspace != "" && s.Name.Keyspace != ks {
		return nil, invalidf("Keyspace name '%s' doesn't match index name '%s'", ks, s.Name)
	}
	opts, err := indexOptions(s)
	if err != nil {
		return nil, err
	}
	if len(s.Targets) == 0 && !s.Custom {
		return nil, invalidf("Only CUSTOM indexes can be created without specifying a target column")
	}
	if len(s.Targets) > 1 && !s.Custom {
		return nil, invalidf("Only CUSTOM indexes support multiple columns")
	}
	def := schema.IndexDef{Keyspace: ks, Table: s.Table.Name, Options: opts}
	if s.Name != nil {
		def.Name = s.Name.Name
	}
	if s.Custom {
		if def.Custom, err = schema.ResolveIndexClass(s.Using); err != nil {
			return nil, schemaError(err)
		}
		if len(s.Targets) != 1 {
			return nil, invalidf("StorageAttachedIndex indexes exactly one target column")
		}
	}
	def.Column, def.Target = s.Targets[0].Column.Name, schema.IndexTargetType(s.Targets[0].Kind)
	return &ddlPlan{
		ifNotExists: s.IfNotExists,
		result:      tableChange(ChangeUpdated, ks, s.Table.Name),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			if cat.Keyspace(ks) == nil {
				return nil, invalidf("Keyspace '%s' doesn't exist", ks)
			}
			next, err := cat.CreateIndex(def)
			var dup *schema.DuplicateIndexError
			if errors.As(err, &dup) {
				if s.IfNotExists {
					return nil, errNoChange
				}
				return nil, invalidf("%s", dup.Error()).WithCause(dup)
			}
			return next, err
		},
	}, nil
}

// indexOptions checks the attributes: a class only with CUSTOM, CUSTOM
// only with a class, WITH OPTIONS = {...} only on a custom index.
func indexOptions(s *parser.CreateIndex) (map[string]string, error) {
	if s.Custom && !s.HasUsing {
		return nil, invalidf("CUSTOM index requires specifying the index class")
	}
	if !s.Custom && s.HasUsing {
		return nil, invalidf("Cannot specify index class for a non-CUSTOM index")
	}
	if err := checkPropertyNames(s.Options); err != nil {
		return nil, err
	}
	var out map[string]string
	for _, p := range s.Options {
		if !strings.EqualFold(p.Name, "options") {
			return nil, syntaxf("Unknown property '%s'", p.Name)
		}
		v, err := propertyValue(p.Value)
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]string)
		if !ok {
			return nil, syntaxf("Invalid value for property 'options': a map is expected")
		}
		out = m
	}
	if !s.Custom && len(s.Options) > 0 {
		return nil, invalidf("Cannot specify options for a non-CUSTOM index")
	}
	for k := range out {
		if k == schema.IndexOptionTarget || k == schema.IndexOptionClassName {
			return nil, invalidf("Cannot specify %s as a CUSTOM option", k)
		}
	}
	return out, nil
}

// dropIndex is DropIndexStatement: the index is looked up by name in
// the keyspace; the event names its table.
func (a *analyzer) dropIndex(s *parser.DropIndex) (plan, error) {
	ks, err := a.keyspaceOf(s.Name.Keyspace)
	if err != nil {
		return nil, err
	}
	name := s.Name.Name
	table := ""
	if t, _ := a.cat.IndexOf(ks, name); t != nil {
		table = t.Name
	}
	return &ddlPlan{
		ifExists: s.IfExists,
		result:   tableChange(ChangeUpdated, ks, table),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			if t, _ := cat.IndexOf(ks, name); t != nil && t.Name != table {
				// Dropped and created again on another table since the
				// analysis: the event must name the table it is on now.
				return nil, invalidf("Index '%s.%s' moved to another table while being dropped; retry", ks, name)
			}
			return cat.DropIndex(ks, name)
		},
	}, nil
}
