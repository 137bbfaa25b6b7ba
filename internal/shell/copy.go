package shell

import (
	"fmt"
	"strconv"
	"strings"
)

// copySpec is a parsed COPY command:
//
//	COPY ks.t [(col, ...)] TO|FROM 'file' [WITH opt = value [AND opt = value ...]]
type copySpec struct {
	table   string   // as typed, ks.t or t (CQL names, quoting kept)
	columns []string // as typed; empty means all
	from    bool     // FROM (import) rather than TO (export)
	file    string
	header  bool
	delim   rune
	null    string // the text of a null value
	// maxRequests bounds the INSERTs in flight during COPY FROM.
	maxRequests int
}

// defaultMaxRequests is the in-flight INSERT bound of COPY FROM: enough to
// hide a round trip on a loopback or LAN node, few enough not to trip the
// server's per-connection in-flight limit.
const defaultMaxRequests = 16

// copyTokens splits a COPY command into words, quoted strings (kept with
// their quotes) and the punctuation ( ) , = .
func copyTokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("(),=", c) >= 0:
			out = append(out, string(c))
			i++
		case c == '\'' || c == '"':
			end := closingQuote(s, i)
			if end < 0 {
				return nil, fmt.Errorf("unterminated string at position %d", i)
			}
			out = append(out, s[i:end+1])
			i = end + 1
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\n\r(),='", s[j]) < 0 {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}

// closingQuote finds the quote that ends the string opening at i, where a
// doubled quote stands for one.
func closingQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		if j+1 < len(s) && s[j+1] == q {
			j++
			continue
		}
		return j
	}
	return -1
}

// parseCopy reads a COPY command.
func parseCopy(stmt string) (copySpec, error) {
	toks, err := copyTokens(stmt)
	if err != nil {
		return copySpec{}, err
	}
	spec := copySpec{delim: ',', maxRequests: defaultMaxRequests}
	if len(toks) < 4 {
		return spec, fmt.Errorf("want COPY table [(columns)] TO|FROM 'file'")
	}
	spec.table, toks = toks[1], toks[2:]
	if toks[0] == "(" {
		if spec.columns, toks, err = copyColumns(toks[1:]); err != nil {
			return spec, err
		}
	}
	if len(toks) < 2 {
		return spec, fmt.Errorf("want TO or FROM and a file name")
	}
	switch strings.ToLower(toks[0]) {
	case "to":
	case "from":
		spec.from = true
	default:
		return spec, fmt.Errorf("want TO or FROM, found %q", toks[0])
	}
	name, ok := quotedArg(toks[1])
	if !ok || name == "" {
		return spec, fmt.Errorf("want a file name, found %q", toks[1])
	}
	spec.file = expandHome(name)
	return spec, spec.options(toks[2:])
}

// copyColumns reads "a, b, c )" and returns the names and what follows.
func copyColumns(toks []string) ([]string, []string, error) {
	var cols []string
	for len(toks) > 0 {
		if toks[0] == ")" && len(cols) > 0 {
			return cols, toks[1:], nil
		}
		if toks[0] == "," || toks[0] == "(" || toks[0] == ")" {
			return nil, nil, fmt.Errorf("unexpected %q in the column list", toks[0])
		}
		cols, toks = append(cols, toks[0]), toks[1:]
		if len(toks) > 0 && toks[0] == "," {
			toks = toks[1:]
		}
	}
	return nil, nil, fmt.Errorf("unterminated column list")
}

// options reads WITH name = value [AND name = value ...].
func (c *copySpec) options(toks []string) error {
	if len(toks) == 0 {
		return nil
	}
	if !strings.EqualFold(toks[0], "with") {
		return fmt.Errorf("unexpected %q after the file name", toks[0])
	}
	toks = toks[1:]
	for {
		if len(toks) < 3 || toks[1] != "=" {
			return fmt.Errorf("want option = value after WITH or AND")
		}
		if err := c.option(strings.ToLower(toks[0]), toks[2]); err != nil {
			return err
		}
		toks = toks[3:]
		if len(toks) == 0 {
			return nil
		}
		if !strings.EqualFold(toks[0], "and") {
			return fmt.Errorf("want AND between options, found %q", toks[0])
		}
		toks = toks[1:]
	}
}

func (c *copySpec) option(name, raw string) error {
	val, ok := unquote(raw)
	if !ok {
		val = raw
	}
	switch name {
	case "header":
		b, err := strconv.ParseBool(strings.ToLower(val))
		if err != nil {
			return fmt.Errorf("HEADER must be true or false, not %q", raw)
		}
		c.header = b
	case "delimiter":
		r := []rune(val)
		if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
			return fmt.Errorf("DELIMITER must be one character, not %q", raw)
		}
		c.delim = r[0]
	case "null":
		c.null = val
	case "maxrequests":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("MAXREQUESTS must be between 1 and 1024, not %q", raw)
		}
		c.maxRequests = n
	default:
		return fmt.Errorf("unknown COPY option %q (known: HEADER, DELIMITER, NULL, MAXREQUESTS)", name)
	}
	return nil
}
