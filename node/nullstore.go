package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// nullStore is the storage of `--backend null`: it keeps nothing. Writes
// are acknowledged at once and dropped; a single-partition read answers
// with one synthetic row of the requested shape (the table's clustering
// key, or the key the read asked for, and a valid value for every
// requested simple column). Everything above it (server, protocol,
// executor, coordinator) runs unchanged, so a benchmark against it
// measures the protocol ceiling: what the same client reaches when storage
// costs nothing. It is not a database; never point an application at it.
type nullStore struct {
	tables func(schema.TableID) (*schema.Table, bool)
	now    func() time.Time

	mu     sync.Mutex
	shapes map[*schema.Table]*nullShape // per table definition; guarded by mu
}

// nullShape is the synthetic row of one table definition, built once.
type nullShape struct {
	clustering []byte        // encoded synthetic clustering key; nil without clustering columns
	key        []byte        // synthetic partition key, for range reads
	cells      []schema.Cell // one per simple regular column, in column order
	static     []schema.Cell // one per simple static column
}

func newNullStore(tables func(schema.TableID) (*schema.Table, bool), now func() time.Time) *nullStore {
	return &nullStore{tables: tables, now: now, shapes: make(map[*schema.Table]*nullShape)}
}

// Apply drops muts.
func (s *nullStore) Apply(ctx context.Context, _ ...*schema.Partition) error {
	return ctx.Err()
}

// Truncate has nothing to remove.
func (s *nullStore) Truncate(ctx context.Context, _ schema.TableID) error {
	return ctx.Err()
}

// Read answers with the synthetic row: for a single-partition read, in the
// partition asked for; for a range read, in a synthetic partition when its
// token lies in the range.
func (s *nullStore) Read(ctx context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, ok := s.tables(cmd.Table)
	if !ok {
		return nil, fmt.Errorf("null backend: unknown table id %d", cmd.Table)
	}
	shape, err := s.shape(t)
	if err != nil {
		return nil, err
	}
	key, tok := cmd.Key, cmd.Token
	if key == nil {
		key = shape.key
		tok = int64(ring.Murmur3Token(key))
		r := ring.Range{Start: ring.Token(cmd.StartToken), End: ring.Token(cmd.EndToken)}
		if cmd.AfterKey != nil || (cmd.StartToken != cmd.EndToken && !r.Contains(ring.Token(tok))) {
			return nil, nil
		}
	}
	return []*schema.Partition{s.partition(t, shape, cmd, key, tok)}, nil
}

// partition builds the answer for one partition.
func (s *nullStore) partition(t *schema.Table, shape *nullShape, cmd *schema.ReadCommand, key []byte, tok int64) *schema.Partition {
	ts := s.now().UnixMicro()
	p := &schema.Partition{Table: cmd.Table, Token: tok, Key: key, Deletion: schema.LiveDeletion}
	if cmd.Static && len(shape.static) > 0 {
		p.Static = &schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion, Cells: stamp(shape.static, ts, cmd.Columns)}
	}
	if cmd.AfterClustering != nil && len(t.Clustering) > 0 {
		return p // the single synthetic row has been returned already
	}
	row := schema.Row{
		Clustering: rowClustering(t, shape, cmd),
		Marker:     schema.Liveness{Timestamp: ts, ExpiresAt: schema.NoExpiry},
		Deletion:   schema.LiveDeletion,
		Cells:      stamp(shape.cells, ts, cmd.Columns),
	}
	p.Rows = []schema.Row{row}
	return p
}

// rowClustering uses the exact key a read asked for (a slice with equal,
// inclusive bounds), so point reads find their row; else the synthetic key.
func rowClustering(t *schema.Table, shape *nullShape, cmd *schema.ReadCommand) []byte {
	if len(cmd.Slices) > 0 {
		sl := cmd.Slices[0]
		if sl.Start.Inclusive && sl.End.Inclusive && len(sl.Start.Prefix) > 0 &&
			string(sl.Start.Prefix) == string(sl.End.Prefix) {
			if vals, err := t.DecodeClustering(sl.Start.Prefix); err == nil && len(vals) == len(t.Clustering) {
				return sl.Start.Prefix
			}
		}
	}
	return shape.clustering
}

// stamp returns copies of cells written at ts, restricted to columns (nil
// = all).
func stamp(cells []schema.Cell, ts int64, columns []schema.ColumnID) []schema.Cell {
	out := make([]schema.Cell, 0, len(cells))
	for _, c := range cells {
		if columns != nil && !containsColumn(columns, c.Column) {
			continue
		}
		c.Timestamp = ts
		out = append(out, c)
	}
	return out
}

func containsColumn(cols []schema.ColumnID, id schema.ColumnID) bool {
	for _, c := range cols {
		if c == id {
			return true
		}
	}
	return false
}

// shape returns the synthetic row of t, building it on first use.
func (s *nullStore) shape(t *schema.Table) (*nullShape, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh, ok := s.shapes[t]; ok {
		return sh, nil
	}
	sh, err := buildNullShape(t)
	if err != nil {
		return nil, err
	}
	if len(s.shapes) > 1024 {
		clear(s.shapes) // old table definitions after schema changes
	}
	s.shapes[t] = sh
	return sh, nil
}

func buildNullShape(t *schema.Table) (*nullShape, error) {
	sh := &nullShape{}
	if len(t.Clustering) > 0 {
		vals := make([][]byte, len(t.Clustering))
		for i, c := range t.Clustering {
			vals[i] = syntheticValue(c.Type)
		}
		enc, err := t.EncodeClustering(vals)
		if err != nil {
			return nil, fmt.Errorf("null backend: cannot encode a synthetic clustering key for %s: %w", t.QualifiedName(), err)
		}
		sh.clustering = enc
	}
	pk := make([][]byte, len(t.PartitionKey))
	for i, c := range t.PartitionKey {
		pk[i] = syntheticValue(c.Type)
	}
	sh.key, _ = ring.RoutingKey(pk...)
	for _, c := range t.Columns {
		if c.IsPrimaryKey() || c.Type.IsMultiCell() || c.Type.IsCounter() {
			continue
		}
		cell := schema.Cell{Column: c.ID, LocalDeletionTime: schema.NoExpiry, Value: syntheticValue(c.Type)}
		if c.Kind == schema.Static {
			sh.static = append(sh.static, cell)
		} else {
			sh.cells = append(sh.cells, cell)
		}
	}
	return sh, nil
}

// syntheticValue returns a small valid serialized value of type t.
func syntheticValue(t *schema.Type) []byte {
	switch t.Kind {
	case schema.KindBoolean, schema.KindTinyint, schema.KindVarint:
		return []byte{0}
	case schema.KindSmallint:
		return make([]byte, 2)
	case schema.KindInt, schema.KindFloat:
		return make([]byte, 4)
	case schema.KindDate:
		return binary.BigEndian.AppendUint32(nil, 1<<31) // 1970-01-01
	case schema.KindBigint, schema.KindCounter, schema.KindDouble, schema.KindTimestamp, schema.KindTime:
		return make([]byte, 8)
	case schema.KindUUID, schema.KindTimeUUID:
		u := make([]byte, 16)
		u[6], u[8] = 0x10, 0x80 // version 1, RFC 4122 variant: valid for both
		return u
	case schema.KindInet:
		return []byte{127, 0, 0, 1}
	case schema.KindDecimal:
		return []byte{0, 0, 0, 0, 0} // scale 0, unscaled 0
	case schema.KindDuration:
		return []byte{0, 0, 0}
	case schema.KindASCII, schema.KindVarchar, schema.KindBlob:
		return []byte("x")
	case schema.KindList, schema.KindSet, schema.KindMap:
		return make([]byte, 4) // an empty collection
	case schema.KindTuple, schema.KindUDT:
		var out []byte
		for _, e := range t.Elems {
			v := syntheticValue(e)
			out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
			out = append(out, v...)
		}
		return out
	}
	return []byte{}
}

// PaxosPrepare promises every ballot and answers the synthetic read: the
// null backend keeps no Paxos state, so lightweight transactions against
// it measure the protocol's cost, not its guarantees.
func (s *nullStore) PaxosPrepare(ctx context.Context, _ storage.Ballot, cmd *schema.ReadCommand) (storage.PaxosPromise, error) {
	parts, err := s.Read(ctx, cmd)
	if err != nil {
		return storage.PaxosPromise{}, err
	}
	p := storage.PaxosPromise{Promised: true}
	if len(parts) > 0 {
		p.Read = parts[0]
	}
	return p, nil
}

// PaxosPropose accepts every proposal.
func (s *nullStore) PaxosPropose(ctx context.Context, ballot storage.Ballot, _ *schema.Partition) (bool, storage.Ballot, error) {
	return ctx.Err() == nil, ballot, ctx.Err()
}

// PaxosCommit drops the update.
func (s *nullStore) PaxosCommit(ctx context.Context, _ storage.Ballot, _ *schema.Partition) error {
	return ctx.Err()
}
