package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Schema propagation. Every node holds the whole catalog. A schema change
// made on one node is pushed at once to every up peer, and the node's
// gossip metadata announces the new schema version; a node that sees a
// peer with another version (after a restart or a missed push) pulls the
// peer's catalog. Either way the receiver adopts the incoming catalog only
// if it wins the merge rule:
//
//	the higher generation wins (the generation counts the changes made);
//	at equal generations the larger version (byte-wise) wins.
//
// The rule is a total order on catalogs, so all nodes converge on the same
// catalog and report the same schema_version. Its limit: two different
// schema changes made concurrently on two nodes from the same starting
// catalog have the same generation, and one of them is dropped (Cassandra
// merges per table; Sibyl expects DDL to go through one client at a time).

// schemaSync pushes and pulls catalogs.
type schemaSync struct {
	c *cluster

	mu      sync.Mutex
	syncing map[ring.HostID]bool // guarded by mu: a sync with that peer is running
}

func newSchemaSync(c *cluster) *schemaSync {
	return &schemaSync{c: c, syncing: make(map[ring.HostID]bool)}
}

// catalogGeneration reads the generation from a marshalled catalog.
func catalogGeneration(data []byte) uint64 {
	var g struct {
		Generation uint64 `json:"generation"`
	}
	_ = json.Unmarshal(data, &g) // data was produced or checked by schema
	return g.Generation
}

// wins reports whether a catalog (marshalled, with version v) beats cur by
// the merge rule.
func wins(data []byte, v [16]byte, cur *schema.Catalog) bool {
	curData, err := schema.MarshalCatalog(cur)
	if err != nil {
		return false
	}
	g, cg := catalogGeneration(data), catalogGeneration(curData)
	if g != cg {
		return g > cg
	}
	cv := cur.Version()
	return bytes.Compare(v[:], cv[:]) > 0
}

// adopt replaces the catalog with the marshalled one in data if it wins
// the merge rule, persisting it first. It returns the catalog it
// replaced, nil when it kept its own.
func (s *schemaStore) adopt(ctx context.Context, data []byte) (*schema.Catalog, error) {
	cat, err := schema.UnmarshalCatalog(data)
	if err != nil {
		return nil, fmt.Errorf("cannot decode a peer's schema: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.cur.Load()
	if !wins(data, cat.Version(), prev) {
		return nil, nil
	}
	if s.save != nil {
		if err := s.save(ctx, data); err != nil {
			return nil, fmt.Errorf("cannot persist a peer's schema: %w", err)
		}
	}
	s.cur.Store(cat)
	if s.onChange != nil {
		s.onChange(cat)
	}
	return prev, nil
}

// replicatedSchema is the exec.SchemaStore the executor uses: the node's
// schemaStore, whose Update also pushes the new catalog to every up peer
// and waits (briefly) for their answers, so that when a DDL statement
// returns the cluster already agrees and drivers' agreement wait ends at
// its first check.
type replicatedSchema struct{ n *Node }

var _ exec.SchemaStore = replicatedSchema{}

func (r replicatedSchema) Catalog() *schema.Catalog { return r.n.schema.Catalog() }

func (r replicatedSchema) Update(ctx context.Context, change func(*schema.Catalog) (*schema.Catalog, error)) (*schema.Catalog, error) {
	cat, err := r.n.schema.Update(ctx, change)
	if err == nil && r.n.cluster != nil && r.n.cluster.schema != nil {
		r.n.cluster.schema.changed(ctx)
	}
	return cat, err
}

// schemaPushTimeout bounds how long a schema change waits for peers to
// take it; slower peers converge through gossip and pulls.
const schemaPushTimeout = time.Second

// changed is called after a local schema change: announce the version and
// push the catalog to every up peer, waiting for their answers.
func (s *schemaSync) changed(ctx context.Context) {
	s.c.announce()
	ctx, cancel := context.WithTimeout(ctx, schemaPushTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for id, p := range s.c.view.Load().peers {
		if p.up {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.push(ctx, id, p.meta.msgAddr())
			}()
		}
	}
	wg.Wait()
}

// pullFrom starts a sync with a peer gossip shows at another version.
func (s *schemaSync) pullFrom(_ context.Context, id ring.HostID, addr string, _ [16]byte) {
	s.syncWith(id, addr, false)
}

// checkAgreement syncs with every up peer whose version differs; the apply
// loop calls it every second so a missed push or pull heals.
func (s *schemaSync) checkAgreement() {
	mine := s.c.n.schema.Catalog().Version()
	for id, p := range s.c.view.Load().peers {
		if p.up && p.meta.Schema != mine {
			s.syncWith(id, p.meta.msgAddr(), false)
		}
	}
}

// syncWith runs one exchange with a peer in the background, at most one
// per peer at a time: pull its catalog (adopting it if it wins), then, if
// ours still differs or push is set, push ours.
func (s *schemaSync) syncWith(id ring.HostID, addr string, push bool) {
	s.mu.Lock()
	if s.syncing[id] {
		s.mu.Unlock()
		return
	}
	s.syncing[id] = true
	s.mu.Unlock()
	err := s.c.n.group.Go("node.schema: sync with a peer", func(ctx context.Context) error {
		defer func() {
			s.mu.Lock()
			delete(s.syncing, id)
			s.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if !push {
			s.pull(ctx, addr)
		}
		s.push(ctx, id, addr)
		return nil
	})
	if err != nil {
		s.mu.Lock()
		delete(s.syncing, id)
		s.mu.Unlock()
	}
}

func (s *schemaSync) pull(ctx context.Context, addr string) {
	data, err := s.c.msg.Request(ctx, addr, verbSchemaPull, nil)
	if err != nil {
		s.c.log.Debug("cannot pull a peer's schema", "addr", addr, "err", err)
		return
	}
	s.adoptAndAnnounce(ctx, data)
}

func (s *schemaSync) adoptAndAnnounce(ctx context.Context, data []byte) {
	prev, err := s.c.n.schema.adopt(ctx, data)
	if err != nil {
		s.c.log.Warn("cannot adopt a peer's schema", "err", err)
		return
	}
	if prev != nil {
		cur := s.c.n.schema.Catalog()
		s.c.log.Info("adopted a newer schema from a peer", "schema_version", uuidString(cur.Version()))
		s.c.announce()
		for _, sc := range schemaChanges(prev, cur) {
			s.c.n.publish(exec.Event{Type: exec.EventSchemaChange, Schema: &sc})
		}
	}
}

// push sends our catalog; the peer answers the version it then has, which
// we record at once (drivers read it from our system.peers).
func (s *schemaSync) push(ctx context.Context, id ring.HostID, addr string) {
	data, err := schema.MarshalCatalog(s.c.n.schema.Catalog())
	if err != nil {
		s.c.log.Error("cannot encode the schema", "err", err)
		return
	}
	resp, err := s.c.msg.Request(ctx, addr, verbSchemaPush, data)
	if err != nil {
		s.c.log.Debug("cannot push the schema to a peer", "addr", addr, "err", err)
		return
	}
	if len(resp) == 16 {
		var v [16]byte
		copy(v[:], resp)
		s.c.queue.Push(gossipEvent{kind: evSchema, id: id, schema: v})
	}
}

func (c *cluster) handleSchemaPull(context.Context, string, []byte) ([]byte, error) {
	data, err := schema.MarshalCatalog(c.n.schema.Catalog())
	if err != nil {
		return nil, fmt.Errorf("cannot encode the schema: %w", err)
	}
	return data, nil
}

func (c *cluster) handleSchemaPush(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	c.schema.adoptAndAnnounce(ctx, payload)
	v := c.n.schema.Catalog().Version()
	return v[:], nil
}
