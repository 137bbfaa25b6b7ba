package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Compare writes a table of runs, one row each, with the throughput and p99
// ratios of every run against the first. With markdown set the table is a
// GitHub-flavoured Markdown table (as BENCHMARKS.md uses), otherwise aligned
// text.
//
// When any report measured them, the table also has the server CPU per
// operation ("srv µs/op"), its ratio against the first row ("x srv"), the
// 1-minute load average at the start of the run ("load") and the share of
// the machine's CPU time that was busy during it ("busy"); a run without
// the figure shows "n/a".
func Compare(w io.Writer, reports []Report, markdown bool) error {
	if len(reports) == 0 {
		return fmt.Errorf("bench: nothing to compare")
	}
	header := []string{"run", "mode", "conc", "rate", "ops/s", "x ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "x p99", "errors"}
	cols := usageColumnsOf(reports)
	header = append(header, cols.header()...)
	rows := [][]string{header}
	base := reports[0]
	for _, r := range reports {
		rows = append(rows, append(compareRow(r, base), cols.cells(r, base)...))
	}
	if markdown {
		return writeMarkdown(w, rows)
	}
	return writeAligned(w, rows)
}

func compareRow(r, base Report) []string {
	rate := "max"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%.0f", r.Rate)
	}
	return []string{
		r.Name, string(r.Mode), fmt.Sprint(r.Concurrency), rate,
		fmt.Sprintf("%.0f", r.OpsPerSec), ratio(r.OpsPerSec, base.OpsPerSec),
		ms(r.P50Ms), ms(r.P90Ms), ms(r.P99Ms), ms(r.P999Ms), ms(r.MaxMs),
		ratio(r.P99Ms, base.P99Ms), errorsCell(r),
	}
}

// usageColumns says which usage columns a comparison has: those some
// report can fill.
type usageColumns struct {
	cpu, load, busy bool
}

func usageColumnsOf(reports []Report) usageColumns {
	var c usageColumns
	for _, r := range reports {
		c.cpu = c.cpu || r.ServerCPUUsPerOp != nil
		c.load = c.load || r.LoadAvg1mStart != nil
		c.busy = c.busy || r.MachineBusy != nil
	}
	return c
}

func (c usageColumns) header() []string {
	var h []string
	if c.cpu {
		h = append(h, "srv µs/op", "x srv")
	}
	if c.load {
		h = append(h, "load")
	}
	if c.busy {
		h = append(h, "busy")
	}
	return h
}

func (c usageColumns) cells(r, base Report) []string {
	var out []string
	if c.cpu {
		x := "n/a"
		if r.ServerCPUUsPerOp != nil && base.ServerCPUUsPerOp != nil {
			x = ratio(*r.ServerCPUUsPerOp, *base.ServerCPUUsPerOp)
		}
		out = append(out, optional(r.ServerCPUUsPerOp, "%.1f"), x)
	}
	if c.load {
		out = append(out, optional(r.LoadAvg1mStart, "%.2f"))
	}
	if c.busy {
		out = append(out, percent(r.MachineBusy))
	}
	return out
}

// optional formats *v, or "n/a" when the report lacks it.
func optional(v *float64, format string) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

func percent(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", *v*100)
}

// errorsCell is the error count, with the open-loop backlog left unsent.
func errorsCell(r Report) string {
	if r.Unsent > 0 {
		return fmt.Sprintf("%d (%d unsent)", r.Errors, r.Unsent)
	}
	return fmt.Sprint(r.Errors)
}

// ms formats a latency with three significant decimals below 10 ms, where
// in-memory and loopback latencies live, and one above.
func ms(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// ratio formats a/b, or "-" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func writeMarkdown(w io.Writer, rows [][]string) error {
	var b strings.Builder
	for i, row := range rows {
		b.WriteString("| " + strings.Join(escapeCells(row), " | ") + " |\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat(" --- |", len(row)) + "\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("cannot write comparison: %w", err)
	}
	return nil
}

func escapeCells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}

func writeAligned(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range rows {
		if _, err := io.WriteString(tw, strings.Join(row, "\t")+"\t\n"); err != nil {
			return fmt.Errorf("cannot write comparison: %w", err)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("cannot write comparison: %w", err)
	}
	return nil
}
