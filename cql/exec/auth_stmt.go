package exec

import (
	"context"
	"slices"
	"sort"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// The role and permission statements, as Cassandra 4.1's
// CreateRoleStatement, AlterRoleStatement, DropRoleStatement,
// GrantRoleStatement, RevokeRoleStatement, ListRolesStatement,
// ListUsersStatement, GrantPermissionsStatement,
// RevokePermissionsStatement and ListPermissionsStatement check and run
// them.

type authPlan struct {
	stmt     parser.Statement
	keyspace string // the session's keyspace at analysis (for TABLE t)
}

func (a *analyzer) analyzeAuth(stmt parser.Statement) (plan, error) {
	return authPlan{stmt: stmt, keyspace: a.keyspace}, nil
}

func (p authPlan) run(ctx context.Context, e *Executor, s *Session, _ *bindEnv, _ *QueryOptions) (Result, error) {
	if e.cfg.Authorizer || e.cfg.Authenticator {
		if _, err := e.loggedIn(s); err != nil {
			return nil, err
		}
	}
	switch st := p.stmt.(type) {
	case *parser.CreateRole:
		return e.createRole(ctx, s, st)
	case *parser.AlterRole:
		return e.alterRole(ctx, s, st)
	case *parser.DropRole:
		return e.dropRole(ctx, s, st)
	case *parser.GrantRole:
		return e.grantRole(ctx, s, st)
	case *parser.ListRoles:
		return e.listRoles(ctx, s, st)
	case *parser.GrantPermissions:
		return e.grantPermissionsStmt(ctx, s, st, p.keyspace)
	case *parser.ListPermissions:
		return e.listPermissions(ctx, s, st, p.keyspace)
	}
	return nil, invalidf("unsupported statement")
}

// checkRolePermission is RoleManagementStatement.checkPermission: the
// generic refusal is replaced by one that names no resource.
func (e *Executor) checkRolePermission(ctx context.Context, s *Session, perm string, r authResource) error {
	ok, err := e.hasPermission(ctx, s, perm, r)
	if err != nil || ok {
		return err
	}
	return Errorf(CodeUnauthorized, "User %s does not have sufficient privileges to perform the requested operation", s.User())
}

// roleManagerClass names the role manager in RoleOptions.validate's
// message.
const roleManagerClass = "org.apache.cassandra.auth.CassandraRoleManager"

// validateRoleOptions is RoleOptions.validate: the built-in role manager
// supports LOGIN and SUPERUSER, and PASSWORD only with
// PasswordAuthenticator.
func (e *Executor) validateRoleOptions(o parser.RoleOptions) error {
	if o.Password != nil && !e.cfg.Authenticator {
		return invalidf("%s doesn't support PASSWORD", roleManagerClass)
	}
	if o.Options != nil {
		return invalidf("%s doesn't support OPTIONS", roleManagerClass)
	}
	return nil
}

func (e *Executor) createRole(ctx context.Context, s *Session, st *parser.CreateRole) (Result, error) {
	if err := e.checkRolePermission(ctx, s, "CREATE", rolesRoot()); err != nil {
		return nil, err
	}
	if st.Options.Superuser != nil && *st.Options.Superuser {
		if super, err := e.isSuper(ctx, s); err != nil {
			return nil, err
		} else if !super {
			return nil, Errorf(CodeUnauthorized, "Only superusers can create a role with superuser status")
		}
	}
	if err := e.validateRoleOptions(st.Options); err != nil {
		return nil, err
	}
	if st.Name == "" {
		return nil, invalidf("Role name can't be an empty string")
	}
	existing, err := e.readRole(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if st.IfNotExists {
			return VoidResult{}, nil
		}
		return nil, invalidf("%s already exists", st.Name)
	}
	login := st.User
	if st.Options.Login != nil {
		login = *st.Options.Login
	}
	super := st.Options.Superuser != nil && *st.Options.Superuser
	if st.Options.Password != nil {
		hash, err := hashPassword(*st.Options.Password, e.cfg.BcryptCost)
		if err != nil {
			return nil, err
		}
		_, err = e.authQuery(ctx, st.Name, "INSERT INTO system_auth.roles (role, is_superuser, can_login, salted_hash) VALUES (%s, %t, %t, %s)",
			quoteText(st.Name), super, login, quoteText(hash))
		if err != nil {
			return nil, err
		}
	} else if _, err := e.authQuery(ctx, st.Name, "INSERT INTO system_auth.roles (role, is_superuser, can_login) VALUES (%s, %t, %t)",
		quoteText(st.Name), super, login); err != nil {
		return nil, err
	}
	e.invalidateAuth()
	// grantPermissionsToCreator.
	if e.cfg.Authorizer {
		if user := s.User(); user != "" {
			r := roleResource(st.Name)
			if err := e.grantPermissions(ctx, user, r, r.applicable()); err != nil {
				return nil, err
			}
		}
	}
	return VoidResult{}, nil
}

func (e *Executor) alterRole(ctx context.Context, s *Session, st *parser.AlterRole) (Result, error) {
	o := st.Options
	if e.cfg.Authorizer {
		user := s.User()
		u, err := e.userInfo(ctx, user)
		if err != nil {
			return nil, err
		}
		if o.Superuser != nil && slices.Contains(u.roles, st.Name) {
			return nil, Errorf(CodeUnauthorized, "You aren't allowed to alter your own superuser status or that of a role granted to you")
		}
		if o.Superuser != nil && !u.super {
			return nil, Errorf(CodeUnauthorized, "Only superusers are allowed to alter superuser status")
		}
		if !u.super {
			if user == st.Name {
				if o.Login != nil {
					return nil, Errorf(CodeUnauthorized, "You aren't allowed to alter LOGIN")
				}
			} else if err := e.checkRolePermission(ctx, s, "ALTER", roleResource(st.Name)); err != nil {
				return nil, err
			}
		}
	}
	if err := e.validateRoleOptions(o); err != nil {
		return nil, err
	}
	if o.Password == nil && o.Login == nil && o.Superuser == nil {
		return nil, invalidf("ALTER [ROLE|USER] can't be empty")
	}
	existing, err := e.readRole(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	if existing == nil {
		return nil, invalidf("%s doesn't exist", st.Name)
	}
	var sets []string
	if o.Superuser != nil {
		sets = append(sets, "is_superuser = "+boolWord(*o.Superuser))
	}
	if o.Login != nil {
		sets = append(sets, "can_login = "+boolWord(*o.Login))
	}
	if o.Password != nil {
		hash, err := hashPassword(*o.Password, e.cfg.BcryptCost)
		if err != nil {
			return nil, err
		}
		sets = append(sets, "salted_hash = "+quoteText(hash))
	}
	for _, set := range sets {
		if _, err := e.authQuery(ctx, st.Name, "UPDATE system_auth.roles SET %s WHERE role = %s", set, quoteText(st.Name)); err != nil {
			return nil, err
		}
	}
	e.invalidateAuth()
	return VoidResult{}, nil
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (e *Executor) dropRole(ctx context.Context, s *Session, st *parser.DropRole) (Result, error) {
	if err := e.checkRolePermission(ctx, s, "DROP", roleResource(st.Name)); err != nil {
		return nil, err
	}
	existing, err := e.readRole(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	if existing != nil && existing.super {
		if super, err := e.isSuper(ctx, s); err != nil {
			return nil, err
		} else if !super {
			return nil, Errorf(CodeUnauthorized, "Only superusers can drop a role with superuser status")
		}
	}
	if existing == nil {
		if st.IfExists {
			return VoidResult{}, nil
		}
		return nil, invalidf("%s doesn't exist", st.Name)
	}
	if s.User() == st.Name {
		return nil, invalidf("Cannot DROP primary role for current login")
	}
	if _, err := e.authQuery(ctx, st.Name, "DELETE FROM system_auth.roles WHERE role = %s", quoteText(st.Name)); err != nil {
		return nil, err
	}
	// Its memberships, both ways.
	for _, m := range existing.memberOf {
		if _, err := e.authQuery(ctx, st.Name, "DELETE FROM system_auth.role_members WHERE role = %s AND member = %s", quoteText(m), quoteText(st.Name)); err != nil {
			return nil, err
		}
	}
	members, err := e.authQuery(ctx, st.Name, "SELECT member FROM system_auth.role_members WHERE role = %s", quoteText(st.Name))
	if err != nil {
		return nil, err
	}
	if members != nil {
		for _, row := range members.Rows {
			m := textOf(row[0])
			if _, err := e.authQuery(ctx, m, "UPDATE system_auth.roles SET member_of = member_of - %s WHERE role = %s", quoteSet([]string{st.Name}), quoteText(m)); err != nil {
				return nil, err
			}
		}
	}
	if _, err := e.authQuery(ctx, st.Name, "DELETE FROM system_auth.role_members WHERE role = %s", quoteText(st.Name)); err != nil {
		return nil, err
	}
	if err := e.revokeAllFrom(ctx, st.Name); err != nil {
		return nil, err
	}
	if err := e.revokeAllOn(ctx, roleResource(st.Name)); err != nil {
		return nil, err
	}
	e.invalidateAuth()
	return VoidResult{}, nil
}

func roleNames(rs []roleRow) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.name
	}
	return out
}

func (e *Executor) grantRole(ctx context.Context, s *Session, st *parser.GrantRole) (Result, error) {
	if err := e.checkRolePermission(ctx, s, "AUTHORIZE", roleResource(st.Role)); err != nil {
		return nil, err
	}
	for _, n := range []string{st.Role, st.Grantee} {
		if r, err := e.readRole(ctx, n); err != nil {
			return nil, err
		} else if r == nil {
			return nil, invalidf("%s doesn't exist", n)
		}
	}
	if st.Revoke {
		direct, err := e.rolesOf(ctx, st.Grantee, false)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(roleNames(direct), st.Role) || st.Role == st.Grantee {
			return nil, invalidf("%s is not a member of %s", st.Grantee, st.Role)
		}
		if _, err := e.authQuery(ctx, st.Grantee, "UPDATE system_auth.roles SET member_of = member_of - %s WHERE role = %s", quoteSet([]string{st.Role}), quoteText(st.Grantee)); err != nil {
			return nil, err
		}
		if _, err := e.authQuery(ctx, st.Role, "DELETE FROM system_auth.role_members WHERE role = %s AND member = %s", quoteText(st.Role), quoteText(st.Grantee)); err != nil {
			return nil, err
		}
		e.invalidateAuth()
		return VoidResult{}, nil
	}
	of, err := e.rolesOf(ctx, st.Grantee, true)
	if err != nil {
		return nil, err
	}
	if slices.Contains(roleNames(of), st.Role) {
		return nil, invalidf("%s is a member of %s", st.Grantee, st.Role)
	}
	of, err = e.rolesOf(ctx, st.Role, true)
	if err != nil {
		return nil, err
	}
	if slices.Contains(roleNames(of), st.Grantee) {
		return nil, invalidf("%s is a member of %s", st.Role, st.Grantee)
	}
	if _, err := e.authQuery(ctx, st.Grantee, "UPDATE system_auth.roles SET member_of = member_of + %s WHERE role = %s", quoteSet([]string{st.Role}), quoteText(st.Grantee)); err != nil {
		return nil, err
	}
	if _, err := e.authQuery(ctx, st.Role, "INSERT INTO system_auth.role_members (role, member) VALUES (%s, %s)", quoteText(st.Role), quoteText(st.Grantee)); err != nil {
		return nil, err
	}
	e.invalidateAuth()
	return VoidResult{}, nil
}

var emptyTextMap = func() []byte {
	b, _ := schema.Marshal(schema.MapOf(schema.TextType, schema.TextType, false), map[string]string{})
	return b
}()

func authSpec(table, name string, t *schema.Type) ColumnSpec {
	return ColumnSpec{Keyspace: schema.SystemAuthKeyspace, Table: table, Name: name, Type: t}
}

func boolBytes(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

func (e *Executor) listRoles(ctx context.Context, s *Session, st *parser.ListRoles) (Result, error) {
	if st.Of != "" {
		if r, err := e.readRole(ctx, st.Of); err != nil {
			return nil, err
		} else if r == nil {
			return nil, invalidf("%s doesn't exist", st.Of)
		}
	}
	describe, err := e.hasPermission(ctx, s, "DESCRIBE", rolesRoot())
	if err != nil {
		return nil, err
	}
	var roles []roleRow
	switch {
	case describe && st.Of == "":
		roles, err = e.allRoles(ctx)
	case describe:
		roles, err = e.rolesOf(ctx, st.Of, !st.NoRecursive)
	case st.Of == "":
		roles, err = e.rolesOf(ctx, s.User(), !st.NoRecursive)
	default:
		var mine []roleRow
		if mine, err = e.rolesOf(ctx, s.User(), true); err == nil {
			if !slices.Contains(roleNames(mine), st.Of) {
				return nil, Errorf(CodeUnauthorized, "You are not authorized to view roles granted to %s ", st.Of)
			}
			roles, err = e.rolesOf(ctx, st.Of, !st.NoRecursive)
		}
	}
	if err != nil {
		return nil, err
	}
	if st.Users {
		out := &RowsResult{Columns: []ColumnSpec{
			authSpec("users", "name", schema.TextType), authSpec("users", "super", schema.BooleanType),
			authSpec("users", "datacenters", schema.TextType)}}
		for _, r := range roles {
			if r.login {
				out.Rows = append(out.Rows, [][]byte{[]byte(r.name), boolBytes(r.super), []byte("ALL")})
			}
		}
		return out, nil
	}
	out := &RowsResult{Columns: []ColumnSpec{
		authSpec("roles", "role", schema.TextType), authSpec("roles", "super", schema.BooleanType),
		authSpec("roles", "login", schema.BooleanType),
		authSpec("roles", "options", schema.MapOf(schema.TextType, schema.TextType, false)),
		authSpec("roles", "datacenters", schema.TextType)}}
	for _, r := range roles {
		out.Rows = append(out.Rows, [][]byte{[]byte(r.name), boolBytes(r.super), boolBytes(r.login), emptyTextMap, []byte("ALL")})
	}
	return out, nil
}

// resolveResource turns a parsed resource into one with its keyspace.
func resolveResource(r parser.Resource, sessionKs string) (authResource, error) {
	out := authResource{kind: r.Kind, keyspace: r.Keyspace, name: r.Name}
	if r.Kind == parser.ResourceTable && out.keyspace == "" {
		if sessionKs == "" {
			return out, invalidf("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
		}
		out.keyspace = sessionKs
	}
	return out, nil
}

// requestedPermissions is the parser's filterPermissions: the requested
// permissions (all for nil) that apply to the resource, a syntax error
// when none does.
func requestedPermissions(perms []string, r authResource) ([]string, error) {
	app := r.applicable()
	if perms == nil {
		return app, nil
	}
	var out []string
	for _, p := range perms {
		if slices.Contains(app, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, Errorf(CodeSyntaxError, "Resource type %s does not support any of the requested permissions", r.typeName())
	}
	return out, nil
}

func (e *Executor) checkResourceExists(ctx context.Context, r authResource) error {
	exists := resourceExists(e.cfg.Schema.Catalog(), r)
	if r.kind == parser.ResourceRole {
		role, err := e.readRole(ctx, r.name)
		if err != nil {
			return err
		}
		exists = role != nil
	}
	if !exists {
		return invalidf("Resource %s doesn't exist", r)
	}
	return nil
}

func (e *Executor) grantPermissionsStmt(ctx context.Context, s *Session, st *parser.GrantPermissions, ks string) (Result, error) {
	if !e.cfg.Authorizer {
		verb := "GRANT"
		if st.Revoke {
			verb = "REVOKE"
		}
		return nil, invalidf("%s operation is not supported by AllowAllAuthorizer", verb)
	}
	r, err := resolveResource(st.Resource, ks)
	if err != nil {
		return nil, err
	}
	perms, err := requestedPermissions(st.Permissions, r)
	if err != nil {
		return nil, err
	}
	if err := e.ensure(ctx, s, "AUTHORIZE", r); err != nil {
		return nil, err
	}
	for _, p := range perms {
		if err := e.ensure(ctx, s, p, r); err != nil {
			return nil, err
		}
	}
	if role, err := e.readRole(ctx, st.Role); err != nil {
		return nil, err
	} else if role == nil {
		return nil, invalidf("Role %s doesn't exist", st.Role)
	}
	if err := e.checkResourceExists(ctx, r); err != nil {
		return nil, err
	}
	if st.Revoke {
		return VoidResult{}, e.revokePermissions(ctx, st.Role, r, perms)
	}
	return VoidResult{}, e.grantPermissions(ctx, st.Role, r, perms)
}

type permissionDetail struct {
	role string
	res  authResource
	perm string
}

func (e *Executor) listPermissions(ctx context.Context, s *Session, st *parser.ListPermissions, ks string) (Result, error) {
	if !e.cfg.Authorizer {
		return nil, invalidf("LIST PERMISSIONS operation is not supported by AllowAllAuthorizer")
	}
	{
		super, err := e.isSuper(ctx, s)
		if err != nil {
			return nil, err
		}
		if !super {
			if st.Of == "" {
				return nil, Errorf(CodeUnauthorized, "You are not authorized to view everyone's permissions")
			}
			u, err := e.userInfo(ctx, s.User())
			if err != nil {
				return nil, err
			}
			if !slices.Contains(u.roles, st.Of) {
				return nil, Errorf(CodeUnauthorized, "You are not authorized to view %s's permissions", st.Of)
			}
		}
	}
	var filter map[string]bool // resource names listed; nil: all
	if st.Resource != nil {
		r, err := resolveResource(*st.Resource, ks)
		if err != nil {
			return nil, err
		}
		if _, err := requestedPermissions(st.Permissions, r); err != nil {
			return nil, err
		}
		if err := e.checkResourceExists(ctx, r); err != nil {
			return nil, err
		}
		filter = map[string]bool{r.key(): true}
		if !st.NoRecursive {
			for _, p := range r.chain() {
				filter[p.key()] = true
			}
		}
	}
	var roles []string
	if st.Of != "" {
		rs, err := e.rolesOf(ctx, st.Of, true)
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			return nil, invalidf("%s doesn't exist", st.Of)
		}
		roles = roleNames(rs)
	} else {
		rs, err := e.allRoles(ctx)
		if err != nil {
			return nil, err
		}
		roles = roleNames(rs)
	}
	var details []permissionDetail
	for _, role := range roles {
		rows, err := e.authQuery(ctx, "", "SELECT resource, permissions FROM system_auth.role_permissions WHERE role = %s", quoteText(role))
		if err != nil {
			return nil, err
		}
		if rows == nil {
			continue
		}
		for _, row := range rows.Rows {
			name := textOf(row[0])
			if filter != nil && !filter[name] {
				continue
			}
			r, ok := resourceFromName(name)
			if !ok {
				continue
			}
			for _, p := range textSetOf(row[1]) {
				if st.Permissions == nil || slices.Contains(st.Permissions, p) {
					details = append(details, permissionDetail{role: role, res: r, perm: p})
				}
			}
		}
	}
	if len(details) == 0 {
		return VoidResult{}, nil
	}
	sort.Slice(details, func(i, j int) bool {
		a, b := details[i], details[j]
		if a.role != b.role {
			return a.role < b.role
		}
		if a.res.key() != b.res.key() {
			return a.res.key() < b.res.key()
		}
		return permissionOrder(a.perm) < permissionOrder(b.perm)
	})
	out := &RowsResult{Columns: []ColumnSpec{
		authSpec("permissions", "role", schema.TextType), authSpec("permissions", "username", schema.TextType),
		authSpec("permissions", "resource", schema.TextType), authSpec("permissions", "permission", schema.TextType)}}
	for _, d := range details {
		out.Rows = append(out.Rows, [][]byte{[]byte(d.role), []byte(d.role), []byte(d.res.String()), []byte(d.perm)})
	}
	return out, nil
}
