package exec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sibyldb/sibyl/schema"
)

// Cassandra's defaults for batch_size_warn_threshold (5 KiB) and
// batch_size_fail_threshold (50 KiB).
const (
	DefaultBatchSizeWarnThreshold = 5 * 1024
	DefaultBatchSizeFailThreshold = 50 * 1024
)

// checkBatchSize applies Cassandra's BatchStatement.verifyBatchSize to the
// merged mutations of a batch: only a batch over several partitions is
// checked (CASSANDRA-10876); past the warn threshold it raises a client
// warning, past the fail threshold it is refused.
func (e *Executor) checkBatchSize(muts []*schema.Partition, tables map[schema.TableID]*tableInfo, logged bool, warn func(string)) error {
	if !logged {
		e.checkUnloggedBatch(muts, tables, warn)
	}
	warnAt, failAt := e.cfg.BatchSizeWarnThreshold, e.cfg.BatchSizeFailThreshold
	if warnAt < 0 && failAt < 0 {
		return nil
	}
	// A Cassandra mutation is one partition key of one keyspace.
	keys := map[string]bool{}
	names := map[string]bool{}
	size := 0
	for _, m := range muts {
		t := tables[m.Table]
		if t == nil {
			continue
		}
		keys[t.Keyspace+"\x00"+string(m.Key)] = true
		names[schema.QuoteIdent(t.Keyspace)+"."+schema.QuoteIdent(t.Name)] = true
		size += partitionDataSize(m)
	}
	if len(keys) <= 1 {
		return nil
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	slices.Sort(list)
	tableList := "[" + strings.Join(list, ", ") + "]"
	if failAt >= 0 && size > failAt {
		e.cfg.Logger.Error(fmt.Sprintf("Batch for %s is of size %d, exceeding specified threshold of %d by %d. (see batch_size_fail_threshold)",
			tableList, size, failAt, size-failAt))
		return invalidf("Batch too large")
	}
	if warnAt >= 0 && size > warnAt {
		msg := fmt.Sprintf("Batch for %s is of size %d, exceeding specified threshold of %d by %d.", tableList, size, warnAt, size-warnAt)
		e.cfg.Logger.Warn(msg)
		if warn != nil {
			warn(msg)
		}
	}
	return nil
}

// unloggedBatchWarnThreshold is Cassandra's
// unlogged_batch_across_partitions_warn_threshold.
const unloggedBatchWarnThreshold = 10

// checkUnloggedBatch is Cassandra's BatchStatement.verifyBatchType: an
// unlogged batch over more than ten partition keys gets a client warning.
func (e *Executor) checkUnloggedBatch(muts []*schema.Partition, tables map[schema.TableID]*tableInfo, warn func(string)) {
	keys := map[string]bool{}
	names := map[string]bool{}
	for _, m := range muts {
		keys[string(m.Key)] = true
		if t := tables[m.Table]; t != nil {
			names[schema.QuoteIdent(t.Keyspace)+"."+schema.QuoteIdent(t.Name)] = true
		}
	}
	if len(keys) <= unloggedBatchWarnThreshold {
		return
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	slices.Sort(list)
	plural := "s"
	if len(list) == 1 {
		plural = ""
	}
	msg := fmt.Sprintf("Unlogged batch covering %d partitions detected against table%s [%s]. You should use a logged batch for atomicity, or asynchronous writes for performance.",
		len(keys), plural, strings.Join(list, ", "))
	e.cfg.Logger.Warn(msg)
	if warn != nil {
		warn(msg)
	}
}

// partitionDataSize estimates Cassandra's PartitionUpdate.dataSize: the
// bytes of clustering values, timestamps, TTLs, deletion times, cell
// paths and values the mutation holds.
func partitionDataSize(p *schema.Partition) int {
	const (
		timestamp = 8
		expiring  = 8  // ttl and local expiration time
		deletion  = 12 // marked-at and local deletion time
		cell      = 16 // timestamp, ttl, local deletion time
	)
	n := timestamp // the partition deletion's marked-at
	for _, rt := range p.RangeTombstones {
		n += len(rt.Start.Prefix) + len(rt.End.Prefix) + deletion
	}
	rowSize := func(r *schema.Row) int {
		s := len(r.Clustering) + timestamp + deletion
		if r.Marker.TTL > 0 {
			s += expiring
		}
		s += len(r.ColumnDeletions) * deletion
		for i := range r.Cells {
			s += cell + len(r.Cells[i].Value) + len(r.Cells[i].Path)
		}
		return s
	}
	if p.Static != nil {
		n += rowSize(p.Static)
	} else {
		n += timestamp + deletion // Cassandra's empty static row
	}
	for i := range p.Rows {
		n += rowSize(&p.Rows[i])
	}
	return n
}
