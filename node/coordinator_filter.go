package node

import (
	"context"
	"fmt"
	"slices"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// Replica filtering protection (Cassandra 3.0.21+'s
// ReplicaFilteringProtection), for range reads through a secondary index.
//
// A replica answers an index read with the rows its own index entries
// point at: a filter applied on the replica. When replicas disagree, a
// replica whose newer copy of a row no longer matches (or that never got
// the row's matching value) says nothing about the row, and reconciling
// the answers alone would return another replica's stale, matching copy:
// an update that reached a quorum would be invisible to a QUORUM read.
// So, when a read asks several replicas, every live row that some
// replica returned and another did not is read again from each silent
// replica (one single-partition read per replica and partition, point
// slices on those rows, no index), merged in, and the executor's re-check
// of the restrictions then sees the reconciled row. A row every replica
// returned needs nothing; with one replica (ONE, RF=1) there is no
// protection to give and none is paid for.
//
// Reads without an index (ALLOW FILTERING) need none: replicas return
// every row of the range and only the executor filters, after
// reconciliation.
//
// Bounds: the rows re-read by one read command are counted; past
// filteringWarnRows the coordinator logs a warning and traces it, past
// filteringFailRows the read fails with Overloaded, as Cassandra's
// replica_filtering_protection cached_rows_warn_threshold and
// cached_rows_fail_threshold do (same defaults). A query that trips the
// limit should page with a smaller page size or run at a lower level.
// Unlike Cassandra, the re-read rows are not read-repaired.
//
// Not covered: a partition some replica returned with no live clustering
// row (only a static row) is re-read from the silent replicas with the
// command's own clustering selection; rows found only there are not
// confirmed with the other replicas. Nor is Cassandra's short read
// protection, for index reads as for every range read: each replica
// stops at the command's limit, so past the first replica's last row the
// merged answer may lack rows only that replica holds. The executor
// consumes rows past that point only when the filter rejects most of a
// chunk (it asks for at least 100 candidates a page), so the gap shows
// only when one replica holds many stale candidates and another holds
// matching rows the first never received.
const (
	filteringWarnRows = 2000
	filteringFailRows = 32000
)

// filterProtection counts the rows one read command re-read from silent
// replicas.
type filterProtection struct {
	warn, fail int
	reread     int
	warned     bool
}

func (c *Coordinator) newFilterProtection() *filterProtection {
	fp := &filterProtection{warn: c.cfg.FilteringWarnRows, fail: c.cfg.FilteringFailRows}
	if fp.warn <= 0 {
		fp.warn = filteringWarnRows
	}
	if fp.fail <= 0 {
		fp.fail = filteringFailRows
	}
	return fp
}

// add counts n more re-read rows and fails past the limit.
func (fp *filterProtection) add(ctx context.Context, c *Coordinator, cmd *schema.ReadCommand, n int) error {
	fp.reread += n
	if fp.reread > fp.fail {
		return &exec.Error{Code: exec.CodeOverloaded, Message: fmt.Sprintf(
			"Replica filtering protection has re-read over %d rows during an index query on table %d (limit %d): replicas disagree on too many rows; page with a smaller page size, read at a lower consistency level, or repair the table",
			fp.reread-n, cmd.Table, fp.fail)}
	}
	if fp.reread > fp.warn && !fp.warned {
		fp.warned = true
		exec.Tracef(ctx, "Replica filtering protection has re-read over %d rows", fp.warn)
		if c.cfg.Logger != nil {
			c.cfg.Logger.Warn("replica filtering protection re-read many rows for one index query; replicas disagree, consider repair",
				"table", cmd.Table, "rows", fp.reread, "warn_threshold", fp.warn, "fail_threshold", fp.fail)
		}
	}
	return nil
}

// protectFiltering completes merged (the reconciliation of answers, one
// list per replica of p.chosen, in order) with the silent replicas'
// copies of the rows they did not return.
func (c *Coordinator) protectFiltering(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand, p rangePlan,
	answers [][]*schema.Partition, merged []*schema.Partition, fp *filterProtection) ([]*schema.Partition, error) {
	seen := make([]map[string]map[string]bool, len(answers))
	for i, parts := range answers {
		seen[i] = make(map[string]map[string]bool, len(parts))
		for _, part := range parts {
			rows := make(map[string]bool, len(part.Rows))
			for _, r := range part.Rows {
				rows[string(r.Clustering)] = true
			}
			seen[i][string(part.Key)] = rows
		}
	}
	reread := 0
	for mi, part := range merged {
		_, live := schema.LiveRows(part, cmd.NowSeconds)
		for i, r := range p.chosen {
			rows, returned := seen[i][string(part.Key)]
			sub := silentRead(cmd, part, live, rows, returned)
			if sub == nil {
				continue
			}
			n := max(len(sub.Slices), 1)
			if err := fp.add(ctx, c, cmd, n); err != nil {
				return nil, err
			}
			got, err := c.readFrom(ctx, r.id, sub)
			if err != nil {
				return nil, readError(ctx, cl, 0, blockFor(p.needs), fmt.Errorf("replica filtering protection: %w", err))
			}
			for _, g := range got {
				merged[mi] = schema.MergeInOrder(merged[mi], g, cmd.Reversed)
			}
			reread += n
		}
	}
	if reread > 0 {
		exec.Tracef(ctx, "Replica filtering protection: re-read %d rows from replicas that did not return them", reread)
	}
	return merged, nil
}

// silentRead is the single-partition read of part's live rows a replica
// did not return (rows: the clusterings it returned; returned: whether it
// returned the partition at all), or nil when it was silent on none.
func silentRead(cmd *schema.ReadCommand, part *schema.Partition, live []schema.Row, rows map[string]bool, returned bool) *schema.ReadCommand {
	sub := &schema.ReadCommand{Table: cmd.Table, Key: part.Key, Token: part.Token,
		Columns: cmd.Columns, Static: cmd.Static, NowSeconds: cmd.NowSeconds}
	for _, r := range live {
		if !rows[string(r.Clustering)] {
			sub.Slices = append(sub.Slices, schema.Slice{
				Start: schema.Bound{Prefix: r.Clustering, Inclusive: true},
				End:   schema.Bound{Prefix: r.Clustering, Inclusive: true}})
		}
	}
	switch {
	case len(sub.Slices) > 0:
		// Slices are ascending whatever the read order.
		if cmd.Reversed {
			slices.Reverse(sub.Slices)
		}
	case !returned && len(live) == 0 && part.Static != nil && cmd.Static:
		// A static-only answer: the silent replica's static row decides.
		sub.Slices, sub.PerPartitionLimit = cmd.Slices, cmd.PerPartitionLimit
		if sub.PerPartitionLimit == 0 {
			sub.PerPartitionLimit = cmd.Limit
		}
	default:
		return nil
	}
	return sub
}
