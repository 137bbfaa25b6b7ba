package storage

import (
	"context"
	"fmt"

	"github.com/sibyldb/sibyl/schema"
)

// Counter cells in storage (FORMAT.md, "Counters"). A replica stores only
// counter contexts (schema.CounterShards), flagged on the cell value; the
// merger reconciles two of them with schema.ReconcileCells, the rule the
// coordinator uses, which merges their shards. A delta (an increment not
// yet applied by its leader) is refused: storing one would count it again
// at every merge.

// validateCounterCell refuses a counter cell the engine must not store.
func validateCounterCell(c *schema.Cell) error {
	switch c.Counter {
	case schema.NotCounter:
		return nil
	case schema.CounterDelta:
		return fmt.Errorf("%w: counter delta on column %d (a leader must apply it first)", ErrInvalidMutation, c.Column)
	case schema.CounterShards:
		if c.Tombstone {
			return nil
		}
		if c.TTL != 0 {
			return fmt.Errorf("%w: counter cell with a ttl on column %d", ErrInvalidMutation, c.Column)
		}
		if _, err := schema.DecodeCounterContext(c.Value); err != nil || len(c.Value) == 0 {
			return fmt.Errorf("%w: bad counter context on column %d", ErrInvalidMutation, c.Column)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown counter kind %d on column %d", ErrInvalidMutation, c.Counter, c.Column)
}

// LeadCounterWrite is a counter leader's local step (schema.ApplyCounterDeltas
// explains the shards), shared by the node's leader and the executor's
// test harness so that both turn deltas into shards the same way: under
// a per-partition lock it reads this replica's current counter cells of
// mut, replaces every delta with this leader's next shard, and applies
// the result. It returns what was applied, the mutation the leader then
// replicates (shards, never deltas). A mutation without deltas (a DELETE
// on a counter table) is applied as it is.
//
// The lock makes two increments of one cell on this leader read and
// write in turn; without it both could read clock n and write n+1, and
// one increment would be lost to the other in every merge.
func (e *Engine) LeadCounterWrite(ctx context.Context, mut *schema.Partition, self schema.CounterID, nowSeconds int64) (*schema.Partition, error) {
	if !schema.HasCounterDeltas(mut) {
		return mut, e.Apply(ctx, mut)
	}
	l := &e.counterLocks[e.latchIndex(mut.Table, mut.Key)]
	l.Lock()
	defer l.Unlock()
	cur, err := e.Read(ctx, schema.CounterReadCommand(mut, nowSeconds))
	if err != nil {
		return nil, fmt.Errorf("counter leader's read: %w", err)
	}
	var current *schema.Partition
	if len(cur) > 0 {
		current = cur[0]
	}
	shards, err := schema.ApplyCounterDeltas(mut, current, self, nowSeconds)
	if err != nil {
		return nil, err
	}
	if err := e.Apply(ctx, shards); err != nil {
		return nil, err
	}
	return shards, nil
}
