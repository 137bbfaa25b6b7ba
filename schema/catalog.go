package schema

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// Catalog is an immutable snapshot of the schema: every keyspace (the
// system keyspaces included), its tables and its user types. A Catalog is
// never modified after it is built, so any number of goroutines may read
// it without locks; the changes (CreateTable, DropKeyspace, ...) return a
// new Catalog that shares the unchanged parts with the old one.
//
// Callers must not modify anything reached through a Catalog (keyspaces,
// tables, columns, types, option maps).
type Catalog struct {
	keyspaces map[string]*Keyspace
	byID      map[TableID]*Table
	// generation counts the changes that led to this catalog, so that a
	// table dropped and created again (same content as before) still gets
	// a new derived id and the schema a new version.
	generation uint64
	version    UUID
}

// FirstTableID is the smallest TableID a table gets; storage may use the
// ids below it for its own key spaces.
const FirstTableID TableID = 256

// NewCatalog returns a catalog holding only the system keyspaces.
func NewCatalog() *Catalog {
	return build(maps.Clone(systemCatalog().keyspaces), 0)
}

// systemPart holds the system keyspaces, built once and shared (read-only)
// by every catalog, and the digest of their JSON, which every version
// digest covers.
type systemPart struct {
	keyspaces map[string]*Keyspace
	digest    [16]byte
}

var systemCatalog = sync.OnceValue(func() systemPart {
	p := systemPart{keyspaces: make(map[string]*Keyspace)}
	var list []*Keyspace
	for _, k := range SystemKeyspaces() {
		p.keyspaces[k.Name] = k
		list = append(list, k)
	}
	b, _ := json.Marshal(list) // plain data: cannot fail
	p.digest = md5.Sum(b)
	return p
})

// build finishes a catalog from its keyspaces: the table index and the
// version digest.
func build(ks map[string]*Keyspace, generation uint64) *Catalog {
	c := &Catalog{keyspaces: ks, byID: make(map[TableID]*Table), generation: generation}
	for _, k := range ks {
		for _, t := range k.Tables {
			c.byID[t.TableID] = t
		}
	}
	c.version = c.digest()
	return c
}

// digest is a name-based UUID of the canonical JSON of the system
// keyspaces, the user keyspaces and the generation: the same schema gives
// the same version on every node.
func (c *Catalog) digest() UUID {
	b, err := json.Marshal(c.payload())
	if err != nil {
		// Cannot happen: the catalog holds only JSON-encodable values
		// (and NaN option values are rejected by Set). Fall back to a
		// digest of the names so the version still changes with them.
		b = []byte(strings.Join(c.KeyspaceNames(), ","))
	}
	sys := systemCatalog().digest
	return NameUUID(append(sys[:], b...))
}

// Version returns the schema version: a deterministic digest of the
// catalog's content, reported as schema_version.
func (c *Catalog) Version() UUID { return c.version }

// Generation returns the number of changes that led to this catalog from
// NewCatalog (carried through MarshalCatalog/UnmarshalCatalog). Of two
// catalogs descended from the same one, the one with more changes applied
// has the higher generation.
func (c *Catalog) Generation() uint64 { return c.generation }

// Keyspace returns the named keyspace, or nil.
func (c *Catalog) Keyspace(name string) *Keyspace { return c.keyspaces[name] }

// Table returns the table ks.name, or nil.
func (c *Catalog) Table(ks, name string) *Table {
	if k := c.keyspaces[ks]; k != nil {
		return k.Tables[name]
	}
	return nil
}

// TableByID returns the table with the given numeric id, or nil.
func (c *Catalog) TableByID(id TableID) *Table { return c.byID[id] }

// UserType returns the user type ks.name, or nil.
func (c *Catalog) UserType(ks, name string) *UserType {
	if k := c.keyspaces[ks]; k != nil {
		return k.Types[name]
	}
	return nil
}

// KeyspaceNames returns every keyspace name, sorted.
func (c *Catalog) KeyspaceNames() []string { return slices.Sorted(maps.Keys(c.keyspaces)) }

// Keyspaces returns every keyspace, sorted by name.
func (c *Catalog) Keyspaces() []*Keyspace {
	out := make([]*Keyspace, 0, len(c.keyspaces))
	for _, n := range c.KeyspaceNames() {
		out = append(out, c.keyspaces[n])
	}
	return out
}

// Tables returns every table of every keyspace, sorted by keyspace then
// name.
func (c *Catalog) Tables() []*Table {
	var out []*Table
	for _, k := range c.Keyspaces() {
		out = append(out, k.SortedTables()...)
	}
	return out
}

// TypeResolver returns the function ParseType needs to resolve user type
// names used in keyspace ks (an unqualified name is looked up in ks; a
// qualified one "other.name" in other, unless ks has a type named exactly
// "other.name").
func (c *Catalog) TypeResolver(ks string) func(name string) (*Type, bool) {
	return func(name string) (*Type, bool) {
		k, n := ks, name
		if i := strings.IndexByte(name, '.'); i >= 0 && c.UserType(ks, name) == nil {
			k, n = name[:i], name[i+1:]
		}
		ut := c.UserType(k, n)
		if ut == nil {
			return nil, false
		}
		return ut.Type(), true
	}
}

// with returns a new catalog in which keyspace k replaces (or adds) the
// keyspace of its name.
func (c *Catalog) with(k *Keyspace) *Catalog {
	ks := maps.Clone(c.keyspaces)
	ks[k.Name] = k
	return build(ks, c.generation+1)
}

// without returns a new catalog without the named keyspace.
func (c *Catalog) without(name string) *Catalog {
	ks := maps.Clone(c.keyspaces)
	delete(ks, name)
	return build(ks, c.generation+1)
}

// deriveTableID maps a table UUID to its numeric id: the first 4 bytes of
// SHA-256(uuid ‖ attempt), skipping ids below FirstTableID, the maximum id
// and ids taken by other tables. Every node that applies the same change
// to the same catalog derives the same id, and the id is stored with the
// table from then on.
func deriveTableID(id UUID, taken func(TableID) bool) TableID {
	var buf [20]byte
	copy(buf[:], id[:])
	for attempt := uint32(0); ; attempt++ {
		binary.BigEndian.PutUint32(buf[16:], attempt)
		sum := sha256.Sum256(buf[:])
		tid := TableID(binary.BigEndian.Uint32(sum[:4]))
		if tid >= FirstTableID && tid != math.MaxUint32 && !taken(tid) {
			return tid
		}
	}
}

// SystemTableUUID returns the id Cassandra gives a system table:
// UUID.nameUUIDFromBytes(keyspace bytes ‖ table bytes).
func SystemTableUUID(ks, table string) UUID { return NameUUID([]byte(ks + table)) }
