package shell

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// width is the number of terminal cells a value takes, counting runes.
func width(s string) int { return utf8.RuneCountInString(s) }

func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

// writeTable prints rows as cqlsh's print_formatted_result: names
// left-justified, values right-justified, columns joined by " | ",
// header and rule when withHeader, and a blank line after the rows.
func writeTable(w io.Writer, names []string, rows [][]string, withHeader bool) {
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = width(n)
	}
	for _, r := range rows {
		for i, v := range r {
			widths[i] = max(widths[i], width(v))
		}
	}
	var b strings.Builder
	if withHeader {
		cells := make([]string, len(names))
		rules := make([]string, len(names))
		for i, n := range names {
			cells[i] = n + pad(widths[i]-width(n))
			rules[i] = strings.Repeat("-", widths[i])
		}
		b.WriteString(strings.TrimRight(" "+strings.Join(cells, " | "), " ") + "\n")
		b.WriteString("-" + strings.Join(rules, "-+-") + "-\n")
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = pad(widths[i]-width(v)) + v
		}
		b.WriteString(" " + strings.Join(cells, " | ") + "\n")
	}
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String())
}

// writeVertical prints rows as cqlsh's EXPAND ON does: one block per row,
// "@ Row n", a rule, then "name | value" lines. first numbers the first row.
func writeVertical(w io.Writer, names []string, rows [][]string, first int) {
	nameWidth, valueWidth := 0, 0
	for _, n := range names {
		nameWidth = max(nameWidth, width(n))
	}
	for _, r := range rows {
		for _, v := range r {
			valueWidth = max(valueWidth, width(v))
		}
	}
	var b strings.Builder
	for i, r := range rows {
		b.WriteString("@ Row " + itoa(first+i) + "\n")
		b.WriteString("-" + strings.Repeat("-", nameWidth) + "-+-" + strings.Repeat("-", valueWidth) + "-\n")
		for j, v := range r {
			b.WriteString(" " + names[j] + pad(nameWidth-width(names[j])) + " | " + v + "\n")
		}
		b.WriteString("\n")
	}
	_, _ = io.WriteString(w, b.String())
}

// columnize lays words out in columns within lineWidth cells, as Python's
// cmd.Cmd.columnize (used by cqlsh's DESCRIBE listings): the fewest rows
// whose columns, two spaces apart, fit; one word per line if none do.
func columnize(words []string, lineWidth int) string {
	if len(words) == 0 {
		return "<empty>\n"
	}
	for rows := 1; rows < len(words); rows++ {
		if lines, ok := layout(words, rows, lineWidth); ok {
			return lines
		}
	}
	return strings.Join(words, "\n") + "\n"
}

func layout(words []string, rows, lineWidth int) (string, bool) {
	cols := (len(words) + rows - 1) / rows
	widths := make([]int, cols)
	total := -2
	for c := range cols {
		for r := range rows {
			if i := c*rows + r; i < len(words) {
				widths[c] = max(widths[c], width(words[i]))
			}
		}
		total += widths[c] + 2
	}
	if total > lineWidth {
		return "", false
	}
	var b strings.Builder
	for r := range rows {
		var cells []string
		for c := range cols {
			if i := c*rows + r; i < len(words) {
				cells = append(cells, words[i]+pad(widths[c]-width(words[i])))
			}
		}
		b.WriteString(strings.TrimRight(strings.Join(cells, "  "), " ") + "\n")
	}
	return b.String(), true
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
