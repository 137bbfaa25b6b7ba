package parser

import (
	"sort"
	"strings"
)

// Roles and permissions: Cassandra 4.1's createRoleStatement,
// createUserStatement, alterRoleStatement, alterUserStatement,
// dropRoleStatement, dropUserStatement, grantRoleStatement,
// revokeRoleStatement, listRolesStatement, listUsersStatement,
// grantPermissionsStatement, revokePermissionsStatement and
// listPermissionsStatement (Cql.g).

// CreateRole is CREATE ROLE [IF NOT EXISTS] r [WITH options], or the
// legacy CREATE USER [IF NOT EXISTS] u [WITH PASSWORD 'p']
// [SUPERUSER | NOSUPERUSER] (User set; Options then holds password and
// superuser, and login is implied).
type CreateRole struct {
	statement
	User        bool
	IfNotExists bool
	Name        string
	Options     RoleOptions
}

// AlterRole is ALTER ROLE r WITH options, or ALTER USER u [WITH PASSWORD
// 'p'] [SUPERUSER | NOSUPERUSER].
type AlterRole struct {
	statement
	User    bool
	Name    string
	Options RoleOptions
}

// DropRole is DROP ROLE|USER [IF EXISTS] r.
type DropRole struct {
	statement
	User     bool
	IfExists bool
	Name     string
}

// GrantRole is GRANT role TO grantee, or REVOKE role FROM grantee (Revoke
// set).
type GrantRole struct {
	statement
	Revoke  bool
	Role    string
	Grantee string
}

// ListRoles is LIST ROLES [OF r] [NORECURSIVE], or LIST USERS (Users set).
type ListRoles struct {
	statement
	Users       bool
	Of          string // "" for none
	NoRecursive bool
}

// GrantPermissions is GRANT perms ON resource TO role, or REVOKE perms ON
// resource FROM role (Revoke set).
type GrantPermissions struct {
	statement
	Revoke      bool
	Permissions []string // upper case; nil means ALL PERMISSIONS
	Resource    Resource
	Role        string
}

// ListPermissions is LIST perms [ON resource] [OF role] [NORECURSIVE].
type ListPermissions struct {
	statement
	Permissions []string // nil means ALL
	Resource    *Resource
	Of          string
	NoRecursive bool
}

// RoleOptions are the options a role statement sets; nil means not given.
type RoleOptions struct {
	Password  *string
	Login     *bool
	Superuser *bool
	// Options is the OPTIONS map (custom options, which the built-in
	// role manager refuses); nil when absent.
	Options map[string]string
}

// ResourceKind is the kind of a Resource.
type ResourceKind int

// Resource kinds, as Cassandra names them in CQL.
const (
	ResourceAllKeyspaces ResourceKind = iota + 1 // ALL KEYSPACES
	ResourceKeyspace                             // KEYSPACE k
	ResourceTable                                // [TABLE] k.t
	ResourceAllRoles                             // ALL ROLES
	ResourceRole                                 // ROLE r
)

// Resource is what permissions are granted on.
type Resource struct {
	Kind     ResourceKind
	Keyspace string // ResourceKeyspace, ResourceTable (may be "": the session's)
	Name     string // the table, or the role
}

// Permissions Cassandra 4.1 knows (auth/Permission.java), in its order.
var Permissions = []string{"CREATE", "ALTER", "DROP", "SELECT", "MODIFY", "AUTHORIZE", "DESCRIBE", "EXECUTE"}

func isPermissionWord(w string) bool {
	for _, p := range Permissions {
		if strings.EqualFold(p, w) {
			return true
		}
	}
	return false
}

// parseRoleName parses a role name: an unquoted word (folded to lower
// case unless keepCase), a quoted name or a string (kept as is).
//
//	userOrRoleName: IDENT | STRING_LITERAL | QUOTED_NAME | unreserved_keyword
func (p *parser) parseRoleName(keepCase bool) string {
	t := p.tok()
	switch t.kind {
	case tokIdent:
		w := strings.ToLower(t.text)
		if isReserved(w) {
			break
		}
		p.advance()
		if keepCase {
			return t.text
		}
		return w
	case tokQuotedIdent, tokString:
		p.advance()
		return t.text
	case tokPunct:
		if t.text == "?" || t.text == ":" {
			p.failAt(t.pos, "Bind variables cannot be used for role names")
			return ""
		}
	}
	p.failExpected("role name")
	return ""
}

// parseCreateRole parses the rest of CREATE ROLE or CREATE USER.
func (p *parser) parseCreateRole(pos Pos) Statement {
	user := p.isKw("user")
	p.advance()
	s := &CreateRole{statement: stmtAt(pos), User: user}
	s.IfNotExists = p.parseIfNotExists()
	s.Name = p.parseRoleName(user)
	if user {
		s.Options = p.parseUserOptions()
		if s.Options.Superuser == nil {
			f := false
			s.Options.Superuser = &f
		}
		return s
	}
	if p.acceptKw("with") {
		s.Options = p.parseRoleOptions()
	}
	return s
}

// parseAlterRole parses the rest of ALTER ROLE or ALTER USER.
func (p *parser) parseAlterRole(pos Pos) Statement {
	user := p.isKw("user")
	p.advance()
	s := &AlterRole{statement: stmtAt(pos), User: user}
	s.Name = p.parseRoleName(user)
	if user {
		s.Options = p.parseUserOptions()
		return s
	}
	p.expectKw("with")
	s.Options = p.parseRoleOptions()
	return s
}

// parseDropRole parses the rest of DROP ROLE or DROP USER.
func (p *parser) parseDropRole(pos Pos) Statement {
	user := p.isKw("user")
	p.advance()
	s := &DropRole{statement: stmtAt(pos), User: user}
	s.IfExists = p.parseIfExists()
	s.Name = p.parseRoleName(user)
	return s
}

// parseUserOptions parses [WITH PASSWORD 'p'] [SUPERUSER | NOSUPERUSER].
func (p *parser) parseUserOptions() RoleOptions {
	var o RoleOptions
	if p.acceptKw("with") {
		p.expectKw("password")
		pw := p.parseStringConst()
		o.Password = &pw
	}
	switch {
	case p.acceptKw("superuser"):
		t := true
		o.Superuser = &t
	case p.acceptKw("nosuperuser"):
		f := false
		o.Superuser = &f
	}
	return o
}

// parseStringConst parses a string literal.
func (p *parser) parseStringConst() string {
	t := p.tok()
	if t.kind != tokString {
		p.failExpected("STRING_LITERAL")
		return ""
	}
	p.advance()
	return t.text
}

// parseBoolConst parses true or false.
func (p *parser) parseBoolConst() bool {
	switch {
	case p.acceptKw("true"):
		return true
	case p.acceptKw("false"):
		return false
	}
	p.failExpected("BOOLEAN")
	return false
}

// parseRoleOptions parses roleOption (AND roleOption)*.
//
//	roleOption: PASSWORD '=' STRING | OPTIONS '=' mapLiteral
//	    | SUPERUSER '=' BOOLEAN | LOGIN '=' BOOLEAN
func (p *parser) parseRoleOptions() RoleOptions {
	var o RoleOptions
	for {
		t := p.tok()
		dup := false
		switch {
		case p.acceptKw("password"):
			p.expectPunct("=")
			pw := p.parseStringConst()
			dup, o.Password = o.Password != nil, &pw
		case p.acceptKw("login"):
			p.expectPunct("=")
			b := p.parseBoolConst()
			dup, o.Login = o.Login != nil, &b
		case p.acceptKw("superuser"):
			p.expectPunct("=")
			b := p.parseBoolConst()
			dup, o.Superuser = o.Superuser != nil, &b
		case p.acceptKw("options"):
			p.expectPunct("=")
			dup = o.Options != nil
			o.Options = p.parseStringMap()
		case p.isKw("access") || p.isKw("hashed"):
			p.unsupported(t.pos, strings.ToUpper(t.text)+" role option")
			return o
		default:
			p.failExpected("PASSWORD", "LOGIN", "SUPERUSER", "OPTIONS")
			return o
		}
		if dup {
			p.failAt(t.pos, "Multiple definition for property "+strings.ToLower(t.text))
		}
		if p.err != nil || !p.acceptKw("and") {
			return o
		}
	}
}

// parseStringMap parses { 'k': 'v', ... } with string keys and values.
func (p *parser) parseStringMap() map[string]string {
	m := map[string]string{}
	if !p.expectPunct("{") {
		return m
	}
	if p.acceptPunct("}") {
		return m
	}
	for p.err == nil {
		k := p.parseStringConst()
		p.expectPunct(":")
		m[k] = p.parseStringConst()
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct("}")
	return m
}

// isPermissionsClause reports whether GRANT/REVOKE/LIST is followed by
// permissions (ALL [PERMISSIONS], a permission [PERMISSION]) rather than a
// role name.
func (p *parser) isPermissionsClause() bool {
	t := p.tok()
	if t.kind != tokIdent {
		return false
	}
	w := strings.ToLower(t.text)
	if w == "all" || isPermissionWord(w) {
		// A role named like a permission must be quoted, as in
		// Cassandra, where these words are keywords.
		return w != "all" || p.peekKw(1, "permissions") || p.peekKw(1, "on") || p.peekKw(1, "of") ||
			p.peekKw(1, "norecursive") || p.peek(1).kind == tokEOF || p.peekPunct(1, ";")
	}
	return false
}

// parsePermissions parses permissionOrAll: ALL [PERMISSIONS] |
// permission [PERMISSION]; nil means all.
func (p *parser) parsePermissions() []string {
	if p.acceptKw("all") {
		p.acceptKw("permissions")
		return nil
	}
	t := p.tok()
	w := strings.ToUpper(t.text)
	if t.kind != tokIdent || !isPermissionWord(w) {
		p.failExpected("permission")
		return nil
	}
	p.advance()
	p.acceptKw("permission")
	return []string{w}
}

// parseResource parses a resource.
//
//	resource: ALL KEYSPACES | KEYSPACE ks | TABLE? columnFamilyName
//	    | ALL ROLES | ROLE userOrRoleName
func (p *parser) parseResource() Resource {
	t := p.tok()
	switch {
	case p.isKw("all") && p.peekKw(1, "keyspaces"):
		p.advance()
		p.advance()
		return Resource{Kind: ResourceAllKeyspaces}
	case p.isKw("all") && p.peekKw(1, "roles"):
		p.advance()
		p.advance()
		return Resource{Kind: ResourceAllRoles}
	case p.isKw("all") && (p.peekKw(1, "functions") || p.peekKw(1, "mbeans")):
		p.unsupported(t.pos, "ALL "+strings.ToUpper(p.peek(1).text)+" resource")
		return Resource{}
	case p.isKw("function") || p.isKw("mbean") || p.isKw("mbeans"):
		p.unsupported(t.pos, strings.ToUpper(t.text)+" resource")
		return Resource{}
	case p.acceptKw("keyspace"):
		ks, _ := p.parseIdent("keyspace name")
		return Resource{Kind: ResourceKeyspace, Keyspace: ks}
	case p.isKw("role") && !p.peekPunct(1, "."):
		p.advance()
		return Resource{Kind: ResourceRole, Name: p.parseRoleName(false)}
	}
	p.acceptKw("table")
	tn := p.parseTableName()
	return Resource{Kind: ResourceTable, Keyspace: tn.Keyspace, Name: tn.Name}
}

// parseGrant parses GRANT (permissions ON resource | role) TO role, and
// REVOKE ... FROM role.
func (p *parser) parseGrant(revoke bool) Statement {
	pos := p.tok().pos
	p.advance()
	to := "to"
	if revoke {
		to = "from"
	}
	if p.isPermissionsClause() {
		s := &GrantPermissions{statement: stmtAt(pos), Revoke: revoke}
		s.Permissions = p.parsePermissions()
		p.expectKw("on")
		s.Resource = p.parseResource()
		p.expectKw(to)
		s.Role = p.parseRoleName(false)
		return s
	}
	s := &GrantRole{statement: stmtAt(pos), Revoke: revoke}
	s.Role = p.parseRoleName(false)
	p.expectKw(to)
	s.Grantee = p.parseRoleName(false)
	return s
}

// parseList parses LIST ROLES, LIST USERS and LIST permissions.
func (p *parser) parseList() Statement {
	pos := p.tok().pos
	p.advance()
	switch {
	case p.acceptKw("users"):
		return &ListRoles{statement: stmtAt(pos), Users: true}
	case p.acceptKw("roles"):
		s := &ListRoles{statement: stmtAt(pos)}
		if p.acceptKw("of") {
			s.Of = p.parseRoleName(false)
		}
		s.NoRecursive = p.acceptKw("norecursive")
		return s
	}
	s := &ListPermissions{statement: stmtAt(pos)}
	s.Permissions = p.parsePermissions()
	if p.acceptKw("on") {
		r := p.parseResource()
		s.Resource = &r
	}
	if p.acceptKw("of") {
		s.Of = p.parseRoleName(false)
	}
	s.NoRecursive = p.acceptKw("norecursive")
	return s
}

// ---------------------------------------------------------------------------
// Printing

func (n *CreateRole) String() string { return nodeString(n) }
func (n *CreateRole) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("CREATE " + roleWord(n.User) + " ")
	p.ifNotExists(n.IfNotExists)
	p.WriteString(QuoteString(n.Name))
	p.roleOptions(n.User, n.Options)
}

func (n *AlterRole) String() string { return nodeString(n) }
func (n *AlterRole) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("ALTER " + roleWord(n.User) + " " + QuoteString(n.Name))
	p.roleOptions(n.User, n.Options)
}

func (n *DropRole) String() string { return nodeString(n) }
func (n *DropRole) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("DROP " + roleWord(n.User) + " ")
	p.ifExists(n.IfExists)
	p.WriteString(QuoteString(n.Name))
}

func (n *GrantRole) String() string { return nodeString(n) }
func (n *GrantRole) print(p *printer) {
	if n == nil {
		return
	}
	if n.Revoke {
		p.WriteString("REVOKE " + QuoteString(n.Role) + " FROM " + QuoteString(n.Grantee))
		return
	}
	p.WriteString("GRANT " + QuoteString(n.Role) + " TO " + QuoteString(n.Grantee))
}

func (n *ListRoles) String() string { return nodeString(n) }
func (n *ListRoles) print(p *printer) {
	if n == nil {
		return
	}
	if n.Users {
		p.WriteString("LIST USERS")
		return
	}
	p.WriteString("LIST ROLES")
	if n.Of != "" {
		p.WriteString(" OF " + QuoteString(n.Of))
	}
	if n.NoRecursive {
		p.WriteString(" NORECURSIVE")
	}
}

func (n *GrantPermissions) String() string { return nodeString(n) }
func (n *GrantPermissions) print(p *printer) {
	if n == nil {
		return
	}
	verb, to := "GRANT ", " TO "
	if n.Revoke {
		verb, to = "REVOKE ", " FROM "
	}
	p.WriteString(verb + permissionsString(n.Permissions) + " ON ")
	p.resource(n.Resource)
	p.WriteString(to + QuoteString(n.Role))
}

func (n *ListPermissions) String() string { return nodeString(n) }
func (n *ListPermissions) print(p *printer) {
	if n == nil {
		return
	}
	p.WriteString("LIST " + permissionsString(n.Permissions))
	if n.Resource != nil {
		p.WriteString(" ON ")
		p.resource(*n.Resource)
	}
	if n.Of != "" {
		p.WriteString(" OF " + QuoteString(n.Of))
	}
	if n.NoRecursive {
		p.WriteString(" NORECURSIVE")
	}
}

func roleWord(user bool) string {
	if user {
		return "USER"
	}
	return "ROLE"
}

func permissionsString(perms []string) string {
	if perms == nil {
		return "ALL PERMISSIONS"
	}
	return strings.Join(perms, ", ")
}

func (p *printer) resource(r Resource) {
	switch r.Kind {
	case ResourceAllKeyspaces:
		p.WriteString("ALL KEYSPACES")
	case ResourceKeyspace:
		p.WriteString("KEYSPACE ")
		p.ident(r.Keyspace)
	case ResourceTable:
		p.WriteString("TABLE ")
		if r.Keyspace != "" {
			p.ident(r.Keyspace)
			p.WriteString(".")
		}
		p.ident(r.Name)
	case ResourceAllRoles:
		p.WriteString("ALL ROLES")
	case ResourceRole:
		p.WriteString("ROLE " + QuoteString(r.Name))
	}
}

func (p *printer) roleOptions(user bool, o RoleOptions) {
	if user {
		if o.Password != nil {
			p.WriteString(" WITH PASSWORD " + QuoteString(*o.Password))
		}
		if o.Superuser != nil {
			if *o.Superuser {
				p.WriteString(" SUPERUSER")
			} else {
				p.WriteString(" NOSUPERUSER")
			}
		}
		return
	}
	var parts []string
	if o.Password != nil {
		parts = append(parts, "PASSWORD = "+QuoteString(*o.Password))
	}
	if o.Login != nil {
		parts = append(parts, "LOGIN = "+boolWord(*o.Login))
	}
	if o.Superuser != nil {
		parts = append(parts, "SUPERUSER = "+boolWord(*o.Superuser))
	}
	if o.Options != nil {
		keys := make([]string, 0, len(o.Options))
		for k := range o.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		kv := make([]string, len(keys))
		for i, k := range keys {
			kv[i] = QuoteString(k) + ": " + QuoteString(o.Options[k])
		}
		parts = append(parts, "OPTIONS = {"+strings.Join(kv, ", ")+"}")
	}
	if len(parts) > 0 {
		p.WriteString(" WITH " + strings.Join(parts, " AND "))
	}
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
