package storage

// CompactionStats is the state of Pebble's compactions, as nodetool
// compactionstats shows Cassandra's.
type CompactionStats struct {
	Pending         uint64 `json:"pending_bytes"` // estimated bytes left to compact for a stable tree
	Running         int64  `json:"running"`
	RunningBytes    int64  `json:"running_bytes"` // bytes written so far by the running compactions
	Completed       int64  `json:"completed"`
	Failed          int64  `json:"failed"`
	Flushes         int64  `json:"flushes"`
	L0Files         int64  `json:"l0_files"`
	ReadAmp         int    `json:"read_amplification"`
	CompactionNanos int64  `json:"compaction_nanos"`               // cumulative time spent compacting
	ThroughputLimit int64  `json:"throughput_limit_bytes_per_sec"` // in force now; 0: unlimited
	// Paced is true when no operator limit is set and the pacer decides
	// (pacer.go): ThroughputLimit is then its limit, or 0 while
	// compactions are behind.
	Paced bool `json:"paced"`
}

// CompactionStats returns the state of the store's compactions.
func (e *Engine) CompactionStats() CompactionStats {
	if err := e.enter(); err != nil {
		return CompactionStats{}
	}
	defer e.exit()
	m := e.db.Metrics()
	limit, paced := e.CompactionThroughput()
	return CompactionStats{
		Pending: m.Compact.EstimatedDebt, Running: m.Compact.NumInProgress, RunningBytes: m.Compact.InProgressBytes,
		Completed: m.Compact.Count, Failed: m.Compact.FailedCount, Flushes: m.Flush.Count,
		L0Files: m.Levels[0].TablesCount, ReadAmp: m.ReadAmp(), CompactionNanos: int64(m.Compact.Duration),
		ThroughputLimit: limit, Paced: paced,
	}
}
