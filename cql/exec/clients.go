package exec

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// system_views.clients lists the connected clients, as Cassandra 4.1's
// ClientsTable does. The server tells each connection's Session who the
// client is (SetClient, after STARTUP), the executor counts the requests
// run on it, and Close removes it when the connection ends.

// ClientConn describes a client connection as the server knows it.
type ClientConn struct {
	Remote          netip.AddrPort    // the client's address and port
	ProtocolVersion int               // the native protocol version in use
	Options         map[string]string // the STARTUP options, as sent
	// Authenticating is set when the server asked for credentials; the
	// stage becomes ready with SetUser.
	Authenticating bool
	SSLEnabled     bool
	SSLProtocol    string // "" when not known
	SSLCipherSuite string
}

// clientState is what a Session holds of its connection.
type clientState struct {
	mu       sync.Mutex
	conn     ClientConn // guarded by mu
	user     string     // guarded by mu
	ready    bool       // guarded by mu
	requests atomic.Int64
}

// clientRegistry is the executor's set of connected sessions.
type clientRegistry struct {
	mu       sync.Mutex
	sessions map[*Session]struct{} // guarded by mu
}

func (r *clientRegistry) add(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions == nil {
		r.sessions = map[*Session]struct{}{}
	}
	r.sessions[s] = struct{}{}
}

func (r *clientRegistry) remove(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, s)
}

func (r *clientRegistry) list() []*Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Collect(maps.Keys(r.sessions))
}

// SetClient records the connection the session serves and lists it in
// system_views.clients until Close. The server calls it once the client
// sent STARTUP.
func (s *Session) SetClient(c ClientConn) {
	c.Options = maps.Clone(c.Options)
	s.client.mu.Lock()
	s.client.conn = c
	s.client.ready = !c.Authenticating
	s.client.mu.Unlock()
	if s.e != nil {
		s.e.clients.add(s)
	}
}

// SetUser records the user the client authenticated as; the connection
// is then ready.
func (s *Session) SetUser(user string) {
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	s.client.user = user
	s.client.ready = true
}

// Close removes the session from system_views.clients; the server calls
// it when the connection ends.
func (s *Session) Close() {
	if s.e != nil {
		s.e.clients.remove(s)
	}
}

// countRequest counts one request run on the session.
func (s *Session) countRequest() {
	if s != nil {
		s.client.requests.Add(1)
	}
}

func clientsRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, s := range v.e.clients.list() {
		s.client.mu.Lock()
		c, user, ready := s.client.conn, s.client.user, s.client.ready
		s.client.mu.Unlock()
		if !c.Remote.IsValid() {
			continue
		}
		stage := "ready"
		if !ready {
			stage = "authenticating"
		}
		addr := c.Remote.Addr().Unmap()
		row := map[string]any{
			"address":          addr,
			"port":             int32(c.Remote.Port()),
			"hostname":         addr.String(),
			"connection_stage": stage,
			"protocol_version": int32(c.ProtocolVersion),
			"request_count":    s.client.requests.Load(),
			"ssl_enabled":      c.SSLEnabled,
		}
		if len(c.Options) > 0 {
			row["client_options"] = c.Options
		}
		for col, key := range map[string]string{"driver_name": "DRIVER_NAME", "driver_version": "DRIVER_VERSION"} {
			if val, ok := optionCI(c.Options, key); ok {
				row[col] = val
			}
		}
		if user != "" {
			row["username"] = user
		}
		if c.SSLProtocol != "" {
			row["ssl_protocol"] = c.SSLProtocol
		}
		if c.SSLCipherSuite != "" {
			row["ssl_cipher_suite"] = c.SSLCipherSuite
		}
		out = append(out, row)
	}
	return out
}

// optionCI looks a STARTUP option up ignoring case, as Cassandra does.
func optionCI(opts map[string]string, key string) (string, bool) {
	for k, v := range opts {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}
