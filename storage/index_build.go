package storage

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// Building an index writes the entries of the rows stored before it
// existed. Its state is node-local: a read uses an index only where it is
// built (readIndexed), so until then a lookup is answered by the range
// read, and every node decides for its own data. The built mark is kept
// in node-local metadata ("index-built:<table>:<index>") so a restart does
// not rebuild.

// builtMarks caches the built marks.
type builtMarks struct {
	mu   sync.Mutex
	done map[string]bool
}

func builtName(t schema.TableID, id uint32) string {
	return "index-built:" + strconv.FormatUint(uint64(t), 10) + ":" + strconv.FormatUint(uint64(id), 10)
}

// IndexBuilt reports whether index id of table t has every entry on this
// node.
func (e *Engine) IndexBuilt(t schema.TableID, id uint32) bool {
	name := builtName(t, id)
	e.built.mu.Lock()
	defer e.built.mu.Unlock()
	if done, ok := e.built.done[name]; ok {
		return done
	}
	_, ok, err := e.GetLocal(name)
	if err != nil {
		return false
	}
	if e.built.done == nil {
		e.built.done = map[string]bool{}
	}
	e.built.done[name] = ok
	return ok
}

func (e *Engine) setBuilt(t schema.TableID, id uint32, done bool) {
	e.built.mu.Lock()
	defer e.built.mu.Unlock()
	if e.built.done == nil {
		e.built.done = map[string]bool{}
	}
	e.built.done[builtName(t, id)] = done
}

// BuildIndex writes the entries of index id of table t for every row
// stored, then marks the index built. The catalog given to SetCatalog must
// already hold the index: a barrier on the write latches makes every
// write either committed before the scan starts (and so scanned) or
// encoded with the index (and so carrying its entry). Building twice is
// harmless (entries are merge operands).
func (e *Engine) BuildIndex(ctx context.Context, t schema.TableID, id uint32, progress func(partitions, bytes int64)) error {
	if e.IndexBuilt(t, id) {
		return nil
	}
	tbl, idxs := e.indexedColumns(t)
	var ix *schema.Index
	for _, x := range idxs {
		if x.ID == id {
			ix = x
		}
	}
	if ix == nil {
		return fmt.Errorf("cannot build index %d of table %d: not in the catalog, or on a key column", id, t)
	}
	col := tbl.Column(ix.Column)
	for i := range e.latches {
		e.latches[i].Lock()
	}
	for i := range e.latches {
		e.latches[i].Unlock()
	}
	s := &writeScratch{}
	b := e.db.NewBatch()
	flush := func() error {
		if b.Empty() {
			return nil
		}
		err := b.Commit(pebble.NoSync)
		b.Close()
		b = e.db.NewBatch()
		return err
	}
	err := e.ScanRange(ctx, t, math.MinInt64, math.MinInt64, func(p *schema.Partition) error {
		if progress != nil {
			progress(1, int64(len(p.Key)))
		}
		if col.Kind == schema.Static {
			if p.Static != nil {
				if err := addIndexEntries(b, s, p, ix, col, p.Static, true); err != nil {
					return err
				}
			}
		} else {
			for i := range p.Rows {
				if err := addIndexEntries(b, s, p, ix, col, &p.Rows[i], false); err != nil {
					return err
				}
			}
		}
		if b.Len() > 1<<20 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	b.Close()
	if err != nil {
		return fmt.Errorf("cannot build index %s: %w", ix.Name, err)
	}
	// The mark is durable (synced): entries committed without sync
	// before it are made durable by the same WAL sync.
	if err := e.SetLocal(ctx, builtName(t, id), []byte{1}); err != nil {
		return fmt.Errorf("cannot mark index %s built: %w", ix.Name, err)
	}
	e.setBuilt(t, id, true)
	return nil
}

// ForgetIndex removes index id of table t: its entries and its built
// mark (DROP INDEX; DropTable and Truncate remove entries themselves).
func (e *Engine) ForgetIndex(ctx context.Context, t schema.TableID, id uint32) error {
	e.setBuilt(t, id, false)
	if err := e.DeleteLocal(ctx, builtName(t, id)); err != nil {
		return err
	}
	return e.DropIndex(ctx, t, id)
}
