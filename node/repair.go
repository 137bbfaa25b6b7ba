package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/sibyldb/sibyl/repair"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Anti-entropy repair, as `nodetool repair`: for every range this node
// replicates (or owns as primary, with primaryOnly), every replica builds
// a Merkle tree of the range, the trees are compared, and the differing
// leaves are streamed both ways. The repair package runs the sessions;
// this file gives it trees (built locally, or by a peer over
// verbRepairTree) and streams (the range streams of streaming.go).

// verbRepairTree: payload table id (uvarint), range start and end (8
// bytes each, big endian; may wrap) and depth (one byte); answers the
// replica's Merkle tree of that range in repair's binary form.
const verbRepairTree uint8 = 9

// repairDepth is the Merkle tree depth: 1024 leaves per range, so a
// difference streams about a thousandth of the range.
const repairDepth = 10

// RepairResult summarizes a repair.
type RepairResult struct {
	Sessions   int `json:"sessions"`
	Mismatched int `json:"mismatched_ranges"` // leaf ranges that differed and were streamed
}

// Repair repairs every table of keyspace ("" = every replicated keyspace)
// whose ranges this node replicates, among their replicas.
func (n *Node) Repair(ctx context.Context, keyspace string, primaryOnly bool) (RepairResult, error) {
	c := n.cluster
	var res RepairResult
	if n.engine == nil {
		return res, fmt.Errorf("cannot repair: this node keeps no data (backend %s)", n.cfg.Backend)
	}
	snap := n.ring.Load()
	cat := n.schema.Catalog()
	if keyspace != "" && cat.Keyspace(keyspace) == nil {
		return res, fmt.Errorf("cannot repair: keyspace %s does not exist", keyspace)
	}
	var plan []repair.SessionConfig
	for table, st := range c.replicatedTables() {
		if t := cat.TableByID(table); t == nil || (keyspace != "" && t.Keyspace != keyspace) {
			continue
		}
		plan = append(plan, repair.Plan(snap, st, n.id.hostID, table, repairDepth, primaryOnly)...)
	}
	detail := keyspace
	if detail == "" {
		detail = "all keyspaces"
	}
	op := n.ops.start("repair", detail, "ranges", int64(len(plan)))
	ctx = withOp(ctx, op)
	for _, cfg := range plan {
		if err := c.repairSession(ctx, cfg, &res); err != nil {
			op.finish(err)
			return res, err
		}
		op.add(1, 0)
	}
	op.finish(nil)
	return res, nil
}

func (c *cluster) repairSession(ctx context.Context, cfg repair.SessionConfig, res *RepairResult) error {
	for _, id := range cfg.Replicas {
		if _, up := c.replicaFor(id); !up {
			return fmt.Errorf("cannot repair range %v of table %d: replica %s is down", cfg.Range, cfg.Table, id)
		}
	}
	s, err := repair.NewSession(cfg)
	if err != nil {
		return fmt.Errorf("cannot start a repair session: %w", err)
	}
	if err := repair.Run(ctx, s, repairTrees{c}, repairStreamer{c}, 2, nil); err != nil {
		return fmt.Errorf("repair of range %v of table %d failed: %w", cfg.Range, cfg.Table, err)
	}
	res.Sessions++
	res.Mismatched += len(s.Mismatched())
	return nil
}

// engineReader is repair's RangeReader over this node's storage.
type engineReader struct{ c *cluster }

func (r engineReader) ScanRange(ctx context.Context, table schema.TableID, rg ring.Range, fn func(*schema.Partition) error) error {
	return r.c.n.engine.ScanRange(ctx, table, int64(rg.Start), int64(rg.End), fn)
}

// repairTrees is repair's TreeSource: local trees are built here, remote
// ones by their node.
type repairTrees struct{ c *cluster }

func (t repairTrees) Tree(ctx context.Context, host ring.HostID, table schema.TableID, r ring.Range, depth int) (*repair.Tree, error) {
	if host == t.c.n.id.hostID {
		return repair.Build(ctx, engineReader(t), table, r, depth)
	}
	p := t.c.view.Load().peers[host]
	if p == nil || !p.up {
		return nil, fmt.Errorf("replica %s is down", host)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err := t.c.msg.Request(ctx, p.meta.msgAddr(), verbRepairTree, appendTreeRequest(nil, table, r, depth))
	if err != nil {
		return nil, fmt.Errorf("cannot get the tree of %s: %w", host, err)
	}
	tree, err := repair.DecodeTree(resp)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the tree of %s: %w", host, err)
	}
	return tree, nil
}

// repairStreamer is repair's Streamer: it moves from's data in ranges to
// to, through this node when neither end is this node.
type repairStreamer struct{ c *cluster }

func (s repairStreamer) Stream(ctx context.Context, from, to ring.HostID, table schema.TableID, ranges []ring.Range) error {
	dst, up := s.c.replicaFor(to)
	if !up {
		return fmt.Errorf("replica %s is down", to)
	}
	for _, rg := range ranges {
		for _, r := range streamRanges(rg) {
			if err := s.c.fetchFrom(ctx, []ring.HostID{from}, table, r, dst); err != nil {
				return err
			}
		}
	}
	return nil
}

func appendTreeRequest(dst []byte, table schema.TableID, r ring.Range, depth int) []byte {
	dst = binary.AppendUvarint(dst, uint64(table))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Start))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.End))
	return append(dst, byte(depth))
}

func decodeTreeRequest(b []byte) (schema.TableID, ring.Range, int, error) {
	id, k := binary.Uvarint(b)
	if k <= 0 || id > math.MaxUint32 || len(b)-k != 17 {
		return 0, ring.Range{}, 0, fmt.Errorf("%w: bad tree request", errBadPayload)
	}
	r := ring.Range{Start: ring.Token(binary.BigEndian.Uint64(b[k:])), End: ring.Token(binary.BigEndian.Uint64(b[k+8:]))}
	depth := int(b[k+16])
	if depth > repair.MaxDepth {
		return 0, ring.Range{}, 0, fmt.Errorf("%w: tree depth %d", errBadPayload, depth)
	}
	return schema.TableID(id), r, depth, nil
}

func (c *cluster) handleRepairTree(ctx context.Context, from string, payload []byte) ([]byte, error) {
	table, r, depth, err := decodeTreeRequest(payload)
	if err != nil {
		return nil, err
	}
	if c.n.engine == nil {
		return nil, fmt.Errorf("this node keeps no data")
	}
	tree, err := repair.Build(ctx, engineReader{c}, table, r, depth)
	if err != nil {
		return nil, err
	}
	c.n.ops.peerActivity("repair-tree", c.n.peerLabel(from), "trees", 1, 0)
	out, err := tree.AppendBinary(nil)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the tree: %w", err)
	}
	return out, nil
}
