package node

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// schemaStore implements exec.SchemaStore: the current catalog behind an
// atomic pointer (readers never lock), and Update serialized by a mutex,
// persisting the new catalog before publishing it, so a schema change is
// durable before it is acknowledged or announced.
type schemaStore struct {
	cur atomic.Pointer[schema.Catalog]
	// save persists a marshalled catalog; nil keeps it in memory only
	// (the null backend).
	save func(ctx context.Context, data []byte) error

	mu        sync.Mutex // serializes Update
	placement atomic.Pointer[placementIndex]
	// onChange, when set (before any Update), is called with every
	// catalog published after the first, under mu; it must not block.
	onChange func(*schema.Catalog)
}

var _ exec.SchemaStore = (*schemaStore)(nil)

// newSchemaStore starts from a persisted catalog (data, when found) or from
// the system keyspaces alone.
func newSchemaStore(data []byte, found bool, save func(context.Context, []byte) error) (*schemaStore, error) {
	cat := schema.NewCatalog()
	if found {
		c, err := schema.UnmarshalCatalog(data)
		if err != nil {
			return nil, fmt.Errorf("cannot decode the stored schema: %w", err)
		}
		cat = c
	}
	s := &schemaStore{save: save}
	s.cur.Store(cat)
	return s, nil
}

// Catalog returns the current catalog.
func (s *schemaStore) Catalog() *schema.Catalog { return s.cur.Load() }

// Update applies change to the current catalog, persists the result and
// publishes it.
func (s *schemaStore) Update(ctx context.Context, change func(*schema.Catalog) (*schema.Catalog, error)) (*schema.Catalog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := change(s.cur.Load())
	if err != nil {
		return nil, err
	}
	if s.save != nil {
		data, err := schema.MarshalCatalog(next)
		if err != nil {
			return nil, fmt.Errorf("cannot encode the schema: %w", err)
		}
		if err := s.save(ctx, data); err != nil {
			return nil, fmt.Errorf("cannot persist the schema: %w", err)
		}
	}
	s.cur.Store(next)
	if s.onChange != nil {
		s.onChange(next)
	}
	return next, nil
}

// placementIndex caches each keyspace's parsed strategy for one catalog.
// Every coordinated request reads it, so reads take no lock (a sync.Map
// read-mostly after the first request per keyspace): a mutex here made
// every request wait on whichever holder the scheduler had parked.
type placementIndex struct {
	cat *schema.Catalog
	ks  sync.Map // keyspace name -> placement
}

// placementOf returns how table id is replicated under the current
// catalog: its keyspace's strategy, or a nil strategy for local tables.
func (s *schemaStore) placementOf(id schema.TableID) (placement, error) {
	cat := s.cur.Load()
	t := cat.TableByID(id)
	if t == nil {
		return placement{}, exec.Errorf(exec.CodeInvalid, "unknown table id %d (was the table dropped?)", id)
	}
	return s.keyspacePlacement(cat, t.Keyspace)
}

// keyspacePlacement returns how keyspace ks of catalog cat is replicated,
// parsing its strategy once per catalog.
func (s *schemaStore) keyspacePlacement(cat *schema.Catalog, ks string) (placement, error) {
	idx := s.placement.Load()
	if idx == nil || idx.cat != cat {
		idx = &placementIndex{cat: cat}
		s.placement.Store(idx)
	}
	return idx.get(cat, ks)
}

func (p *placementIndex) get(cat *schema.Catalog, keyspace string) (placement, error) {
	if pl, ok := p.ks.Load(keyspace); ok {
		return pl.(placement), nil
	}
	k := cat.Keyspace(keyspace)
	if k == nil {
		return placement{}, exec.Errorf(exec.CodeInvalid, "Keyspace %s does not exist", keyspace)
	}
	pl := placement{keyspace: keyspace, resolved: &resolvedPlacement{}}
	switch k.ReplicationClass() {
	case "LocalStrategy", "EverywhereStrategy":
	default:
		st, err := ring.ParseStrategy(k.Replication)
		if err != nil {
			return placement{}, exec.Errorf(exec.CodeConfigError, "keyspace %s has an unusable replication %v: %v", keyspace, k.Replication, err).WithCause(err)
		}
		pl.strategy = st
	}
	// Two first requests may both parse; the one stored first wins, so
	// every caller shares one resolved memo.
	actual, _ := p.ks.LoadOrStore(keyspace, pl)
	return actual.(placement), nil
}

// table returns the current definition of table id, for the null backend.
func (s *schemaStore) table(id schema.TableID) (*schema.Table, bool) {
	t := s.cur.Load().TableByID(id)
	return t, t != nil
}

// gcGrace returns a table's gc_grace_seconds, for storage's purges.
func (s *schemaStore) gcGrace(id schema.TableID) (int64, bool) {
	t := s.cur.Load().TableByID(id)
	if t == nil {
		return 0, false
	}
	return int64(t.Options.GCGraceSeconds), true
}
