package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Internode verbs. The numbering travels on the wire: never reuse a number.
// Others: 7-8 (streaming.go), 9 (repair.go), 20-21 (tracing_replica.go),
// 23 (counter.go), 24-26 (paxos_remote.go). metrics_dropped.go names every verb: a number used twice
// does not compile.
const (
	// verbApply: payload a partition list; applies it to the receiver's
	// storage (mutations, read repair and hint replay alike).
	verbApply uint8 = 1
	// verbRead: payload a schema.ReadCommand; answers a partition list.
	verbRead uint8 = 2
	// verbTruncate: payload a uvarint table id.
	verbTruncate uint8 = 3
	// verbTokens: no payload; answers the receiver's tokens.
	verbTokens uint8 = 4
	// verbSchemaPull: no payload; answers the receiver's marshalled catalog.
	verbSchemaPull uint8 = 5
	// verbSchemaPush: payload a marshalled catalog; the receiver adopts it
	// if it wins the merge rule and answers its resulting schema version.
	verbSchemaPush uint8 = 6
)

// errBadPayload is wrapped by every internode payload decoding error.
var errBadPayload = errors.New("node: malformed internode payload")

// remoteReplica is another node's storage, reached over messaging. The
// caller's ctx carries the deadline, which messaging sends along.
type remoteReplica struct {
	msg  *messaging.Messenger
	addr string // host:port of the peer's messaging listener
}

var _ replica = (*remoteReplica)(nil)

func (r *remoteReplica) Apply(ctx context.Context, muts ...*schema.Partition) error {
	return r.applyEncoded(ctx, appendPartitionList(nil, muts))
}

// applyEncoded is Apply of mutations appendPartitionList already encoded:
// the coordinator encodes a write once for all its remote replicas.
// payload must not change until it returns.
func (r *remoteReplica) applyEncoded(ctx context.Context, payload []byte) error {
	if _, err := r.tracedRequest(ctx, verbApply, verbTracedApply, "MUTATION", payload); err != nil {
		return fmt.Errorf("cannot apply on %s: %w", r.addr, err)
	}
	return nil
}

func (r *remoteReplica) Read(ctx context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	resp, err := r.tracedRequest(ctx, verbRead, verbTracedRead, "READ", schema.AppendReadCommand(nil, cmd))
	if err != nil {
		return nil, fmt.Errorf("cannot read from %s: %w", r.addr, err)
	}
	parts, err := decodePartitionList(resp)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the answer of %s: %w", r.addr, err)
	}
	return parts, nil
}

func (r *remoteReplica) Truncate(ctx context.Context, table schema.TableID) error {
	if _, err := r.msg.Request(ctx, r.addr, verbTruncate, binary.AppendUvarint(nil, uint64(table))); err != nil {
		return fmt.Errorf("cannot truncate on %s: %w", r.addr, err)
	}
	return nil
}

// startApply sends mutations appendPartitionList encoded without waiting:
// the outcome, wrapped as Apply wraps it, goes to done as replica id's
// hostResult, at most once (never when startApply fails; maybe not once
// the call is forgotten), so done must have room for it. ctx must not be
// traced: a traced write's events need Apply.
func (r *remoteReplica) startApply(ctx context.Context, payload []byte, id ring.HostID, done chan<- hostResult) (messaging.Call, error) {
	call, err := r.msg.Start(ctx, r.addr, verbApply, payload, func(_ []byte, err error) {
		if err != nil {
			err = fmt.Errorf("cannot apply on %s: %w", r.addr, err)
		}
		done <- hostResult{id: id, err: err}
	})
	if err != nil {
		return messaging.Call{}, fmt.Errorf("cannot apply on %s: %w", r.addr, err)
	}
	return call, nil
}

// appendPartitionList encodes partitions as a uvarint count followed by
// each partition's schema codec encoding, length-prefixed.
//
// Each partition is encoded into a pooled scratch buffer first (its length
// prefix comes before it), so dst grows once per partition to its exact
// size instead of through a series of doublings; the scratch never
// escapes, which is what makes pooling it safe.
func appendPartitionList(dst []byte, parts []*schema.Partition) []byte {
	scratch := encodeScratch.Get().(*[]byte)
	buf := (*scratch)[:0]
	dst = binary.AppendUvarint(dst, uint64(len(parts)))
	for _, p := range parts {
		buf = schema.AppendPartition(buf[:0], p)
		dst = slices.Grow(dst, binary.MaxVarintLen64+len(buf))
		dst = binary.AppendUvarint(dst, uint64(len(buf)))
		dst = append(dst, buf...)
	}
	if cap(buf) <= maxPooledScratch {
		*scratch = buf[:0]
		encodeScratch.Put(scratch)
	}
	return dst
}

// encodeScratch holds appendPartitionList's scratch buffers; one larger
// than maxPooledScratch (a rare huge batch) is left to the collector.
var encodeScratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledScratch = 1 << 20

// decodePartitionList decodes what appendPartitionList wrote.
func decodePartitionList(b []byte) ([]*schema.Partition, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("%w: bad partition count", errBadPayload)
	}
	b = b[k:]
	parts := make([]*schema.Partition, 0, n)
	for i := uint64(0); i < n; i++ {
		chunk, rest, err := takeChunk(b)
		if err != nil {
			return nil, fmt.Errorf("%w: partition %d: %w", errBadPayload, i, err)
		}
		p, err := schema.DecodePartition(chunk)
		if err != nil {
			return nil, fmt.Errorf("%w: partition %d: %w", errBadPayload, i, err)
		}
		parts = append(parts, p)
		b = rest
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadPayload, len(b))
	}
	return parts, nil
}

// registerVerbs installs the handlers of every verb this node answers.
func (c *cluster) registerVerbs() {
	c.msg.Handle(verbApply, c.handleApply)
	c.msg.Handle(verbRead, c.handleRead)
	c.msg.Handle(verbTruncate, c.handleTruncate)
	c.msg.Handle(verbTokens, c.handleTokens)
	c.msg.Handle(verbSchemaPull, c.handleSchemaPull)
	c.msg.Handle(verbSchemaPush, c.handleSchemaPush)
	c.msg.Handle(verbTracedApply, c.traced("MUTATION", "MutationStage", c.handleApply))
	c.msg.Handle(verbTracedRead, c.traced("READ", "ReadStage", c.handleRead))
	c.msg.Handle(verbCounterMutation, c.handleCounterMutation)
	c.registerStreamVerbs()
	c.registerPaxosVerbs()
}

func (c *cluster) handleApply(ctx context.Context, from string, payload []byte) ([]byte, error) {
	muts, err := decodePartitionList(payload)
	if err != nil {
		return nil, err
	}
	if err := c.n.storageReplica().Apply(ctx, muts...); err != nil {
		return nil, fmt.Errorf("cannot apply %d mutations: %w", len(muts), err)
	}
	c.n.noteApplyFrom(from, len(muts), len(payload)) // admin_ops_progress.go: a leaving node's stream
	return nil, nil
}

func (c *cluster) handleRead(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	cmd, err := schema.DecodeReadCommand(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	parts, err := c.n.storageReplica().Read(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	return appendPartitionList(nil, parts), nil
}

func (c *cluster) handleTruncate(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	id, k := binary.Uvarint(payload)
	if k <= 0 || k != len(payload) || id > uint64(^uint32(0)) {
		return nil, fmt.Errorf("%w: bad table id", errBadPayload)
	}
	if err := c.n.local.Truncate(ctx, schema.TableID(id)); err != nil {
		return nil, fmt.Errorf("cannot truncate table %d: %w", id, err)
	}
	return nil, nil
}

func (c *cluster) handleTokens(context.Context, string, []byte) ([]byte, error) {
	return encodeTokens(c.n.id.tokens), nil
}
