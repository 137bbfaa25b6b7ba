package bench

import (
	"context"
	"fmt"
)

// Secondary index workloads: the table gets two more columns, filled by
// every write from the row's number n (rowNumber): u = n, unique, and
// g = n mod IndexCardinality, shared by many rows. index-point reads a row
// by u, index-group a page of the rows of one g; both through secondary
// indexes, beside the primary-key read of the same rows (mode read).
// Writes with 0, 1 or 3 indexes on the table measure what an index costs
// a write.

const (
	createIndexedTableCQL = "CREATE TABLE IF NOT EXISTS %s.%s (pk bigint, ck bigint, v blob, u bigint, g bigint, PRIMARY KEY (pk, ck))"
	insertIndexedCQL      = "INSERT INTO %s.%s (pk, ck, v, u, g) VALUES (?, ?, ?, ?, ?)"
	createIndexCQL        = "CREATE INDEX IF NOT EXISTS %s_%s_idx ON %s.%s (%s)"
	selectByUCQL          = "SELECT pk, ck, v FROM %s.%s WHERE u = ?"
	selectByGCQL          = "SELECT pk, ck, v FROM %s.%s WHERE g = ? LIMIT %d"
)

// indexedColumns are the columns Config.Indexes indexes, in order.
var indexedColumns = []string{"u", "g", "v"}

// indexStatements are the CREATE INDEX statements of a run: the first
// Indexes of indexedColumns, and at least those its mode queries.
func indexStatements(cfg *Config) []string {
	n := cfg.Indexes
	switch cfg.Mode {
	case ModeIndexPoint:
		n = max(n, 1)
	case ModeIndexGroup:
		n = max(n, 2)
	}
	out := make([]string, 0, n)
	for _, col := range indexedColumns[:n] {
		out = append(out, fmt.Sprintf(createIndexCQL, cfg.Table, col, cfg.Keyspace, cfg.Table, col))
	}
	return out
}

// rowNumber is the number of row (pk, ck) in the key space; unique for a
// given RowsPerPartition, as u must be.
func rowNumber(cfg *Config, pk, ck int64) int64 { return pk*cfg.RowsPerPartition + ck }

// groupSize is the number of rows of the run's key space whose g is g.
func groupSize(cfg *Config, g int64) int64 {
	lo := cfg.PartitionOffset * cfg.RowsPerPartition
	hi := lo + cfg.Partitions*cfg.RowsPerPartition // exclusive
	return countCongruent(hi, g, cfg.IndexCardinality) - countCongruent(lo, g, cfg.IndexCardinality)
}

// countCongruent is the number of n in [0, hi) with n mod m == r (0 <= r < m).
func countCongruent(hi, r, m int64) int64 {
	if hi <= r {
		return 0
	}
	return (hi-r-1)/m + 1
}

// indexPoint reads row (o.PK, o.CK) by its unique number.
func (w *cqlWorker) indexPoint(ctx context.Context, o Op) (int, error) {
	n := rowNumber(w.t.cfg, o.PK, o.CK)
	q := w.t.session.Query(w.t.byU, n).WithContext(ctx).Consistency(w.t.cl).Idempotent(true)
	iter := q.Iter()
	var pk, ck int64
	rows := 0
	var checkErr error
	for iter.Scan(&pk, &ck, &w.got) {
		rows++
		if w.t.cfg.ValidateData && checkErr == nil {
			if pk != o.PK || ck != o.CK {
				checkErr = fmt.Errorf("u = %d answered row (%d, %d), want (%d, %d): %w", n, pk, ck, o.PK, o.CK, ErrCorrupt)
			} else {
				checkErr = w.check(pk, ck, w.got)
			}
		}
	}
	err := iter.Close()
	q.Release()
	switch {
	case err != nil:
		return 0, err
	case !w.t.cfg.ValidateData:
		return 0, nil
	case checkErr != nil:
		return 0, checkErr
	case rows != 1:
		return 0, fmt.Errorf("u = %d answered %d rows, want row (%d, %d): %w", n, rows, o.PK, o.CK, ErrMissing)
	}
	return 1, nil
}

// indexGroup reads one page (at most PageSize rows, by LIMIT) of the
// rows whose g is row (o.PK, o.CK)'s.
func (w *cqlWorker) indexGroup(ctx context.Context, o Op) (int, error) {
	cfg := w.t.cfg
	g := rowNumber(cfg, o.PK, o.CK) % cfg.IndexCardinality
	q := w.t.session.Query(w.t.byG, g).WithContext(ctx).Consistency(w.t.cl).PageSize(cfg.PageSize).Idempotent(true)
	iter := q.Iter()
	var pk, ck int64
	rows := 0
	var checkErr error
	for iter.Scan(&pk, &ck, &w.got) {
		rows++
		if cfg.ValidateData && checkErr == nil {
			if got := rowNumber(cfg, pk, ck) % cfg.IndexCardinality; got != g {
				checkErr = fmt.Errorf("g = %d answered row (%d, %d), whose g is %d: %w", g, pk, ck, got, ErrCorrupt)
			} else {
				checkErr = w.check(pk, ck, w.got)
			}
		}
	}
	err := iter.Close()
	q.Release()
	switch {
	case err != nil:
		return 0, err
	case !cfg.ValidateData:
		return 0, nil
	case checkErr != nil:
		return 0, checkErr
	}
	if want := min(groupSize(cfg, g), int64(cfg.PageSize)); int64(rows) != want {
		return 0, fmt.Errorf("g = %d answered %d rows, want %d: %w", g, rows, want, ErrMissing)
	}
	return rows, nil
}
