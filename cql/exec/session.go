package exec

import (
	"net/netip"
	"sync"
)

// Session is the per-connection state of a client: its current keyspace.
// It is safe for concurrent use; CQL multiplexes requests on a connection
// and the server does not serialize them.
type Session struct {
	e      *Executor // nil for a zero Session
	client clientState
	mu     struct {
		sync.Mutex
		keyspace  string     // guarded by mu
		localAddr netip.Addr // guarded by mu
	}
}

// SetLocalAddr records the server-side address of the client's
// connection; system.local reports it as rpc_address when the node's own
// RPC address is unspecified (0.0.0.0), so drivers that connected through
// it keep using an address that works.
func (s *Session) SetLocalAddr(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.localAddr = a
}

func (s *Session) localAddr() netip.Addr {
	if s == nil {
		return netip.Addr{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.localAddr
}

// NewSession returns a session with no current keyspace.
func (e *Executor) NewSession() *Session {
	return &Session{e: e}
}

// Keyspace returns the session's current keyspace, "" when none was set.
func (s *Session) Keyspace() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.keyspace
}

// SetKeyspace changes the session's current keyspace (what USE does).
func (s *Session) SetKeyspace(ks string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.keyspace = ks
}
