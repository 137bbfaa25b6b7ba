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
func Compare(w io.Writer, reports []Report, markdown bool) error {
	if len(reports) == 0 {
		return fmt.Errorf("bench: nothing to compare")
	}
	header := []string{"run", "mode", "conc", "rate", "ops/s", "x ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "x p99", "errors"}
	rows := [][]string{header}
	base := reports[0]
	for _, r := range reports {
		rows = append(rows, compareRow(r, base))
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
