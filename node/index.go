package node

import (
	"context"
	"log/slog"
	"math"

	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// indexMaintainer keeps storage's secondary index entries in step with
// the schema on this node. Every catalog the schema store publishes goes
// to the engine first (Engine.SetCatalog, so writes from then on carry
// entries for new indexes), then a task builds each index not yet built
// here (entries for the rows stored before it) and forgets the indexes
// that left the catalog. Until an index is built on this node, reads
// through it are answered by this node as plain range reads (storage
// decides), so a query is exact while a build runs, only slower.
//
// An index dropped while this node was down keeps its entries here (they
// are never read: a new index gets a new id) until its table is dropped
// or truncated.
type indexMaintainer struct {
	eng     *storage.Engine
	catalog func() *schema.Catalog
	log     *slog.Logger
	ops     *operations // where builds report progress (admin_ops_progress.go)
	wake    chan struct{}
	known   map[indexRef]bool // owned by run
}

type indexRef struct {
	table schema.TableID
	id    uint32
}

func newIndexMaintainer(eng *storage.Engine, catalog func() *schema.Catalog, ops *operations, log *slog.Logger) *indexMaintainer {
	m := &indexMaintainer{eng: eng, catalog: catalog, ops: ops, log: log, wake: make(chan struct{}, 1)}
	eng.SetCatalog(catalog())
	return m
}

// schemaChanged is the schema store's hook, called with each new catalog
// under the store's lock: it must not block.
func (m *indexMaintainer) schemaChanged(cat *schema.Catalog) {
	m.eng.SetCatalog(cat)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run builds and forgets indexes until ctx ends.
func (m *indexMaintainer) run(ctx context.Context) error {
	for {
		m.sync(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		}
	}
}

func (m *indexMaintainer) sync(ctx context.Context) {
	cur := map[indexRef]bool{}
	for _, t := range m.catalog().Tables() {
		for _, ix := range t.Indexes {
			if col := t.Column(ix.Column); col == nil || col.IsPrimaryKey() {
				continue // no entries: its queries scan
			}
			ref := indexRef{t.TableID, ix.ID}
			cur[ref] = true
			if m.eng.IndexBuilt(t.TableID, ix.ID) {
				continue
			}
			// The registry logs the build's start, every tenth (by the
			// table's estimated partitions) and end, and GET /operations
			// shows it while it runs.
			total := int64(0)
			if est, err := m.eng.EstimateRange(ctx, t.TableID, storage.TokenRange{Start: math.MinInt64, End: math.MinInt64}, estimateSample); err == nil {
				total = est.Partitions
			}
			p := m.ops.start("index-build", t.Keyspace+"."+t.Name+"."+ix.Name, "partitions", total)
			err := m.eng.BuildIndex(ctx, t.TableID, ix.ID, p.add)
			p.finish(err)
			if err != nil && ctx.Err() == nil {
				m.log.Warn("cannot build secondary index; queries keep scanning until a later schema change retries", "index", ix.Name, "err", err)
			}
		}
	}
	for ref := range m.known {
		if !cur[ref] {
			if err := m.eng.ForgetIndex(ctx, ref.table, ref.id); err != nil && ctx.Err() == nil {
				m.log.Warn("cannot remove a dropped index's entries", "table", ref.table, "index", ref.id, "err", err)
			}
		}
	}
	m.known = cur
}

// indexBuilt is exec's view of build state (system."IndexInfo").
func (n *Node) indexBuilt(t schema.TableID, id uint32) bool {
	return n.engine == nil || n.engine.IndexBuilt(t, id)
}
