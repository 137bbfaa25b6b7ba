package shell

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocql/gocql"
)

// copyCmd runs COPY TO or COPY FROM and reports counts and errors.
func (s *Shell) copyCmd(ctx context.Context, stmt string) {
	spec, err := parseCopy(stmt)
	if err != nil {
		s.printErr("Improper COPY command: " + err.Error())
		return
	}
	if spec.from {
		s.copyFrom(ctx, spec)
		return
	}
	s.copyTo(ctx, spec)
}

// columnList is "a, b" or "*".
func (c copySpec) columnList() string {
	if len(c.columns) == 0 {
		return "*"
	}
	return strings.Join(c.columns, ", ")
}

// copyTo writes the rows of a table as CSV, values formatted as the shell
// prints them and nulls as the NULL option.
func (s *Shell) copyTo(ctx context.Context, spec copySpec) {
	start := time.Now()
	f, err := os.Create(spec.file)
	if err != nil {
		s.printErr(fmt.Sprintf("Could not create %q: %v", spec.file, err))
		return
	}
	n, err := s.exportRows(ctx, spec, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot close %s: %w", spec.file, cerr)
	}
	if err != nil {
		s.printErr(fmt.Sprintf("Error exporting %s after %d rows: %s", spec.table, n, describeError(err)))
		return
	}
	s.printf("%d rows exported to 1 files in %.3f seconds.\n", n, time.Since(start).Seconds())
}

// exportRows streams the table into w, reporting progress once the
// columns are known, and returns the rows written.
func (s *Shell) exportRows(ctx context.Context, spec copySpec, w io.Writer) (int, error) {
	iter := s.newQuery(ctx, "SELECT "+spec.columnList()+" FROM "+spec.table).PageSize(1000).Iter()
	cols := iter.Columns()
	if len(cols) == 0 {
		return 0, iter.Close() // the query failed: no columns, no progress
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	s.printf("Starting copy of %s with columns [%s].\n", spec.table, strings.Join(names, ", "))
	progress := startProgress(ctx, s.cfg.Out, s.progress, 0)
	defer progress.finish()
	cw := csv.NewWriter(w)
	cw.Comma = spec.delim
	if spec.header {
		_ = cw.Write(names)
	}
	r := newRowDest(cols)
	n := 0
	record := make([]string, len(cols))
	for iter.Scan(r.dest...) {
		for i := range cols {
			record[i] = spec.null
			if info, data := r.value(i); data != nil {
				record[i] = formatValue(info, data, exact)
			}
		}
		if err := cw.Write(record); err != nil {
			_ = iter.Close()
			return n, fmt.Errorf("cannot write %s: %w", spec.file, err)
		}
		n++
		progress.add(1)
	}
	if err := iter.Close(); err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// importValue binds one CSV field to a prepared INSERT: gocql hands it
// the column's type, and it serializes the text for that type.
type importValue struct {
	text string
	null bool
}

// MarshalCQL implements gocql.Marshaler.
func (v importValue) MarshalCQL(info gocql.TypeInfo) ([]byte, error) {
	if v.null {
		return nil, nil
	}
	b, err := parseValue(info, v.text, false)
	if err != nil {
		return nil, err
	}
	return nonNil(b), nil
}

// importRow is one CSV record with its line number.
type importRow struct {
	line   int
	fields []string
}

// maxReportedErrors bounds the per-row errors COPY FROM prints.
const maxReportedErrors = 20

// copyFrom inserts the records of a CSV file with a prepared INSERT and at
// most maxRequests requests in flight.
func (s *Shell) copyFrom(ctx context.Context, spec copySpec) {
	start := time.Now()
	f, err := os.Open(spec.file)
	if err != nil {
		s.printErr(fmt.Sprintf("Could not open %q: %v", spec.file, err))
		return
	}
	defer func() { _ = f.Close() }()
	cols, err := s.importColumns(ctx, spec)
	if err != nil {
		s.reportErr(ctx, err)
		return
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteName(c.Name)
	}
	s.printf("Starting copy of %s with columns [%s].\n", spec.table, strings.Join(names, ", "))
	progress := startProgress(ctx, s.cfg.Out, s.progress, inputSize(f))
	stats := s.importRows(ctx, spec, cols, countingReader{r: f, n: &progress.bytes}, progress)
	progress.finish()
	failed := stats.failed.Load()
	for _, e := range stats.errs {
		s.printErr(e)
	}
	if extra := failed - int64(len(stats.errs)); extra > 0 {
		s.printErr(fmt.Sprintf("... and %d more failed rows", extra))
	}
	s.printf("%d rows imported from 1 files in %.3f seconds (%d skipped).\n",
		stats.imported.Load(), time.Since(start).Seconds(), failed)
	if n := stats.inFlight.Load(); n > 0 {
		s.printf("%d more rows were in flight when interrupted, and may have been written.\n", n)
	}
	if failed > 0 {
		s.failed = true
	}
}

// importColumns returns the names and types of the columns named in the
// command, or of all the table's columns in SELECT * order.
func (s *Shell) importColumns(ctx context.Context, spec copySpec) ([]gocql.ColumnInfo, error) {
	iter := s.newQuery(ctx, "SELECT "+spec.columnList()+" FROM "+spec.table+" LIMIT 1").Iter()
	cols := iter.Columns()
	if err := iter.Close(); err != nil {
		return nil, err
	}
	return cols, nil
}

// importStats counts an import's outcome. The workers count on atomics
// and feed the progress counter; only a failed row's message takes the
// lock.
type importStats struct {
	imported atomic.Int64
	failed   atomic.Int64
	progress *copyProgress
	mu       sync.Mutex
	errs     []string // the first maxReportedErrors row errors; guarded by mu
	// inFlight counts rows whose INSERT an interrupt cut short: they may
	// or may not have been written.
	inFlight atomic.Int64
}

func (st *importStats) record(line int, err error) {
	st.progress.add(1)
	if err == nil {
		st.imported.Add(1)
		return
	}
	if st.failed.Add(1) > maxReportedErrors {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.errs) < maxReportedErrors {
		st.errs = append(st.errs, fmt.Sprintf("Failed to import row at line %d: %s", line, describeError(err)))
	}
}

// importRows reads records and runs the INSERTs on spec.maxRequests
// workers, which all stop when the input ends or ctx is done.
func (s *Shell) importRows(ctx context.Context, spec copySpec, cols []gocql.ColumnInfo, r io.Reader, progress *copyProgress) *importStats {
	stats := &importStats{progress: progress}
	rows := make(chan importRow)
	var wg sync.WaitGroup
	for range spec.maxRequests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range rows {
				if ctx.Err() != nil {
					continue // interrupted: drain without counting
				}
				err := s.insertRow(ctx, spec, cols, row)
				if err != nil && ctx.Err() != nil {
					stats.inFlight.Add(1) // interrupted in flight: the outcome is unknown
					continue
				}
				stats.record(row.line, err)
			}
		}()
	}
	s.readRecords(ctx, spec, r, rows, stats)
	close(rows)
	wg.Wait()
	return stats
}

// readRecords feeds rows until the file ends, a read fails, or ctx is done.
func (s *Shell) readRecords(ctx context.Context, spec copySpec, r io.Reader, rows chan<- importRow, stats *importStats) {
	cr := csv.NewReader(r)
	cr.Comma = spec.delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				stats.record(line, fmt.Errorf("cannot read %s: %w", spec.file, err))
				return
			}
			stats.record(line, err)
			continue
		}
		if first && spec.header {
			continue
		}
		select {
		case rows <- importRow{line: line, fields: rec}:
		case <-ctx.Done():
			return
		}
	}
}

// insertRow binds a record's fields and runs the INSERT. gocql v1.7
// cannot bind a tuple column of a prepared statement (it counts the
// tuple's elements as bind values, then indexes the columns by them), so
// a tuple is validated, re-rendered by the shell's own formatter and
// written into the statement as a literal; gocql prepares each distinct
// text once.
func (s *Shell) insertRow(ctx context.Context, spec copySpec, cols []gocql.ColumnInfo, row importRow) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("shell: the driver failed on this row: %v", r)
		}
	}()
	if len(row.fields) != len(cols) {
		return fmt.Errorf("shell: the row has %d fields, want %d", len(row.fields), len(cols))
	}
	names := make([]string, len(cols))
	markers := make([]string, len(cols))
	vals := make([]any, 0, len(cols))
	for i, f := range row.fields {
		names[i], markers[i] = quoteName(cols[i].Name), "?"
		v := importValue{text: f, null: f == spec.null}
		if cols[i].TypeInfo.Type() != gocql.TypeTuple {
			vals = append(vals, v)
			continue
		}
		lit, err := tupleLiteral(cols[i].TypeInfo, v)
		if err != nil {
			return fmt.Errorf("shell: column %s: %w", cols[i].Name, err)
		}
		markers[i] = lit
	}
	stmt := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", spec.table, strings.Join(names, ", "), strings.Join(markers, ", "))
	return s.newQuery(ctx, stmt, vals...).Exec()
}

// tupleLiteral turns a tuple field into the CQL literal of the same value.
func tupleLiteral(info gocql.TypeInfo, v importValue) (string, error) {
	if v.null {
		return "null", nil
	}
	b, err := parseValue(info, v.text, false)
	if err != nil {
		return "", err
	}
	return formatValue(info, b, style{nested: true, exact: true}), nil
}
