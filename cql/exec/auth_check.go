package exec

import (
	"context"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// access is one permission a statement needs on a resource.
type access struct {
	perm string
	res  authResource
}

// accessOf lists the permissions stmt needs, as Cassandra's statements'
// authorize methods check them: SELECT on the table read, MODIFY on the
// table written (TRUNCATE included), CREATE on ALL KEYSPACES for CREATE
// KEYSPACE, CREATE/ALTER/DROP on the keyspace for tables and types
// created and keyspaces altered or dropped, ALTER/DROP on the table for
// ALTER/DROP TABLE. Role and permission statements check their own at run
// time; USE and DESCRIBE need none. Names without a keyspace take the
// session's (ks); a name that resolves to none needs nothing here, as the
// analysis refuses it.
func accessOf(stmt parser.Statement, ks string) []access {
	table := func(perm string, tn *parser.TableName) []access {
		if tn == nil {
			return nil
		}
		k := tn.Keyspace
		if k == "" {
			k = ks
		}
		if perm == "SELECT" && readableSystemTable(k, tn.Name) {
			return nil
		}
		return []access{{perm, tableResource(k, tn.Name)}}
	}
	keyspace := func(perm, k string) []access {
		if k == "" {
			k = ks
		}
		return []access{{perm, keyspaceResource(k)}}
	}
	typeKs := func(tn *parser.TableName) string {
		if tn == nil {
			return ""
		}
		return tn.Keyspace
	}
	switch s := stmt.(type) {
	case *parser.Select:
		return table("SELECT", s.Table)
	// A conditional write needs SELECT too: its result shows what it
	// read (ModificationStatement.authorize).
	case *parser.Insert:
		return append(table("MODIFY", s.Table), casSelect(s.IfNotExists, table, s.Table)...)
	case *parser.Update:
		return append(table("MODIFY", s.Table), casSelect(s.IfExists || s.Conditions != nil, table, s.Table)...)
	case *parser.Delete:
		return append(table("MODIFY", s.Table), casSelect(s.IfExists || s.Conditions != nil, table, s.Table)...)
	case *parser.Truncate:
		return table("MODIFY", s.Table)
	case *parser.Batch:
		var out []access
		for _, st := range s.Statements {
			out = append(out, accessOf(st, ks)...)
		}
		return out
	case *parser.CreateKeyspace:
		return []access{{"CREATE", dataRoot()}}
	case *parser.AlterKeyspace:
		return keyspace("ALTER", s.Name)
	case *parser.DropKeyspace:
		return keyspace("DROP", s.Name)
	case *parser.CreateTable:
		if s.Table == nil {
			return nil
		}
		return keyspace("CREATE", s.Table.Keyspace)
	case *parser.AlterTable:
		return table("ALTER", s.Table)
	case *parser.DropTable:
		return table("DROP", s.Table)
	case *parser.CreateType:
		return keyspace("CREATE", typeKs(s.Name))
	case *parser.AlterType:
		return keyspace("ALTER", typeKs(s.Name))
	case *parser.DropType:
		return keyspace("DROP", typeKs(s.Name))
	case *parser.CreateIndex:
		// CreateIndexStatement.authorize: ALTER on the table.
		return table("ALTER", s.Table)
	case *parser.DropIndex:
		// Cassandra wants ALTER on the index's table; which table that is
		// needs the catalog, so ALTER on its keyspace (which covers every
		// table) is asked here.
		return keyspace("ALTER", typeKs(s.Name))
	}
	return nil
}

// authorize checks that the session may run a statement that needs acc.
func (e *Executor) authorize(ctx context.Context, s *Session, acc []access) error {
	if !e.cfg.Authorizer {
		return nil
	}
	if _, err := e.loggedIn(s); err != nil {
		return err
	}
	for _, a := range acc {
		if err := e.ensure(ctx, s, a.perm, a.res); err != nil {
			return err
		}
	}
	return nil
}

// afterSchemaChange keeps permissions in step with the schema, as
// Cassandra does: the creator of a keyspace or table is granted every
// permission that applies to it (grantPermissionsToCreator), and the
// permissions on a dropped keyspace or table are revoked from every role
// (AuthSchemaChangeListener).
func (e *Executor) afterSchemaChange(ctx context.Context, s *Session, res Result) {
	sc, ok := res.(*SchemaChangeResult)
	if !ok || !e.cfg.Authorizer {
		return
	}
	var r authResource
	switch sc.Target {
	case TargetKeyspace:
		r = keyspaceResource(sc.Keyspace)
	case TargetTable:
		r = tableResource(sc.Keyspace, sc.Name)
	default:
		return
	}
	var err error
	switch sc.Change {
	case ChangeCreated:
		if user := s.User(); user != "" {
			err = e.grantPermissions(ctx, user, r, r.applicable())
		}
	case ChangeDropped:
		err = e.revokeAllOn(ctx, r)
		if err == nil && r.kind == parser.ResourceKeyspace {
			// The keyspace's tables went with it.
			err = e.revokeAllUnder(ctx, r)
		}
	}
	if err != nil {
		e.log.Warn("cannot update permissions after a schema change", "resource", r.String(), "err", err)
	}
}

// afterWrite drops the auth caches after a client wrote system_auth by
// hand, so this node sees the change at once.
func (e *Executor) afterWrite(an *analyzed) {
	if an.write != nil && an.write.table.Keyspace == schema.SystemAuthKeyspace {
		e.invalidateAuth()
	}
}

// grantPermissions adds perms on r to role.
func (e *Executor) grantPermissions(ctx context.Context, role string, r authResource, perms []string) error {
	if _, err := e.authQuery(ctx, "", "UPDATE system_auth.role_permissions SET permissions = permissions + %s WHERE role = %s AND resource = %s",
		quoteSet(perms), quoteText(role), quoteText(r.key())); err != nil {
		return err
	}
	if _, err := e.authQuery(ctx, "", "INSERT INTO system_auth.resource_role_permissons_index (resource, role) VALUES (%s, %s)",
		quoteText(r.key()), quoteText(role)); err != nil {
		return err
	}
	e.invalidateAuth()
	return nil
}

// revokePermissions removes perms on r from role.
func (e *Executor) revokePermissions(ctx context.Context, role string, r authResource, perms []string) error {
	if _, err := e.authQuery(ctx, "", "UPDATE system_auth.role_permissions SET permissions = permissions - %s WHERE role = %s AND resource = %s",
		quoteSet(perms), quoteText(role), quoteText(r.key())); err != nil {
		return err
	}
	e.invalidateAuth()
	return nil
}

// revokeAllOn removes every permission on r (CassandraAuthorizer's
// revokeAllOn), through resource_role_permissons_index.
func (e *Executor) revokeAllOn(ctx context.Context, r authResource) error {
	return e.revokeAllOnName(ctx, r.key())
}

func (e *Executor) revokeAllOnName(ctx context.Context, name string) error {
	rows, err := e.authQuery(ctx, "", "SELECT role FROM system_auth.resource_role_permissons_index WHERE resource = %s", quoteText(name))
	if err != nil {
		return err
	}
	if rows != nil {
		for _, row := range rows.Rows {
			if _, err := e.authQuery(ctx, "", "DELETE FROM system_auth.role_permissions WHERE role = %s AND resource = %s", quoteText(textOf(row[0])), quoteText(name)); err != nil {
				return err
			}
		}
	}
	if _, err := e.authQuery(ctx, "", "DELETE FROM system_auth.resource_role_permissons_index WHERE resource = %s", quoteText(name)); err != nil {
		return err
	}
	e.invalidateAuth()
	return nil
}

// revokeAllUnder removes the permissions on every table of a dropped
// keyspace.
func (e *Executor) revokeAllUnder(ctx context.Context, ks authResource) error {
	rows, err := e.authQuery(ctx, "", "SELECT resource FROM system_auth.resource_role_permissons_index")
	if err != nil || rows == nil {
		return err
	}
	prefix := ks.key() + "/"
	seen := map[string]bool{}
	for _, row := range rows.Rows {
		n := textOf(row[0])
		if len(n) > len(prefix) && n[:len(prefix)] == prefix && !seen[n] {
			seen[n] = true
			if err := e.revokeAllOnName(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// revokeAllFrom removes every permission of role (CassandraAuthorizer's
// revokeAllFrom).
func (e *Executor) revokeAllFrom(ctx context.Context, role string) error {
	rows, err := e.authQuery(ctx, "", "SELECT resource FROM system_auth.role_permissions WHERE role = %s", quoteText(role))
	if err != nil {
		return err
	}
	if rows != nil {
		for _, row := range rows.Rows {
			if _, err := e.authQuery(ctx, "", "DELETE FROM system_auth.resource_role_permissons_index WHERE resource = %s AND role = %s", quoteText(textOf(row[0])), quoteText(role)); err != nil {
				return err
			}
		}
	}
	if _, err := e.authQuery(ctx, "", "DELETE FROM system_auth.role_permissions WHERE role = %s", quoteText(role)); err != nil {
		return err
	}
	e.invalidateAuth()
	return nil
}

// resourceExists reports whether a data resource names a keyspace or
// table of the catalog (roles are checked against system_auth.roles).
func resourceExists(cat *schema.Catalog, r authResource) bool {
	switch r.kind {
	case parser.ResourceKeyspace:
		return cat.Keyspace(r.keyspace) != nil
	case parser.ResourceTable:
		return cat.Table(r.keyspace, r.name) != nil
	}
	return true
}
