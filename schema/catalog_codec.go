package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrBadCatalog is wrapped by every UnmarshalCatalog error.
var ErrBadCatalog = errors.New("schema: bad catalog encoding")

// catalogFormat is the version of the encoding MarshalCatalog writes.
const catalogFormat = 1

type catalogJSON struct {
	Format     int         `json:"format"`
	Generation uint64      `json:"generation"`
	Keyspaces  []*Keyspace `json:"keyspaces"`
	// System holds the replicated system keyspaces (system_auth,
	// system_distributed, system_traces) whose replication or
	// durable_writes was altered; absent while every one is as built.
	System []systemKeyspaceJSON `json:"system,omitempty"`
}

// systemKeyspaceJSON is the user-alterable part of a replicated system
// keyspace.
type systemKeyspaceJSON struct {
	Name          string            `json:"name"`
	Replication   map[string]string `json:"replication"`
	DurableWrites bool              `json:"durable_writes"`
}

// payload is what MarshalCatalog writes and the version digest covers:
// the user keyspaces and the altered replicated system keyspaces.
func (c *Catalog) payload() catalogJSON {
	out := catalogJSON{Format: catalogFormat, Generation: c.generation}
	built := systemCatalog().keyspaces
	for _, k := range c.Keyspaces() {
		switch {
		case !k.IsSystem():
			out.Keyspaces = append(out.Keyspaces, k)
		case IsReplicatedSystemKeyspace(k.Name):
			if b := built[k.Name]; b == nil || !maps.Equal(b.Replication, k.Replication) || b.DurableWrites != k.DurableWrites {
				out.System = append(out.System, systemKeyspaceJSON{Name: k.Name, Replication: k.Replication, DurableWrites: k.DurableWrites})
			}
		}
	}
	return out
}

// MarshalCatalog encodes the user keyspaces of c (the system keyspaces are
// part of the code, not of the data) for persistence and for replication
// between nodes. The encoding is deterministic: equal catalogs encode to
// equal bytes.
func MarshalCatalog(c *Catalog) ([]byte, error) {
	b, err := json.Marshal(c.payload())
	if err != nil {
		return nil, fmt.Errorf("cannot encode catalog: %w", err)
	}
	return b, nil
}

// UnmarshalCatalog decodes what MarshalCatalog wrote and adds the system
// keyspaces. The input is checked as a whole (names, types, key columns,
// column and table ids, options, user type references), so a corrupt or
// hostile encoding yields an error, never a broken catalog.
func UnmarshalCatalog(b []byte) (*Catalog, error) {
	var in catalogJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCatalog, err)
	}
	if in.Format != catalogFormat {
		return nil, fmt.Errorf("%w: unknown format %d", ErrBadCatalog, in.Format)
	}
	c := NewCatalog()
	ks := make(map[string]*Keyspace, len(in.Keyspaces))
	for n, k := range c.keyspaces {
		ks[n] = k
	}
	for _, k := range in.Keyspaces {
		if err := checkDecodedKeyspace(k, ks); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCatalog, err)
		}
		ks[k.Name] = k
	}
	seenSystem := map[string]bool{}
	for _, sk := range in.System {
		base := ks[sk.Name]
		if !IsReplicatedSystemKeyspace(sk.Name) || base == nil || seenSystem[sk.Name] {
			return nil, fmt.Errorf("%w: bad system keyspace %q", ErrBadCatalog, sk.Name)
		}
		seenSystem[sk.Name] = true
		repl, err := NormalizeReplication(sk.Replication, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: keyspace %s: %w", ErrBadCatalog, sk.Name, err)
		}
		k := base.clone()
		k.Replication, k.DurableWrites = repl, sk.DurableWrites
		ks[k.Name] = k
	}
	out := build(ks, in.Generation)
	if err := out.checkDecoded(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCatalog, err)
	}
	return out, nil
}

func checkDecodedKeyspace(k *Keyspace, seen map[string]*Keyspace) error {
	if k == nil || !validName(k.Name) || IsSystemKeyspace(k.Name) || k.Virtual {
		return errors.New("bad keyspace name")
	}
	if seen[k.Name] != nil {
		return fmt.Errorf("duplicate keyspace %s", k.Name)
	}
	repl, err := NormalizeReplication(k.Replication, nil)
	if err != nil {
		return fmt.Errorf("keyspace %s: %w", k.Name, err)
	}
	k.Replication = repl
	if k.Tables == nil {
		k.Tables = map[string]*Table{}
	}
	if k.Types == nil {
		k.Types = map[string]*UserType{}
	}
	for n, ut := range k.Types {
		if ut == nil || ut.Name != n || ut.Keyspace != k.Name || checkTypeName(n) != nil || len(ut.FieldNames) != len(ut.FieldTypes) || len(ut.FieldNames) == 0 {
			return fmt.Errorf("keyspace %s: bad user type %q", k.Name, n)
		}
	}
	for n, t := range k.Tables {
		if t == nil || t.Name != n || t.Keyspace != k.Name || !wordChars(n) || len(n) > MaxTableNameLength || t.Virtual {
			return fmt.Errorf("keyspace %s: bad table %q", k.Name, n)
		}
		if err := checkDecodedColumns(t); err != nil {
			return fmt.Errorf("table %s.%s: %w", k.Name, n, err)
		}
		t.index()
	}
	return checkDecodedIndexes(k)
}

// checkDecodedColumns checks what CreateTable would have guaranteed about
// key positions and column ids.
func checkDecodedColumns(t *Table) error {
	var pk, ck []int
	ids := map[ColumnID]bool{}
	for _, col := range t.Columns {
		if col == nil || col.Type == nil {
			return errors.New("missing column or type")
		}
		switch col.Kind {
		case PartitionKey:
			pk = append(pk, col.Position)
		case Clustering:
			ck = append(ck, col.Position)
		case Regular, Static:
			if col.Position != -1 || col.ID == 0 || col.ID >= t.NextColumnID || ids[col.ID] {
				return fmt.Errorf("column %q: bad position or id", col.Name)
			}
			ids[col.ID] = true
			continue
		default:
			return fmt.Errorf("column %q: bad kind %d", col.Name, col.Kind)
		}
		if col.ID != 0 {
			return fmt.Errorf("key column %q has an id", col.Name)
		}
	}
	if len(pk) == 0 || !isPermutation(pk) || !isPermutation(ck) {
		return errors.New("bad key column positions")
	}
	for _, d := range t.DroppedColumns {
		if d.Type == nil || d.ID >= t.NextColumnID || ids[d.ID] {
			return fmt.Errorf("dropped column %q: bad type or id", d.Name)
		}
	}
	return nil
}

// isPermutation reports whether p holds each of 0..len(p)-1 once.
func isPermutation(p []int) bool {
	s := slices.Sorted(slices.Values(p))
	for i, v := range s {
		if v != i {
			return false
		}
	}
	return true
}

// checkDecoded runs the catalog-wide checks: table ids, user type shapes
// and references, table rules.
func (c *Catalog) checkDecoded() error {
	tableIDs := map[TableID]bool{}
	uuids := map[UUID]bool{}
	for _, k := range c.Keyspaces() {
		for _, ut := range k.Types {
			if err := c.checkUserType(ut); err != nil {
				return fmt.Errorf("user type %s: %w", ut.QualifiedName(), err)
			}
		}
		for _, t := range k.SortedTables() {
			if tableIDs[t.TableID] || uuids[t.ID] || (!k.IsSystem() && t.TableID < FirstTableID) {
				return fmt.Errorf("table %s: duplicate or reserved id", t.QualifiedName())
			}
			tableIDs[t.TableID], uuids[t.ID] = true, true
			if k.IsSystem() {
				continue
			}
			if err := t.Options.Validate(); err != nil {
				return fmt.Errorf("table %s: %w", t.QualifiedName(), err)
			}
			if err := c.checkTable(t); err != nil {
				return fmt.Errorf("table %s: %w", t.QualifiedName(), err)
			}
		}
	}
	return nil
}
