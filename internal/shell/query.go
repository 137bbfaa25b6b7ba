package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gocql/gocql"
)

// page is one page of a result: column names and formatted values.
type page struct {
	names []string
	rows  [][]string
	more  bool // another page follows
	// warnings are the server's warnings about the request.
	warnings []string
}

// newQuery builds a query at the shell's consistency levels.
func (s *Shell) newQuery(ctx context.Context, stmt string, values ...any) *gocql.Query {
	return s.session.Query(stmt, values...).WithContext(ctx).
		Consistency(s.consistency).SerialConsistency(s.serial)
}

// fetchPage runs stmt for one page from state when paging, or for the
// whole result otherwise.
func (s *Shell) fetchPage(ctx context.Context, stmt string, state []byte, paging bool) (page, []byte, error) {
	q := s.traceQuery(s.newQuery(ctx, stmt))
	if paging {
		q = q.PageSize(s.pageSize).PageState(state)
	} else {
		q = q.PageSize(5000) // auto-paged by gocql, all rows collected
	}
	iter := q.Iter()
	p, err := readRows(iter)
	next := iter.PageState()
	p.warnings = iter.Warnings()
	if cerr := iter.Close(); cerr != nil {
		return page{}, nil, cerr
	}
	if err != nil {
		return page{}, nil, err
	}
	p.more = paging && len(next) > 0
	return p, next, nil
}

// readRows reads every row the iterator yields, formatted.
func readRows(iter *gocql.Iter) (page, error) {
	cols := iter.Columns()
	p := page{names: make([]string, len(cols))}
	for i, c := range cols {
		p.names[i] = c.Name
	}
	r := newRowDest(cols)
	for iter.Scan(r.dest...) {
		row := make([]string, len(cols))
		for i := range cols {
			row[i] = r.format(i, display)
		}
		p.rows = append(p.rows, row)
	}
	return p, nil
}

// query sends a CQL statement and prints its result as cqlsh does.
func (s *Shell) query(ctx context.Context, stmt string) {
	paging := s.paging && s.pause && isSelect(stmt)
	if s.traces != nil {
		s.traces.ids = nil // a failed statement's sessions are not printed
	}
	p, next, err := s.fetchPage(ctx, stmt, nil, paging)
	if err != nil {
		s.reportErr(ctx, err)
		return
	}
	if isSchemaChange(stmt) {
		s.meta.invalidate()
	}
	defer s.printTraces(ctx)
	defer s.printWarnings(p.warnings)
	if len(p.names) == 0 {
		return // a write or DDL: cqlsh prints nothing
	}
	s.printf("\n")
	total := s.printPage(p, 0, true)
	for p.more {
		if !s.waitMore() {
			break
		}
		if p, next, err = s.fetchPage(ctx, stmt, next, true); err != nil {
			s.reportErr(ctx, err)
			return
		}
		if len(p.rows) > 0 { // a last page may come back empty
			total = s.printPage(p, total, true)
		}
	}
	s.printf("(%d rows)\n\n", total)
}

// printWarnings prints the server's warnings as cqlsh does.
func (s *Shell) printWarnings(warnings []string) {
	if len(warnings) == 0 {
		return
	}
	s.printf("\nWarnings :\n")
	for _, w := range warnings {
		s.printf("%s\n\n", w)
	}
}

// printPage prints one page and returns the running row count.
func (s *Shell) printPage(p page, before int, header bool) int {
	if s.expand {
		writeVertical(s.cfg.Out, p.names, p.rows, before+1)
	} else if header || len(p.rows) > 0 {
		writeTable(s.cfg.Out, p.names, p.rows, header)
	}
	return before + len(p.rows)
}

// waitMore shows ---MORE--- and waits for a line; false stops the
// listing (end of input or Ctrl-C).
func (s *Shell) waitMore() bool {
	_, err := s.in.ReadLine("---MORE---")
	return err == nil || !(errors.Is(err, io.EOF) || errors.Is(err, ErrInterrupted))
}

func isSelect(stmt string) bool { return strings.EqualFold(firstWord(stmt), "select") }

// isSchemaChange reports DDL, after which the completion cache is stale.
func isSchemaChange(stmt string) bool {
	switch strings.ToLower(firstWord(stmt)) {
	case "create", "alter", "drop":
		return true
	}
	return false
}

// useCmd switches keyspace: USE ks.
func (s *Shell) useCmd(ctx context.Context, stmt string) {
	name, ok := identifier(strings.TrimSpace(stmt[len("use"):]))
	if !ok {
		s.printErr("SyntaxException: line 1:4 USE needs one keyspace name")
		return
	}
	if err := s.use(ctx, name); err != nil {
		s.reportErr(ctx, err)
	}
}

// errNoKeyspace is what use returns for a keyspace that does not exist;
// it prints as the server's InvalidRequest would.
type errNoKeyspace struct{ name string }

func (e errNoKeyspace) Error() string {
	return fmt.Sprintf("InvalidRequest: Error from server: code=2200 [Invalid query] message=\"Keyspace '%s' does not exist\"", e.name)
}

// use makes name (exact case) the session's keyspace. gocql refuses USE on
// a pooled session, so the shell checks the keyspace exists and
// reconnects with it.
func (s *Shell) use(ctx context.Context, name string) error {
	var found string
	err := s.session.Query("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", name).
		WithContext(ctx).Scan(&found)
	if errors.Is(err, gocql.ErrNotFound) {
		return errNoKeyspace{name}
	}
	if err != nil {
		return err
	}
	return s.connect(ctx, name)
}

// identifier reads a CQL name: folded to lower case unless double-quoted.
func identifier(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`), len(s) > 2
	}
	if s == "" || strings.ContainsAny(s, " \t\n\"'.;") {
		return "", false
	}
	return strings.ToLower(s), true
}

// describe sends DESCRIBE to the server and prints its rows as cqlsh's
// server-side describe does.
func (s *Shell) describe(ctx context.Context, stmt string) {
	p, _, err := s.fetchPage(ctx, stmt, nil, false)
	if err != nil {
		s.printDescribeError(ctx, err)
		return
	}
	col := func(row []string, name string) string {
		for i, n := range p.names {
			if n == name && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	switch {
	case contains(p.names, "create_statement"):
		s.printf("\n")
		for _, r := range p.rows {
			s.printf("%s\n\n", col(r, "create_statement"))
		}
	case contains(p.names, "partitioner"):
		s.describeCluster(p, col)
	case contains(p.names, "name"):
		s.describeList(p, col, describesKeyspaces(stmt))
	default:
		s.printf("\n")
		writeTable(s.cfg.Out, p.names, p.rows, true)
	}
}

// printDescribeError prints the message part of a DESCRIBE error, as
// cqlsh does.
func (s *Shell) printDescribeError(ctx context.Context, err error) {
	var re gocql.RequestError
	if errors.As(err, &re) {
		s.printErr(re.Message())
		return
	}
	s.reportErr(ctx, err)
}

func (s *Shell) describeCluster(p page, col func([]string, string) string) {
	for _, r := range p.rows {
		s.printf("\nCluster: %s\nPartitioner: %s\nSnitch: %s\n\n",
			col(r, "cluster"), col(r, "partitioner"), col(r, "snitch"))
	}
}

// describeList prints DESCRIBE KEYSPACES (all names together) or
// DESCRIBE TABLES / TYPES (names under a "Keyspace ks" title each).
func (s *Shell) describeList(p page, col func([]string, string) string, keyspaces bool) {
	if keyspaces {
		names := make([]string, len(p.rows))
		for i, r := range p.rows {
			names[i] = col(r, "name")
		}
		s.printf("\n%s\n", columnize(names, 80))
		return
	}
	var ks string
	var names []string
	flush := func() {
		if ks == "" && names == nil {
			return
		}
		title := "Keyspace " + ks
		s.printf("\n%s\n%s\n%s", title, strings.Repeat("-", len(title)), columnize(names, 80))
	}
	for _, r := range p.rows {
		if k := col(r, "keyspace_name"); k != ks || names == nil {
			flush()
			ks, names = k, []string{}
		}
		names = append(names, col(r, "name"))
	}
	flush()
	s.printf("\n")
}

func describesKeyspaces(stmt string) bool {
	f := strings.Fields(strings.ToLower(stmt))
	return len(f) >= 2 && f[1] == "keyspaces"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
