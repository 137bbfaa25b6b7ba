package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/sibyldb/sibyl/schema"
)

// RangeEstimate is an estimate of one table's data in one token range.
type RangeEstimate struct {
	Partitions int64 // partitions in the range
	MeanSize   int64 // mean partition size, bytes (encoded, uncompressed)
}

// errSampled stops EstimateRange's scan once it has its sample.
var errSampled = errors.New("storage: sample complete")

// EstimateRange estimates table t's partitions in rg, for
// system.size_estimates (the Spark connector splits its scans by it).
// Cassandra counts partitions from each sstable's statistics; Pebble
// keeps none per partition, so this reads up to sample partitions of the
// range: a range that holds fewer is counted exactly; a larger one is
// estimated as its on-disk bytes over the mean size of the sampled
// partitions (compression makes that an undercount, never below the
// sample). It costs at most sample partition reads and a walk of the
// range's sstable metadata.
func (e *Engine) EstimateRange(ctx context.Context, t schema.TableID, rg TokenRange, sample int) (RangeEstimate, error) {
	disk, err := e.rangeDiskUsage(t, rg)
	if err != nil {
		return RangeEstimate{}, err
	}
	var n, bytes int64
	var buf []byte
	err = e.ScanRange(ctx, t, rg.Start, rg.End, func(p *schema.Partition) error {
		buf = schema.AppendPartition(buf[:0], p)
		n++
		bytes += int64(len(buf))
		if n >= int64(sample) {
			return errSampled
		}
		return nil
	})
	complete := err == nil
	if err != nil && !errors.Is(err, errSampled) {
		return RangeEstimate{}, fmt.Errorf("cannot sample table %d in %v: %w", t, rg, err)
	}
	if n == 0 {
		return RangeEstimate{}, nil
	}
	est := RangeEstimate{Partitions: n, MeanSize: bytes / n}
	if !complete && est.MeanSize > 0 {
		est.Partitions = max(n, int64(disk)/est.MeanSize)
	}
	return est, nil
}

// rangeDiskUsage is the sstable bytes holding table t's tokens in rg.
func (e *Engine) rangeDiskUsage(t schema.TableID, rg TokenRange) (uint64, error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	var total uint64
	for _, sp := range tokenRangeSpans(t, rg) {
		n, err := e.db.EstimateDiskUsage(sp[0], sp[1])
		if err != nil {
			return 0, fmt.Errorf("cannot estimate the size of table %d in %v: %w", t, rg, err)
		}
		total += n
	}
	return total, nil
}
