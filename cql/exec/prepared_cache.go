package exec

import (
	"container/list"
	"crypto/md5"
	"sync"

	"github.com/sibyldb/sibyl/cql/parser"
)

// preparedID is Cassandra's statement id: MD5 of the keyspace name
// followed by the query text, or of the query text alone when no keyspace
// is set (QueryProcessor.computeId). Every node computes the same id, and
// re-preparing gives the same id again, which the Python driver asserts.
func preparedID(keyspace, query string) []byte {
	sum := md5.Sum([]byte(keyspace + query))
	return sum[:]
}

// preparedEntry is one prepared statement: its text and the keyspace it was
// prepared in. The analysis is redone when the catalog changes, so a
// statement prepared before an ALTER TABLE sees the new table.
type preparedEntry struct {
	id       []byte           // immutable
	query    string           // immutable
	keyspace string           // immutable
	stmt     parser.Statement // immutable

	mu sync.Mutex
	an *analyzed // guarded by mu; the latest analysis
}

func (p *preparedEntry) analysis() *analyzed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.an
}

func (p *preparedEntry) setAnalysis(an *analyzed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.an = an
}

// preparedCache maps ids to statements, shared by every session. It holds
// at most max entries and forgets the least recently used; a forgotten id
// gets Unprepared and the driver prepares it again.
type preparedCache struct {
	max int // immutable
	mu  struct {
		sync.Mutex
		byID map[string]*list.Element // guarded by mu; values are *preparedEntry
		lru  *list.List               // guarded by mu; front = most recent
	}
}

func newPreparedCache(max int) *preparedCache {
	c := &preparedCache{max: max}
	c.mu.byID = make(map[string]*list.Element)
	c.mu.lru = list.New()
	return c
}

// get returns the entry for id, or nil.
func (c *preparedCache) get(id []byte) *preparedEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.mu.byID[string(id)]
	if !ok {
		return nil
	}
	c.mu.lru.MoveToFront(el)
	return el.Value.(*preparedEntry)
}

// put stores p, replacing any entry with the same id, and evicts the
// least recently used entries beyond the bound.
func (c *preparedCache) put(p *preparedEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.mu.byID[string(p.id)]; ok {
		el.Value = p
		c.mu.lru.MoveToFront(el)
		return
	}
	c.mu.byID[string(p.id)] = c.mu.lru.PushFront(p)
	for c.mu.lru.Len() > c.max {
		c.evictLocked()
	}
}

func (c *preparedCache) evictLocked() {
	el := c.mu.lru.Back()
	c.mu.lru.Remove(el)
	delete(c.mu.byID, string(el.Value.(*preparedEntry).id))
}

// remove forgets id.
func (c *preparedCache) remove(id []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.mu.byID[string(id)]; ok {
		c.mu.lru.Remove(el)
		delete(c.mu.byID, string(id))
	}
}
