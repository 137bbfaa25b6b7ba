package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// An expectation is one line of expected_failures.txt:
//
//	SUITE  TEST[/SUBTEST...][@NODES]  # reason
//
// SUITE is gocql or v2. Without @NODES the line holds for every cluster
// size. A subtest line allows that subtest to fail: its test fails as
// listed when every failing subtest is listed and nothing else fails.
type expectation struct {
	Suite  string
	Test   string
	Nodes  int // 0: any cluster size
	Reason string
	Line   int
}

type expected struct {
	File    string
	Entries []expectation
}

func parseExpected(path string) (*expected, error) {
	e := &expected{File: path}
	err := parseLines(path, func(n int, fields []string, comment string) error {
		if len(fields) != 2 {
			return fmt.Errorf("want `SUITE TEST[@NODES]  # reason`")
		}
		if comment == "" {
			return fmt.Errorf("%s has no reason (`# why it fails`)", fields[1])
		}
		x := expectation{Suite: fields[0], Test: fields[1], Reason: comment, Line: n}
		if i := strings.LastIndexByte(x.Test, '@'); i >= 0 {
			nodes, err := strconv.Atoi(x.Test[i+1:])
			if err != nil || nodes < 1 {
				return fmt.Errorf("%q: @ must be followed by a cluster size", x.Test)
			}
			x.Test, x.Nodes = x.Test[:i], nodes
		}
		if !knownSuite(x.Suite) {
			return fmt.Errorf("unknown suite %q (gocql or v2)", x.Suite)
		}
		for _, y := range e.Entries {
			if y.Suite == x.Suite && y.Test == x.Test && (y.Nodes == 0 || x.Nodes == 0 || y.Nodes == x.Nodes) {
				return fmt.Errorf("%s %s is already listed on line %d", x.Suite, x.Test, y.Line)
			}
		}
		e.Entries = append(e.Entries, x)
		return nil
	})
	return e, err
}

// parseRunAfter reads run_after.txt: `SUITE TEST PREREQUISITE...  # why`,
// for tests that only pass after an earlier test of their suite ran in
// the same process (upstream runs a whole suite in one process, in order).
func parseRunAfter(path string) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	err := parseLines(path, func(_ int, fields []string, comment string) error {
		if len(fields) < 3 {
			return fmt.Errorf("want `SUITE TEST PREREQUISITE...  # why`")
		}
		if comment == "" {
			return fmt.Errorf("%s has no reason (`# why`)", fields[1])
		}
		if !knownSuite(fields[0]) {
			return fmt.Errorf("unknown suite %q (gocql or v2)", fields[0])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string][]string{}
		}
		out[fields[0]][fields[1]] = append(out[fields[0]][fields[1]], fields[2:]...)
		return nil
	})
	return out, err
}

// parseNotRun reads not_run.txt: `SUITE TEST  # why`, for tests that do
// not test the server at -cluster and that the runner leaves out.
func parseNotRun(path string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	err := parseLines(path, func(_ int, fields []string, comment string) error {
		if len(fields) != 2 {
			return fmt.Errorf("want `SUITE TEST  # why`")
		}
		if comment == "" {
			return fmt.Errorf("%s has no reason (`# why`)", fields[1])
		}
		if !knownSuite(fields[0]) {
			return fmt.Errorf("unknown suite %q (gocql or v2)", fields[0])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string]string{}
		}
		out[fields[0]][fields[1]] = comment
		return nil
	})
	return out, err
}

func parseLines(path string, f func(n int, fields []string, comment string) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = file.Close() }()
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line, comment, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if err := f(n, fields, strings.TrimSpace(comment)); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

func knownSuite(k string) bool {
	for _, s := range suites {
		if s.Key == k {
			return true
		}
	}
	return false
}

// lookup returns the entry for a test or subtest name on a cluster size.
func (e *expected) lookup(suite, name string, nodes int) *expectation {
	if e == nil {
		return nil
	}
	for i, x := range e.Entries {
		if x.Suite == suite && x.Test == name && (x.Nodes == 0 || x.Nodes == nodes) {
			return &e.Entries[i]
		}
	}
	return nil
}

// allows reports whether a failure is on the list: the test is, or each of
// its failing subtests is.
func (e *expected) allows(r testResult) bool {
	if r.Status != "fail" {
		return false
	}
	if e.lookup(r.Suite, r.Test, r.Nodes) != nil {
		return true
	}
	if len(r.FailedSubtests) == 0 {
		return false
	}
	for _, s := range r.FailedSubtests {
		if e.lookup(r.Suite, s, r.Nodes) == nil {
			return false
		}
	}
	return true
}

// racyReason starts the reason of an entry for a test that races with
// itself (its outcome depends on timing, not on Sibyl): it may pass or
// fail, so passing does not make the entry stale.
const racyReason = "test race:"

// stale returns the entries that apply to r but no longer fail in it.
func (e *expected) stale(r testResult) []expectation {
	var out []expectation
	for _, x := range e.Entries {
		if x.Suite != r.Suite || (x.Nodes != 0 && x.Nodes != r.Nodes) || strings.HasPrefix(x.Reason, racyReason) {
			continue
		}
		switch {
		case x.Test == r.Test && r.Status != "fail":
			out = append(out, x)
		case strings.HasPrefix(x.Test, r.Test+"/") && (r.Status == "pass" || slices.Contains(r.PassedSubtests, x.Test)):
			out = append(out, x)
		}
	}
	return out
}

// unknownTests returns the entries of suite that name no test of it.
func (e *expected) unknownTests(suite string, tests []string) []string {
	var out []string
	for _, x := range e.Entries {
		top, _, _ := strings.Cut(x.Test, "/")
		if x.Suite == suite && !slices.Contains(tests, top) {
			out = append(out, x.Test)
		}
	}
	return out
}

// report prints the summary of every pass and returns the exit code: 1 when
// a test failed that the list does not name.
func report(w io.Writer, o *options, e *expected, built []builtSuite, passes []*passResult) int {
	code := 0
	var pass, fail, listed, skip, flaky int
	var unexpected []testResult
	var stale []string
	fmt.Fprintln(w)
	fmt.Fprintln(w, "== gocql-suites summary")
	for _, b := range built {
		fmt.Fprintf(w, "%-5s is %s %s\n", b.Key, b.Path, b.Version)
	}
	passes = slices.Clone(passes)
	slices.SortStableFunc(passes, func(a, b *passResult) int { return a.Nodes - b.Nodes })
	for _, b := range built {
		for _, p := range passes {
			if _, ok := p.SuiteSeconds[b.Key]; !ok {
				continue
			}
			var n, np, nf, nl, ns int
			for _, r := range p.Results {
				if r.Suite != b.Key {
					continue
				}
				n++
				switch {
				case r.Status == "pass":
					np++
					if len(r.FlakyDetail) > 0 {
						flaky++
					}
				case r.Status == "skip":
					ns++
				case e.allows(r):
					nl++
				default:
					nf++
					unexpected = append(unexpected, r)
				}
				for _, x := range e.stale(r) {
					stale = append(stale, fmt.Sprintf("%s:%d: %s %s passes on %s now (listed: %s)", e.File, x.Line, x.Suite, x.Test, nodesLabel(r.Nodes), x.Reason))
				}
			}
			fmt.Fprintf(w, "%-5s on %-20s %3d tests: %3d passed, %2d skipped, %2d failed as listed, %d failed unexpectedly (%.0fs)\n",
				b.Key, nodesLabel(p.Nodes)+tlsLabel(p.TLS)+authLabel(p.Auth), n, np, ns, nl, nf, p.SuiteSeconds[b.Key])
			pass, skip, listed, fail = pass+np, skip+ns, listed+nl, fail+nf
		}
	}
	for _, p := range passes {
		if p.Restarts > 0 {
			fmt.Fprintf(w, "a %s cluster was restarted %d times after a node exited\n", nodesLabel(p.Nodes), p.Restarts)
		}
	}
	if len(stale) > 0 {
		fmt.Fprintf(w, "\nListed in %s but passing now: remove these lines.\n", e.File)
		for _, s := range stale {
			fmt.Fprintln(w, "  "+s)
		}
	}
	if flaky > 0 {
		fmt.Fprintf(w, "\n%d tests failed, then passed when run again (see `passed on attempt` above).\n", flaky)
	}
	if len(unexpected) > 0 {
		code = 1
		fmt.Fprintf(w, "\nFAILED: %d tests failed that %s does not name:\n", len(unexpected), e.File)
		for _, r := range unexpected {
			fmt.Fprintf(w, "  %s %s on %s (log %s)\n", r.Suite, r.Test, nodesLabel(r.Nodes), r.Log)
			for _, d := range r.Detail {
				fmt.Fprintf(w, "      %s\n", d)
			}
			for _, s := range r.FailedSubtests {
				if e.lookup(r.Suite, s, r.Nodes) == nil {
					fmt.Fprintf(w, "      failing subtest not listed: %s\n", s)
				}
			}
		}
		if !o.keep {
			fmt.Fprintln(w, "  (run with -keep to keep the logs; README.md says how to run one test by hand)")
		}
	}
	fmt.Fprintf(w, "\n%d tests fail as %s expects; the gate counts only the others.\n", listed, e.File)
	fmt.Fprintf(w, "gocql-suites: %d passed, %d failed, %d skipped\n", pass, fail, skip)
	return code
}

func writeTSV(path string, passes []*passResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "suite\tnodes\ttest\tstatus\tseconds\tattempts\tfailed_subtests\tdetail")
	for _, p := range passes {
		for _, r := range p.Results {
			fmt.Fprintf(f, "%s\t%d\t%s\t%s\t%.1f\t%d\t%s\t%s\n", r.Suite, r.Nodes, r.Test, r.Status, r.Seconds, r.Attempts,
				strings.Join(r.FailedSubtests, ","), strings.ReplaceAll(strings.Join(r.Detail, " | "), "\t", " "))
		}
	}
	return f.Close()
}
