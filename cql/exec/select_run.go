package exec

import (
	"bytes"
	"encoding/binary"
)

// selectRun collects the rows of one page of a SELECT: it tests each
// candidate row, applies PER PARTITION LIMIT, LIMIT, grouping and
// aggregation, and remembers the position of the last row it consumed,
// which becomes the paging state when the page fills up.
type selectRun struct {
	st     *selectStmt
	env    *bindEnv
	filter *rowFilter

	pageSize  int // 0: no paging
	remaining int // rows LIMIT still allows; 0: no limit
	ppLimit   int // 0: none

	rows [][][]byte
	done bool // LIMIT reached or page full: stop reading
	full bool // the page filled up (more rows may follow)
	last position

	// Current partition.
	partRows int
	partDone bool

	// Aggregation.
	accs     []accumulator
	groupKey [][]byte
	grouped  bool // accs hold at least one row
	prev     position
}

// position is where a candidate row is: enough to resume after it.
type position struct {
	key       []byte
	keyIndex  int
	ck        []byte // nil: the partition's static-only row
	partRows  int
	partDone  bool
	hasRecord bool
}

func (run *selectRun) startPartition(partRows int) {
	run.partRows = partRows
	run.partDone = false
}

// accept considers one candidate row. It sets run.done when no more rows
// are wanted.
func (run *selectRun) accept(r *rowCtx, keyIndex int) error {
	if run.partDone || run.done {
		return nil
	}
	pos := position{key: r.key, keyIndex: keyIndex, ck: r.ckEnc, hasRecord: true}
	if !run.filter.match(r) {
		run.consumed(pos)
		return nil
	}
	if run.st.aggregate {
		if run.st.groupBy == 0 && run.ppLimit > 0 {
			// Without GROUP BY, PER PARTITION LIMIT bounds the rows
			// aggregated from each partition.
			run.partRows++
			run.partDone = run.partRows >= run.ppLimit
		}
		return run.aggregateRow(r, pos)
	}
	vals, err := run.project(r)
	if err != nil {
		return err
	}
	run.partRows++
	if run.ppLimit > 0 && run.partRows >= run.ppLimit {
		run.partDone = true
	}
	run.consumed(pos)
	run.emit(vals)
	return nil
}

func (run *selectRun) consumed(pos position) {
	// A static-only row, and the single row of a table without clustering
	// columns, end their partition.
	pos.partRows = run.partRows
	pos.partDone = run.partDone || len(pos.ck) == 0 || len(run.st.table.Clustering) == 0
	run.last = pos
}

func (run *selectRun) emit(vals [][]byte) {
	run.rows = append(run.rows, vals)
	if run.remaining > 0 {
		run.remaining--
		if run.remaining == 0 {
			run.done = true
			return
		}
	}
	if run.pageSize > 0 && len(run.rows) >= run.pageSize {
		run.done, run.full = true, true
	}
}

func (run *selectRun) project(r *rowCtx) ([][]byte, error) {
	vals := make([][]byte, len(run.st.sels))
	for i, s := range run.st.sels {
		v, err := s.value(r)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// aggregateRow folds r into the current group, first closing the group
// when r starts a new one.
func (run *selectRun) aggregateRow(r *rowCtx, pos position) error {
	if run.st.groupBy > 0 {
		key := groupKeyOf(r, run.st.groupBy)
		if !run.grouped || !sameGroup(key, run.groupKey) {
			// PER PARTITION LIMIT counts groups when grouping.
			if run.ppLimit > 0 && run.partRows >= run.ppLimit {
				run.partDone = true
				return nil
			}
			if err := run.flushGroup(); err != nil {
				return err
			}
			if run.done {
				return nil // r is re-read on the next page
			}
			run.partRows++
		}
		run.groupKey = key
	}
	if !run.grouped {
		run.accs = newAccumulators(run.st.sels)
		run.grouped = true
	}
	for _, a := range run.accs {
		if err := a.add(r); err != nil {
			return err
		}
	}
	run.consumed(pos)
	run.prev = run.last
	return nil
}

// flushGroup emits the current group's row.
func (run *selectRun) flushGroup() error {
	if !run.grouped {
		return nil
	}
	vals := make([][]byte, len(run.accs))
	for i, a := range run.accs {
		v, err := a.result()
		if err != nil {
			return err
		}
		vals[i] = v
	}
	run.grouped = false
	run.last = run.prev
	run.emit(vals)
	return nil
}

// finish closes aggregation at the end of the data: a non-grouped
// aggregate always returns one row, even over no rows.
func (run *selectRun) finish() error {
	if !run.st.aggregate {
		return nil
	}
	if run.st.groupBy == 0 && !run.grouped && len(run.rows) == 0 {
		run.accs = newAccumulators(run.st.sels)
		run.grouped = true
	}
	if !run.done {
		return run.flushGroup()
	}
	return nil
}

func newAccumulators(sels []selector) []accumulator {
	out := make([]accumulator, len(sels))
	for i, s := range sels {
		if a, ok := s.(aggregate); ok {
			out[i] = a.newAcc()
		} else {
			out[i] = &firstAcc{s: s}
		}
	}
	return out
}

// firstAcc keeps a plain selector's value from the group's first row.
type firstAcc struct {
	s   selector
	v   []byte
	set bool
}

func (a *firstAcc) add(r *rowCtx) error {
	if a.set {
		return nil
	}
	v, err := a.s.value(r)
	a.v, a.set = v, true
	return err
}

func (a *firstAcc) result() ([]byte, error) { return a.v, nil }

func groupKeyOf(r *rowCtx, n int) [][]byte {
	key := make([][]byte, 0, n)
	key = append(key, r.pk...)
	for i := 0; len(key) < n && i < len(r.ck); i++ {
		key = append(key, r.ck[i])
	}
	return key
}

func sameGroup(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// pagingState is the state to return with the page, nil when the result
// is complete.
func (run *selectRun) pagingState() []byte {
	if !run.full || !run.last.hasRecord {
		return nil
	}
	s := pagingState{
		Key:           run.last.key,
		Clustering:    run.last.ck,
		KeyIndex:      run.last.keyIndex,
		Remaining:     run.remaining,
		PartitionRows: run.last.partRows,
		PartitionDone: run.last.partDone,
	}
	return s.encode()
}

// evalLimit evaluates LIMIT or PER PARTITION LIMIT (0: none).
func evalLimit(t term, env *bindEnv, what string) (int, error) {
	if t == nil {
		return 0, nil
	}
	v, unset, err := t.eval(env)
	if err != nil {
		return 0, err
	}
	if unset {
		return 0, nil
	}
	if len(v) != 4 {
		return 0, invalidf("Invalid null value of %s", what)
	}
	n := int32(binary.BigEndian.Uint32(v))
	if n <= 0 {
		return 0, invalidf("%s must be strictly positive", what)
	}
	return int(n), nil
}
