package exec

import (
	"context"
	"errors"
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// DDL runs through SchemaStore.Update: the change is applied to the
// latest catalog atomically, so concurrent DDL never loses a change. A
// statement answers SchemaChangeResult (and publishes the matching
// SCHEMA_CHANGE event), or VoidResult when IF [NOT] EXISTS made it a
// no-op, as Cassandra 4.1 does.

// ddlPlan is an analysed DDL statement.
type ddlPlan struct {
	change func(e *Executor, cat *schema.Catalog) (*schema.Catalog, error)
	result *SchemaChangeResult
	// ifExists turns NotFound into a no-op; ifNotExists turns
	// AlreadyExists into one.
	ifExists, ifNotExists bool
	// truncate lists the tables whose data goes away with the change
	// (DROP TABLE, DROP KEYSPACE); computed from the catalog the change
	// applies to.
	truncate func(cat *schema.Catalog) []schema.TableID
}

// errNoChange aborts an update that IF [NOT] EXISTS made a no-op.
var errNoChange = errors.New("exec: schema unchanged")

func (p *ddlPlan) run(ctx context.Context, e *Executor, _ *Session, _ *bindEnv, _ *QueryOptions) (Result, error) {
	var dropped []schema.TableID
	_, err := e.cfg.Schema.Update(ctx, func(cat *schema.Catalog) (*schema.Catalog, error) {
		next, err := p.change(e, cat)
		if err != nil {
			if p.noop(err) {
				return nil, errNoChange
			}
			return nil, err
		}
		if p.truncate != nil {
			dropped = p.truncate(cat)
		}
		return next, nil
	})
	if errors.Is(err, errNoChange) {
		return VoidResult{}, nil
	}
	if err != nil {
		return nil, schemaError(err)
	}
	for _, id := range dropped {
		if err := e.cfg.Coordinator.Truncate(ctx, id); err != nil {
			e.log.Warn("cannot remove the data of a dropped table", "table", id, "err", err)
		}
	}
	e.publish(p.result)
	return p.result, nil
}

func (p *ddlPlan) noop(err error) bool {
	var ae *schema.AlreadyExistsError
	var nf *schema.NotFoundError
	return (p.ifNotExists && errors.As(err, &ae)) || (p.ifExists && errors.As(err, &nf))
}

// schemaError maps the catalog's typed errors to CQL errors.
func schemaError(err error) error {
	var ae *schema.AlreadyExistsError
	var nf *schema.NotFoundError
	var ie *schema.InvalidError
	var ce *schema.ConfigError
	var ue *schema.UnauthorizedError
	var xe *Error
	switch {
	case errors.As(err, &xe):
		return xe
	case errors.As(err, &ae):
		if ae.Kind == schema.ObjectType || ae.Kind == schema.ObjectIndex {
			// Cassandra's CreateTypeStatement and CreateIndexStatement
			// refuse an existing type or index with an
			// InvalidRequestException, not AlreadyExists.
			return newError(CodeInvalid, ae.Error()).WithCause(ae)
		}
		return alreadyExists(ae.Keyspace, ae.Table, ae.Error()).WithCause(ae)
	case errors.As(err, &nf):
		return newError(CodeInvalid, nf.Error()).WithCause(nf)
	case errors.As(err, &ie):
		return newError(CodeInvalid, ie.Error()).WithCause(ie)
	case errors.As(err, &ce):
		return newError(CodeConfigError, ce.Error()).WithCause(ce)
	case errors.As(err, &ue):
		return newError(CodeUnauthorized, ue.Error()).WithCause(ue)
	}
	return internalError("change the schema", err)
}

func (a *analyzer) analyzeDDL(stmt parser.Statement) (plan, error) {
	switch s := stmt.(type) {
	case *parser.CreateKeyspace:
		return a.createKeyspace(s)
	case *parser.AlterKeyspace:
		return a.alterKeyspace(s)
	case *parser.DropKeyspace:
		return a.dropKeyspace(s), nil
	case *parser.CreateTable:
		return a.createTable(s)
	case *parser.AlterTable:
		return a.alterTable(s)
	case *parser.DropTable:
		return a.dropTable(s)
	case *parser.Truncate:
		return a.truncate(s)
	case *parser.CreateType:
		return a.createType(s)
	case *parser.AlterType:
		return a.alterType(s)
	case *parser.DropType:
		return a.dropType(s)
	case *parser.CreateIndex:
		return a.createIndex(s)
	case *parser.DropIndex:
		return a.dropIndex(s)
	}
	return nil, invalidf("Unsupported statement: %s", stmt.String())
}

func keyspaceChange(change, ks string) *SchemaChangeResult {
	return &SchemaChangeResult{Change: change, Target: TargetKeyspace, Keyspace: ks}
}

func tableChange(change, ks, table string) *SchemaChangeResult {
	return &SchemaChangeResult{Change: change, Target: TargetTable, Keyspace: ks, Name: table}
}

func (a *analyzer) createKeyspace(s *parser.CreateKeyspace) (plan, error) {
	opts, err := keyspaceOptions(s.Options)
	if err != nil {
		return nil, err
	}
	if opts.replication == nil {
		return nil, configf("Missing mandatory option 'replication'")
	}
	durable := true
	if opts.durable != nil {
		durable = *opts.durable
	}
	return &ddlPlan{
		ifNotExists: s.IfNotExists,
		result:      keyspaceChange(ChangeCreated, s.Name),
		change: func(e *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			repl, err := schema.NormalizeReplication(opts.replication, e.dataCenters())
			if err != nil {
				return nil, replicationError(err, s.Name)
			}
			return cat.CreateKeyspace(s.Name, repl, durable)
		},
	}, nil
}

func (a *analyzer) alterKeyspace(s *parser.AlterKeyspace) (plan, error) {
	opts, err := keyspaceOptions(s.Options)
	if err != nil {
		return nil, err
	}
	return &ddlPlan{
		ifExists: s.IfExists,
		result:   keyspaceChange(ChangeUpdated, s.Name),
		change: func(e *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			repl := opts.replication
			if repl != nil {
				var err error
				if repl, err = schema.NormalizeReplication(repl, e.dataCenters()); err != nil {
					return nil, replicationError(err, s.Name)
				}
			}
			return cat.AlterKeyspace(s.Name, repl, opts.durable)
		},
	}, nil
}

func (a *analyzer) dropKeyspace(s *parser.DropKeyspace) plan {
	return &ddlPlan{
		ifExists: s.IfExists,
		result:   keyspaceChange(ChangeDropped, s.Name),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			return cat.DropKeyspace(s.Name)
		},
		truncate: func(cat *schema.Catalog) []schema.TableID {
			var ids []schema.TableID
			if k := cat.Keyspace(s.Name); k != nil {
				for _, t := range k.SortedTables() {
					ids = append(ids, t.TableID)
				}
			}
			return ids
		},
	}
}

// dataCenters lists the cluster's data centers, for checking
// NetworkTopologyStrategy options.
// replicationError names the keyspace in an unrecognized strategy option,
// as AbstractReplicationStrategy.validateExpectedOptions does ("... passed
// to SimpleStrategy for keyspace ks").
func replicationError(err error, keyspace string) error {
	var ce *schema.ConfigError
	if errors.As(err, &ce) && strings.HasPrefix(ce.Msg, "Unrecognized strategy option") {
		return configf("%s for keyspace %s", ce.Msg, keyspace)
	}
	return err
}

func (e *Executor) dataCenters() []string {
	seen := map[string]bool{}
	var out []string
	add := func(dc string) {
		if dc != "" && !seen[dc] {
			seen[dc] = true
			out = append(out, dc)
		}
	}
	add(e.cfg.Cluster.Local().DataCenter)
	for _, p := range e.cfg.Cluster.Peers() {
		add(p.DataCenter)
	}
	return out
}

func (a *analyzer) dropTable(s *parser.DropTable) (plan, error) {
	ks, err := a.keyspaceOf(s.Table.Keyspace)
	if err != nil {
		return nil, err
	}
	return &ddlPlan{
		ifExists: s.IfExists,
		result:   tableChange(ChangeDropped, ks, s.Table.Name),
		change: func(_ *Executor, cat *schema.Catalog) (*schema.Catalog, error) {
			return cat.DropTable(ks, s.Table.Name)
		},
		truncate: func(cat *schema.Catalog) []schema.TableID {
			if t := cat.Table(ks, s.Table.Name); t != nil {
				return []schema.TableID{t.TableID}
			}
			return nil
		},
	}, nil
}

// truncatePlan is TRUNCATE: data only, the schema is unchanged.
type truncatePlan struct{ ks, table string }

func (a *analyzer) truncate(s *parser.Truncate) (plan, error) {
	t, err := a.lookupWritable(s.Table)
	if err != nil {
		return nil, err
	}
	return truncatePlan{ks: t.Keyspace, table: t.Name}, nil
}

func (p truncatePlan) run(ctx context.Context, e *Executor, _ *Session, _ *bindEnv, _ *QueryOptions) (Result, error) {
	t := e.cfg.Schema.Catalog().Table(p.ks, p.table)
	if t == nil {
		return nil, invalidf("Table '%s.%s' doesn't exist", p.ks, p.table)
	}
	if err := e.cfg.Coordinator.Truncate(ctx, t.TableID); err != nil {
		return nil, err
	}
	return VoidResult{}, nil
}
