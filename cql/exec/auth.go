package exec

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Authentication, roles and permissions, as Cassandra 4.1's
// PasswordAuthenticator, CassandraRoleManager and CassandraAuthorizer
// keep them: in the tables of system_auth (roles, role_members,
// role_permissions, resource_role_permissons_index), read and written
// through the Coordinator like any table, so they replicate as the
// operator sets system_auth's replication.

// DefaultSuperuser and DefaultSuperuserPassword are the role
// EnsureDefaultSuperuser creates on a new cluster, as Cassandra does.
const (
	DefaultSuperuser         = "cassandra"
	DefaultSuperuserPassword = "cassandra"
)

// DefaultAuthCacheValidity is Cassandra's credentials_validity,
// roles_validity and permissions_validity (2 s).
const DefaultAuthCacheValidity = 2 * time.Second

// DefaultBcryptCost is Cassandra's auth_bcrypt_gensalt_log2_rounds (10).
const DefaultBcryptCost = 10

// ErrBadCredentials is what Authenticate returns for a wrong user name or
// password (the server answers with Cassandra's message).
var ErrBadCredentials = errors.New("bad credentials")

// Consistency levels of auth reads and writes, as Cassandra 4.1's
// auth_read_consistency_level and auth_write_consistency_level, which
// CassandraRoleManager and CassandraAuthorizer use for every role other
// than the default superuser's, read and written at QUORUM
// (AuthUtils.consistencyForRoleRead/Write).
const (
	DefaultAuthReadConsistency  = LocalQuorum
	DefaultAuthWriteConsistency = EachQuorum
)

// authState holds the executor's auth caches and counters.
type authState struct {
	key []byte // HMAC key for the passwords the credentials cache remembers

	mu    sync.Mutex
	creds map[string]credEntry  // guarded by mu
	users map[string]*userEntry // guarded by mu

	failedLogins counter
}

type credEntry struct {
	hash   string
	digest []byte // HMAC of the password that matched hash; nil: none yet
	at     time.Time
}

// userEntry is what authorization needs of a logged-in role: its
// superuser status and the permissions of every role it holds.
type userEntry struct {
	at    time.Time
	super bool
	login bool
	roles []string                   // the role and every role granted to it, recursively
	perms map[string]map[string]bool // resource -> permission -> granted
}

type counter struct {
	mu sync.Mutex
	n  int64
}

func (c *counter) add() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *counter) load() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func newAuthState() *authState {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &authState{key: key, creds: map[string]credEntry{}, users: map[string]*userEntry{}}
}

func (e *Executor) cacheValidity() time.Duration { return e.cfg.AuthCacheValidity }

// invalidateAuth drops every cached credential and permission, after a
// change this node made (other nodes see it when their entries expire).
func (e *Executor) invalidateAuth() {
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	clear(e.auth.creds)
	clear(e.auth.users)
}

// ---------------------------------------------------------------------------
// Internal statements on system_auth

// authQuery runs one statement on system_auth about role ("" for
// permissions and scans): at QUORUM for the default superuser, else at
// Config.AuthReadConsistency for a SELECT and AuthWriteConsistency for a
// write.
func (e *Executor) authQuery(ctx context.Context, role, format string, args ...any) (*RowsResult, error) {
	cl := e.cfg.AuthWriteConsistency
	switch {
	case role == DefaultSuperuser:
		cl = Quorum
	case strings.HasPrefix(format, "SELECT"):
		cl = e.cfg.AuthReadConsistency
	}
	return e.authQueryAt(ctx, cl, format, args...)
}

// authQueryAt runs one statement on system_auth at cl, bypassing the
// permission checks (and the refusal of writes to system keyspaces).
func (e *Executor) authQueryAt(ctx context.Context, cl Consistency, format string, args ...any) (*RowsResult, error) {
	q := fmt.Sprintf(format, args...)
	stmt, err := parse(q)
	if err != nil {
		return nil, fmt.Errorf("auth statement %q: %w", q, err)
	}
	an, err := e.analyzeInternal(stmt, e.cfg.Schema.Catalog(), "")
	if err != nil {
		return nil, fmt.Errorf("auth statement %q: %w", q, err)
	}
	s := e.NewSession()
	res, err := an.plan.run(ctx, e, s, &bindEnv{e: e, session: s}, &QueryOptions{Consistency: cl})
	if err != nil {
		return nil, err
	}
	rows, _ := res.(*RowsResult)
	return rows, nil
}

func quoteText(s string) string { return parser.QuoteString(s) }

// quoteSet prints a set<text> literal.
func quoteSet(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = quoteText(s)
	}
	return "{" + strings.Join(out, ", ") + "}"
}

func textOf(b []byte) string { return string(b) }

func boolOf(b []byte) bool { return len(b) > 0 && b[0] != 0 }

func textSetOf(b []byte) []string {
	if b == nil {
		return nil
	}
	v, err := schema.Unmarshal(schema.SetOf(schema.Native(schema.KindVarchar), false), b)
	if err != nil {
		return nil
	}
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// roleRow is a row of system_auth.roles.
type roleRow struct {
	name     string
	super    bool
	login    bool
	memberOf []string
	hash     string
	hasHash  bool
}

const roleColumns = "role, is_superuser, can_login, member_of, salted_hash"

func roleRowOf(r [][]byte) roleRow {
	return roleRow{name: textOf(r[0]), super: boolOf(r[1]), login: boolOf(r[2]),
		memberOf: textSetOf(r[3]), hash: textOf(r[4]), hasHash: r[4] != nil}
}

// readRole returns the role's row, nil when it does not exist.
func (e *Executor) readRole(ctx context.Context, name string) (*roleRow, error) {
	rows, err := e.authQuery(ctx, name, "SELECT %s FROM system_auth.roles WHERE role = %s", roleColumns, quoteText(name))
	if err != nil || rows == nil || len(rows.Rows) == 0 {
		return nil, err
	}
	r := roleRowOf(rows.Rows[0])
	return &r, nil
}

// allRoles returns every role, sorted by name.
func (e *Executor) allRoles(ctx context.Context) ([]roleRow, error) {
	rows, err := e.authQuery(ctx, "", "SELECT %s FROM system_auth.roles", roleColumns)
	if err != nil || rows == nil {
		return nil, err
	}
	out := make([]roleRow, 0, len(rows.Rows))
	for _, r := range rows.Rows {
		out = append(out, roleRowOf(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// rolesOf returns the role and, when recursive, every role granted to
// it, transitively (Cassandra's getRoles), sorted; nil when the role does
// not exist.
func (e *Executor) rolesOf(ctx context.Context, name string, recursive bool) ([]roleRow, error) {
	seen := map[string]bool{}
	var out []roleRow
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		r, err := e.readRole(ctx, n)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		out = append(out, *r)
		if recursive || n == name {
			for _, m := range r.memberOf {
				if recursive {
					queue = append(queue, m)
				} else if !seen[m] {
					seen[m] = true
					if mr, err := e.readRole(ctx, m); err != nil {
						return nil, err
					} else if mr != nil {
						out = append(out, *mr)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func hashPassword(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// ---------------------------------------------------------------------------
// Authentication

// Authenticate checks a user name and password against system_auth.roles
// as Cassandra's PasswordAuthenticator does (bcrypt hashes in
// salted_hash), and that the role may log in. It fits
// server.CredentialsFunc. Successful checks are cached for
// Config.AuthCacheValidity, so a login costs neither a read nor a bcrypt
// while the cache is fresh; failures are counted in
// Metrics.FailedLogins.
func (e *Executor) Authenticate(ctx context.Context, user, password string) error {
	err := e.authenticate(ctx, user, password)
	if err != nil {
		e.auth.failedLogins.add()
	}
	return err
}

func (e *Executor) authenticate(ctx context.Context, user, password string) error {
	mac := hmac.New(sha256.New, e.auth.key)
	mac.Write([]byte(user))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	digest := mac.Sum(nil)
	now := e.cfg.Now()
	e.auth.mu.Lock()
	c, ok := e.auth.creds[user]
	e.auth.mu.Unlock()
	fresh := ok && now.Sub(c.at) < e.cacheValidity()
	if fresh && c.digest != nil && hmac.Equal(c.digest, digest) {
		return nil
	}
	if !fresh {
		r, err := e.readRole(ctx, user)
		if err != nil {
			return fmt.Errorf("cannot read role %s: %w", user, err)
		}
		if r == nil || !r.hasHash {
			return ErrBadCredentials
		}
		if !r.login {
			return fmt.Errorf("%s is not permitted to log in", user)
		}
		c = credEntry{hash: r.hash, at: now}
	}
	if bcrypt.CompareHashAndPassword([]byte(c.hash), []byte(password)) != nil {
		e.storeCred(user, c)
		return ErrBadCredentials
	}
	c.digest = digest
	e.storeCred(user, c)
	return nil
}

func (e *Executor) storeCred(user string, c credEntry) {
	if e.cacheValidity() <= 0 {
		return
	}
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	e.auth.creds[user] = c
}

// EnsureDefaultSuperuser creates the superuser 'cassandra' (password
// 'cassandra' unless password is not empty) when no role exists yet, as
// Cassandra's CassandraRoleManager.setupDefaultRole: it looks for the
// role at ONE then QUORUM, then for any role at QUORUM, and writes at
// QUORUM with timestamp 0, so that nodes starting together converge on one
// row. It reports whether it created the role; the node logs a warning to
// change the password then. Call it once at start, when authentication is
// on and the cluster can answer QUORUM.
func (e *Executor) EnsureDefaultSuperuser(ctx context.Context, password string) (bool, error) {
	if password == "" {
		password = DefaultSuperuserPassword
	}
	for _, c := range []struct {
		cl    Consistency
		query string
	}{
		{One, "SELECT role FROM system_auth.roles WHERE role = " + quoteText(DefaultSuperuser)},
		{Quorum, "SELECT role FROM system_auth.roles WHERE role = " + quoteText(DefaultSuperuser)},
		{Quorum, "SELECT role FROM system_auth.roles LIMIT 1"},
	} {
		rows, err := e.authQueryAt(ctx, c.cl, "%s", c.query)
		if err != nil {
			return false, err
		}
		if rows != nil && len(rows.Rows) > 0 {
			return false, nil
		}
	}
	hash, err := hashPassword(password, e.cfg.BcryptCost)
	if err != nil {
		return false, err
	}
	if _, err := e.authQueryAt(ctx, Quorum, "INSERT INTO system_auth.roles (role, is_superuser, can_login, salted_hash) VALUES (%s, true, true, %s) USING TIMESTAMP 0",
		quoteText(DefaultSuperuser), quoteText(hash)); err != nil {
		return false, err
	}
	e.invalidateAuth()
	return true, nil
}

// ---------------------------------------------------------------------------
// Authorization

// User returns the role the session logged in as, "" when none.
func (s *Session) User() string {
	if s == nil {
		return ""
	}
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	return s.client.user
}

// userInfo returns the cached authorization state of a role.
func (e *Executor) userInfo(ctx context.Context, user string) (*userEntry, error) {
	now := e.cfg.Now()
	e.auth.mu.Lock()
	u := e.auth.users[user]
	e.auth.mu.Unlock()
	if u != nil && now.Sub(u.at) < e.cacheValidity() {
		return u, nil
	}
	roles, err := e.rolesOf(ctx, user, true)
	if err != nil {
		return nil, err
	}
	u = &userEntry{at: now, perms: map[string]map[string]bool{}}
	for _, r := range roles {
		u.roles = append(u.roles, r.name)
		if r.super {
			u.super = true
		}
		if r.name == user {
			u.login = r.login
		}
		rows, err := e.authQuery(ctx, "", "SELECT resource, permissions FROM system_auth.role_permissions WHERE role = %s", quoteText(r.name))
		if err != nil {
			return nil, err
		}
		if rows == nil {
			continue
		}
		for _, row := range rows.Rows {
			res := textOf(row[0])
			if u.perms[res] == nil {
				u.perms[res] = map[string]bool{}
			}
			for _, p := range textSetOf(row[1]) {
				u.perms[res][p] = true
			}
		}
	}
	if e.cacheValidity() > 0 {
		e.auth.mu.Lock()
		e.auth.users[user] = u
		e.auth.mu.Unlock()
	}
	return u, nil
}

// IsSuperuser reports whether role is a superuser, itself or through a
// role granted to it (cached like permissions). The node's admin API uses
// it after Authenticate to admit superusers only.
func (e *Executor) IsSuperuser(ctx context.Context, role string) (bool, error) {
	u, err := e.userInfo(ctx, role)
	if err != nil {
		return false, err
	}
	return u.super, nil
}

// loggedIn returns the session's user, or Cassandra's error when it has
// none while authorization is on.
func (e *Executor) loggedIn(s *Session) (string, error) {
	u := s.User()
	if u == "" {
		return "", Errorf(CodeUnauthorized, "You have not logged in")
	}
	return u, nil
}

// isSuper reports whether the session's user is a superuser; true when
// authorization is off.
func (e *Executor) isSuper(ctx context.Context, s *Session) (bool, error) {
	if !e.cfg.Authorizer {
		return true, nil
	}
	user, err := e.loggedIn(s)
	if err != nil {
		return false, err
	}
	u, err := e.userInfo(ctx, user)
	if err != nil {
		return false, err
	}
	return u.super, nil
}

// hasPermission reports whether the session's user holds perm on res or
// one of its parents (superusers hold every permission; everyone does
// when authorization is off).
func (e *Executor) hasPermission(ctx context.Context, s *Session, perm string, res authResource) (bool, error) {
	if !e.cfg.Authorizer {
		return true, nil
	}
	user, err := e.loggedIn(s)
	if err != nil {
		return false, err
	}
	u, err := e.userInfo(ctx, user)
	if err != nil {
		return false, err
	}
	if u.super {
		return true, nil
	}
	for _, r := range res.chain() {
		if u.perms[r.key()][perm] {
			return true, nil
		}
	}
	return false, nil
}

// ensure refuses, with Cassandra's Unauthorized error, a session whose
// user lacks perm on res and its parents.
func (e *Executor) ensure(ctx context.Context, s *Session, perm string, res authResource) error {
	ok, err := e.hasPermission(ctx, s, perm, res)
	if err != nil || ok {
		return err
	}
	return Errorf(CodeUnauthorized, "User %s has no %s permission on %s or any of its parents", s.User(), perm, res)
}

// ---------------------------------------------------------------------------
// Resources

// authResource is one of Cassandra's DataResource or RoleResource.
type authResource struct {
	kind     parser.ResourceKind
	keyspace string
	name     string // table or role
}

func dataRoot() authResource { return authResource{kind: parser.ResourceAllKeyspaces} }
func keyspaceResource(ks string) authResource {
	return authResource{kind: parser.ResourceKeyspace, keyspace: ks}
}
func tableResource(ks, t string) authResource {
	return authResource{kind: parser.ResourceTable, keyspace: ks, name: t}
}
func rolesRoot() authResource            { return authResource{kind: parser.ResourceAllRoles} }
func roleResource(r string) authResource { return authResource{kind: parser.ResourceRole, name: r} }

// key is the resource's name as role_permissions stores it.
func (r authResource) key() string {
	switch r.kind {
	case parser.ResourceAllKeyspaces:
		return "data"
	case parser.ResourceKeyspace:
		return "data/" + r.keyspace
	case parser.ResourceTable:
		return "data/" + r.keyspace + "/" + r.name
	case parser.ResourceAllRoles:
		return "roles"
	case parser.ResourceRole:
		return "roles/" + r.name
	}
	return ""
}

// String is the resource as Cassandra prints it in messages and LIST
// PERMISSIONS.
func (r authResource) String() string {
	switch r.kind {
	case parser.ResourceAllKeyspaces:
		return "<all keyspaces>"
	case parser.ResourceKeyspace:
		return "<keyspace " + r.keyspace + ">"
	case parser.ResourceTable:
		return "<table " + r.keyspace + "." + r.name + ">"
	case parser.ResourceAllRoles:
		return "<all roles>"
	case parser.ResourceRole:
		return "<role " + r.name + ">"
	}
	return ""
}

// resourceFromName parses a stored resource name; ok is false for kinds
// this server does not know (functions, mbeans).
func resourceFromName(n string) (authResource, bool) {
	parts := strings.Split(n, "/")
	switch {
	case parts[0] == "data" && len(parts) == 1:
		return dataRoot(), true
	case parts[0] == "data" && len(parts) == 2:
		return keyspaceResource(parts[1]), true
	case parts[0] == "data" && len(parts) == 3:
		return tableResource(parts[1], parts[2]), true
	case parts[0] == "roles" && len(parts) == 1:
		return rolesRoot(), true
	case parts[0] == "roles" && len(parts) == 2:
		return roleResource(parts[1]), true
	}
	return authResource{}, false
}

// chain is the resource and its parents, itself first.
func (r authResource) chain() []authResource {
	switch r.kind {
	case parser.ResourceTable:
		return []authResource{r, keyspaceResource(r.keyspace), dataRoot()}
	case parser.ResourceKeyspace:
		return []authResource{r, dataRoot()}
	case parser.ResourceRole:
		return []authResource{r, rolesRoot()}
	}
	return []authResource{r}
}

// applicable is the resource's applicablePermissions, in Permission's
// order.
func (r authResource) applicable() []string {
	switch r.kind {
	case parser.ResourceAllKeyspaces, parser.ResourceKeyspace:
		return []string{"CREATE", "ALTER", "DROP", "SELECT", "MODIFY", "AUTHORIZE"}
	case parser.ResourceTable:
		return []string{"ALTER", "DROP", "SELECT", "MODIFY", "AUTHORIZE"}
	case parser.ResourceAllRoles:
		return []string{"CREATE", "ALTER", "DROP", "AUTHORIZE", "DESCRIBE"}
	case parser.ResourceRole:
		return []string{"ALTER", "DROP", "AUTHORIZE"}
	}
	return nil
}

func (r authResource) typeName() string {
	if r.kind == parser.ResourceAllRoles || r.kind == parser.ResourceRole {
		return "RoleResource"
	}
	return "DataResource"
}

func permissionOrder(p string) int {
	if i := slices.Index(parser.Permissions, p); i >= 0 {
		return i
	}
	return len(parser.Permissions)
}

// readableSystemTable reports whether every logged-in user may SELECT
// from ks.t: Cassandra's ClientState.READABLE_SYSTEM_RESOURCES
// (system.local, peers, peers_v2 and every system_schema table), and the
// schema of virtual tables, which drivers read.
func readableSystemTable(ks, t string) bool {
	switch ks {
	case schema.SystemKeyspace:
		return t == "local" || t == "peers" || t == "peers_v2"
	case schema.SystemSchemaKeyspace, schema.SystemVirtualSchemaKeyspace:
		return true
	}
	return false
}
