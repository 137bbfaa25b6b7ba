package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// Snapshots, as nodetool snapshot / listsnapshots / clearsnapshot, and
// their restore. A snapshot is a Pebble checkpoint of this node's store
// (restricted to the snapshot's tables) under
// <data_dir>/snapshots/<tag>/data, with manifest.json beside it naming
// the tables it holds as they were then: keyspace, name, table id and the
// id and type of every column. Restore reads a table's partitions from the
// checkpoint and Applies them to the live table with their original
// timestamps, so they reconcile with whatever the table holds now as the
// original writes would: newer writes win, and rows TRUNCATE removed (a
// physical range deletion, no tombstone) come back. A table dropped and
// created again has a new table id and new column ids; the manifest maps
// the old ids to the new ones by column name.

// snapshotsDir is the directory of the node's snapshots, inside its data
// directory (so checkpoints can hard-link the store's files).
const snapshotsDir = "snapshots"

// manifestFile is the name of a snapshot's manifest.
const manifestFile = "manifest.json"

// validTag is what a snapshot tag may be: it names a directory under
// snapshots/, so no separator and no leading dot ("." and ".." are not
// tags).
var validTag = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$`)

// SnapshotManifest describes one snapshot.
type SnapshotManifest struct {
	Tag     string          `json:"tag"`
	Created time.Time       `json:"created"`
	HostID  string          `json:"host_id"`
	Tables  []SnapshotTable `json:"tables"`
}

// SnapshotTable is one table of a snapshot, as it was when taken.
type SnapshotTable struct {
	Keyspace string           `json:"keyspace"`
	Name     string           `json:"name"`
	ID       string           `json:"id"`       // the table's UUID
	TableID  schema.TableID   `json:"table_id"` // the storage id its keys start with
	Columns  []SnapshotColumn `json:"columns"`
}

// SnapshotColumn is one column of a snapshot's table.
type SnapshotColumn struct {
	Name string          `json:"name"`
	Type string          `json:"type"`
	Kind string          `json:"kind"`
	ID   schema.ColumnID `json:"id,omitempty"`
}

// SnapshotInfo is one line of listsnapshots.
type SnapshotInfo struct {
	SnapshotManifest
	SizeBytes int64 `json:"size_bytes"` // bytes of the files (shared with the live store while not compacted away)
}

// RestoreResult is what a restore applied.
type RestoreResult struct {
	Tables         []string `json:"tables"`
	Partitions     int64    `json:"partitions"`
	Rows           int64    `json:"rows"`
	DroppedColumns int      `json:"dropped_cells"` // cells of columns the live table no longer has
}

func (n *Node) snapshotRoot() string { return filepath.Join(n.cfg.DataDir, snapshotsDir) }

// selectTables resolves a keyspace and table filter ("" and nil: every
// user table) against cat; an unknown name is an error.
func selectTables(cat *schema.Catalog, keyspace string, tables []string) ([]*schema.Table, error) {
	if keyspace == "" {
		if len(tables) > 0 {
			return nil, errors.New("tables given without a keyspace")
		}
		var out []*schema.Table
		for _, t := range cat.Tables() {
			if !t.Virtual && !schema.IsSystemKeyspace(t.Keyspace) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	ks := cat.Keyspace(keyspace)
	if ks == nil {
		return nil, fmt.Errorf("keyspace %s does not exist", keyspace)
	}
	if len(tables) == 0 {
		return ks.SortedTables(), nil
	}
	var out []*schema.Table
	for _, name := range tables {
		t := cat.Table(keyspace, name)
		if t == nil {
			return nil, fmt.Errorf("table %s.%s does not exist", keyspace, name)
		}
		out = append(out, t)
	}
	return out, nil
}

// Snapshot takes a snapshot named tag of the keyspaces' tables (only
// tables, with one keyspace; every user table when both are empty).
func (n *Node) Snapshot(ctx context.Context, tag string, keyspaces, tables []string) (SnapshotManifest, error) {
	if n.engine == nil {
		return SnapshotManifest{}, fmt.Errorf("cannot snapshot: this node keeps no data (backend %s)", n.cfg.Backend)
	}
	if tag == "" {
		tag = fmt.Sprint(n.cfg.Now().UnixMilli()) // nodetool's default: the time in milliseconds
	}
	if !validTag.MatchString(tag) {
		return SnapshotManifest{}, fmt.Errorf("snapshot tag %q: use letters, digits, '_', '-' and '.'", tag)
	}
	if len(tables) > 0 && len(keyspaces) != 1 {
		return SnapshotManifest{}, errors.New("cannot snapshot: tables need exactly one keyspace")
	}
	if len(keyspaces) == 0 {
		keyspaces = []string{""} // every user table
	}
	var sel []*schema.Table
	for _, ks := range keyspaces {
		s, err := selectTables(n.schema.Catalog(), ks, tables)
		if err != nil {
			return SnapshotManifest{}, fmt.Errorf("cannot snapshot: %w", err)
		}
		sel = append(sel, s...)
	}
	dir := filepath.Join(n.snapshotRoot(), tag)
	if _, err := os.Stat(dir); err == nil {
		return SnapshotManifest{}, fmt.Errorf("snapshot %s already exists", tag)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return SnapshotManifest{}, fmt.Errorf("cannot create snapshot %s: %w", tag, err)
	}
	m := SnapshotManifest{Tag: tag, Created: n.cfg.Now().UTC(), HostID: n.id.hostID.String()}
	ids := make([]schema.TableID, 0, len(sel))
	for _, t := range sel {
		m.Tables = append(m.Tables, manifestTable(t))
		ids = append(ids, t.TableID)
	}
	if len(ids) > 0 {
		if err := n.engine.Checkpoint(ctx, filepath.Join(dir, "data"), ids); err != nil {
			_ = os.RemoveAll(dir)
			return SnapshotManifest{}, err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return SnapshotManifest{}, fmt.Errorf("cannot encode the manifest of %s: %w", tag, err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestFile), b, 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return SnapshotManifest{}, fmt.Errorf("cannot write the manifest of %s: %w", tag, err)
	}
	n.log.Info("snapshot taken", "component", "snapshot", "tag", tag, "tables", len(m.Tables))
	return m, nil
}

func manifestTable(t *schema.Table) SnapshotTable {
	st := SnapshotTable{Keyspace: t.Keyspace, Name: t.Name, ID: uuidString(t.ID), TableID: t.TableID}
	for _, c := range t.Columns {
		st.Columns = append(st.Columns, SnapshotColumn{Name: c.Name, Type: c.Type.String(), Kind: c.Kind.String(), ID: c.ID})
	}
	return st
}

// readManifest reads the manifest of snapshot tag.
func (n *Node) readManifest(tag string) (SnapshotManifest, error) {
	var m SnapshotManifest
	if !validTag.MatchString(tag) {
		return m, fmt.Errorf("snapshot tag %q is not valid", tag)
	}
	b, err := os.ReadFile(filepath.Join(n.snapshotRoot(), tag, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("snapshot %s does not exist on this node", tag)
	}
	if err != nil {
		return m, fmt.Errorf("cannot read snapshot %s: %w", tag, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("snapshot %s has a damaged manifest: %w", tag, err)
	}
	return m, nil
}

// ListSnapshots lists this node's snapshots, oldest first.
func (n *Node) ListSnapshots() ([]SnapshotInfo, error) {
	entries, err := os.ReadDir(n.snapshotRoot())
	if errors.Is(err, fs.ErrNotExist) {
		return []SnapshotInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list snapshots: %w", err)
	}
	out := []SnapshotInfo{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m, err := n.readManifest(e.Name())
		if err != nil {
			continue // a snapshot being taken, or not ours
		}
		out = append(out, SnapshotInfo{SnapshotManifest: m, SizeBytes: dirSize(filepath.Join(n.snapshotRoot(), e.Name()))})
	}
	slices.SortFunc(out, func(a, b SnapshotInfo) int { return a.Created.Compare(b.Created) })
	return out, nil
}

func dirSize(dir string) int64 {
	var size int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	return size
}

// ClearSnapshot removes snapshot tag, or every snapshot with all; it
// returns the tags removed.
func (n *Node) ClearSnapshot(tag string, all bool) ([]string, error) {
	if all == (tag != "") {
		return nil, errors.New("give either a tag or all")
	}
	var tags []string
	if all {
		list, err := n.ListSnapshots()
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			tags = append(tags, s.Tag)
		}
	} else {
		if _, err := n.readManifest(tag); err != nil {
			return nil, err
		}
		tags = []string{tag}
	}
	for _, t := range tags {
		if err := os.RemoveAll(filepath.Join(n.snapshotRoot(), t)); err != nil {
			return nil, fmt.Errorf("cannot remove snapshot %s: %w", t, err)
		}
	}
	return tags, nil
}

// Restore applies the rows of snapshot tag's tables of keyspace (only
// table, when given) to the live tables of the same names on this node.
func (n *Node) Restore(ctx context.Context, tag, keyspace, table string) (res RestoreResult, err error) {
	if n.engine == nil {
		return res, fmt.Errorf("cannot restore: this node keeps no data (backend %s)", n.cfg.Backend)
	}
	if keyspace == "" {
		return res, errors.New("cannot restore: the keyspace is required")
	}
	m, err := n.readManifest(tag)
	if err != nil {
		return res, fmt.Errorf("cannot restore: %w", err)
	}
	var want []SnapshotTable
	for _, t := range m.Tables {
		if t.Keyspace == keyspace && (table == "" || t.Name == table) {
			want = append(want, t)
		}
	}
	if len(want) == 0 {
		return res, fmt.Errorf("cannot restore: snapshot %s holds no table %s", tag, qualified(keyspace, table))
	}
	cat := n.schema.Catalog()
	type plan struct {
		from SnapshotTable
		to   *schema.Table
		cols map[schema.ColumnID]schema.ColumnID
	}
	var plans []plan
	for _, st := range want {
		live := cat.Table(st.Keyspace, st.Name)
		if live == nil {
			return res, fmt.Errorf("cannot restore %s.%s: the table does not exist now; create it again first (its schema is in %s)",
				st.Keyspace, st.Name, filepath.Join(n.snapshotRoot(), tag, manifestFile))
		}
		cols, err := columnMapping(st, live)
		if err != nil {
			return res, err
		}
		plans = append(plans, plan{st, live, cols})
	}
	cp, err := storage.OpenCheckpoint(filepath.Join(n.snapshotRoot(), tag, "data"), storage.Options{Logger: n.log.With("component", "storage")})
	if err != nil {
		return res, fmt.Errorf("cannot restore: %w", err)
	}
	defer func() { err = errors.Join(err, cp.Close()) }()
	op := n.ops.start("restore", tag+" "+qualified(keyspace, table), "tables", int64(len(plans)))
	defer func() { op.finish(err) }()
	for _, p := range plans {
		if err := n.restoreTable(ctx, cp, p.from.TableID, p.to.TableID, p.cols, &res, op); err != nil {
			return res, fmt.Errorf("cannot restore %s.%s: %w", p.from.Keyspace, p.from.Name, err)
		}
		res.Tables = append(res.Tables, p.from.Keyspace+"."+p.from.Name)
		op.add(1, 0)
	}
	return res, nil
}

// restoreBatch is how many partitions one Apply of a restore carries.
const restoreBatch = 64

// restoreTable copies table from's partitions from cp into the live
// table to, re-keyed, in batches.
func (n *Node) restoreTable(ctx context.Context, cp *storage.Checkpoint, from, to schema.TableID,
	cols map[schema.ColumnID]schema.ColumnID, res *RestoreResult, op *opProgress) error {
	var batch []*schema.Partition
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := n.engine.Apply(ctx, batch...)
		op.add(0, int64(partitionsSize(batch)))
		batch = batch[:0]
		return err
	}
	// ScanTable's callback must not call the engine it reads, but the
	// checkpoint is another store: applying to the live one is allowed.
	err := cp.ScanTable(ctx, from, func(p *schema.Partition) error {
		res.DroppedColumns += storage.RekeyPartition(p, to, cols)
		res.Partitions++
		res.Rows += int64(len(p.Rows))
		batch = append(batch, p)
		if len(batch) >= restoreBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// columnMapping maps the snapshot table's column ids to the live table's
// by name. The primary key must be the same (names, types, order): rows
// are keyed by it and cannot be translated.
func columnMapping(st SnapshotTable, live *schema.Table) (map[schema.ColumnID]schema.ColumnID, error) {
	out := make(map[schema.ColumnID]schema.ColumnID)
	var snapKey, liveKey []string
	for _, c := range st.Columns {
		if c.Kind == schema.PartitionKey.String() || c.Kind == schema.Clustering.String() {
			snapKey = append(snapKey, c.Kind+" "+c.Name+" "+c.Type)
			continue
		}
		lc := live.Column(c.Name)
		if lc == nil || lc.IsPrimaryKey() {
			continue // dropped since: its cells are left out
		}
		if lc.Type.String() != c.Type {
			return nil, fmt.Errorf("cannot restore %s.%s: column %s was %s and is %s now", st.Keyspace, st.Name, c.Name, c.Type, lc.Type)
		}
		out[c.ID] = lc.ID
	}
	for _, c := range live.Columns {
		if c.IsPrimaryKey() {
			liveKey = append(liveKey, c.Kind.String()+" "+c.Name+" "+c.Type.String())
		}
	}
	if !slices.Equal(snapKey, liveKey) {
		return nil, fmt.Errorf("cannot restore %s.%s: its primary key changed (%v then, %v now)", st.Keyspace, st.Name, snapKey, liveKey)
	}
	return out, nil
}

func qualified(keyspace, table string) string {
	if table == "" {
		return keyspace
	}
	return keyspace + "." + table
}
