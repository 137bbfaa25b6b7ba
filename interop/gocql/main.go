// Command gocql-suites runs the integration test suites of two Go drivers,
// github.com/gocql/gocql v1.7.0 and github.com/apache/cassandra-gocql-driver/v2
// v2.1.2, against fresh Sibyl nodes: one node, then a three-node cluster.
//
// It downloads each module through the Go module proxy, builds its test
// binary with the build tags of its server tests ("cassandra" and
// "integration"), starts the nodes in a private network namespace (so they
// keep the standard ports on 127.0.0.1-3, as the suites expect, without
// meeting anything else on this machine), runs every test in its own
// process, and compares the failures with expected_failures.txt. It exits
// 1 when a test fails that the list does not name; tests the list names
// that now pass are reported so the list can shrink.
//
// See README.md for how to run one test by hand and how to update the list.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A suite is one driver module whose server tests we run.
type suite struct {
	Key     string // first column of expected_failures.txt and run_after.txt
	Path    string // module path
	Version string
	Tags    string // build tags of its server tests (see their //go:build lines)
}

var suites = []suite{
	{Key: "gocql", Path: "github.com/gocql/gocql", Version: "v1.7.0", Tags: "cassandra integration"},
	{Key: "v2", Path: "github.com/apache/cassandra-gocql-driver/v2", Version: "v2.1.2", Tags: "cassandra integration"},
}

type options struct {
	sibyl       string
	work        string
	keep        bool
	suites      string
	nodes       string
	run         string
	timeout     time.Duration
	expectFile  string
	afterFile   string
	notRunFile  string
	netns       bool
	parallel    int
	cassVersion string
	proto       int
	compressor  string
	tlsNodes    string
	verbose     bool
	report      string
	retries     int
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == innerFlag {
		os.Exit(innerMain(os.Args[2]))
	}
	var o options
	flag.StringVar(&o.sibyl, "sibyl", "../../bin/sibyl", "the sibyl binary to test")
	flag.StringVar(&o.work, "work", "", "work directory (default: a new temporary directory, removed at the end unless -keep)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (module copies, test binaries, every test's and node's log)")
	flag.StringVar(&o.suites, "suites", "gocql,v2", "comma-separated suites to run: gocql (v1.7.0), v2 (cassandra-gocql-driver v2.1.2)")
	flag.StringVar(&o.nodes, "nodes", "1,3", "comma-separated cluster sizes to run the suites against")
	flag.StringVar(&o.run, "run", "", "run only the tests whose name matches this regular expression")
	flag.DurationVar(&o.timeout, "timeout", 150*time.Second, "time limit of one test process")
	flag.StringVar(&o.expectFile, "expected", "expected_failures.txt", "the list of tests that may fail")
	flag.StringVar(&o.afterFile, "run-after", "run_after.txt", "the list of tests that need an earlier test of the same suite in the same process")
	flag.StringVar(&o.notRunFile, "not-run", "not_run.txt", "the list of tests the runner leaves out")
	flag.BoolVar(&o.netns, "netns", true, "run each cluster in a private network namespace (needs root, or unprivileged user namespaces); without it the nodes take 127.0.0.1-3 of this machine on the standard ports")
	flag.IntVar(&o.parallel, "parallel", 1, "how many passes (one suite on one fresh cluster) run at once, each in its own network namespace")
	flag.StringVar(&o.cassVersion, "cassandra-version", "", "Cassandra version the suites are told they talk to (default: node.ReleaseVersion, read from ../../node/clusterinfo.go)")
	flag.IntVar(&o.proto, "proto", 4, "native protocol version the suites use (-proto)")
	flag.StringVar(&o.compressor, "compressor", "", "compression the suites ask for (-compressor): snappy (both suites) or lz4 (v2 only); default none")
	flag.StringVar(&o.tlsNodes, "tls-nodes", "3", "comma-separated cluster sizes whose nodes require client TLS and whose suites run with -runssl, as upstream CI's three nodes do (empty: none)")
	flag.BoolVar(&o.verbose, "v", false, "print every test's result, not only failures")
	flag.StringVar(&o.report, "report", "", "also write every result as tab-separated lines to this file")
	flag.IntVar(&o.retries, "retries", 1, "run a test that fails and is not on the list this many more times; it passes if one run passes (reported as flaky)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "gocql-suites takes no arguments, only flags (-h lists them)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := outerMain(ctx, &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gocql-suites:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func outerMain(ctx context.Context, o *options) (int, error) {
	start := time.Now()
	sibyl, err := filepath.Abs(o.sibyl)
	if err != nil {
		return 1, err
	}
	if st, err := os.Stat(sibyl); err != nil || st.IsDir() {
		return 1, fmt.Errorf("no sibyl binary at %s (run `make build`, or pass -sibyl)", sibyl)
	}
	var chosen []suite
	for _, k := range splitList(o.suites) {
		found := false
		for _, s := range suites {
			if s.Key == k {
				chosen, found = append(chosen, s), true
			}
		}
		if !found {
			return 2, fmt.Errorf("unknown suite %q (known: gocql, v2)", k)
		}
	}
	var sizes []int
	for _, n := range splitList(o.nodes) {
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 || i > 3 {
			return 2, fmt.Errorf("-nodes: %q is not a cluster size of 1 to 3", n)
		}
		sizes = append(sizes, i)
	}
	var runRE *regexp.Regexp
	if o.run != "" {
		if runRE, err = regexp.Compile(o.run); err != nil {
			return 2, fmt.Errorf("-run: %w", err)
		}
	}
	expect, err := parseExpected(o.expectFile)
	if err != nil {
		return 2, err
	}
	after, err := parseRunAfter(o.afterFile)
	if err != nil {
		return 2, err
	}
	notRun, err := parseNotRun(o.notRunFile)
	if err != nil {
		return 2, err
	}
	if o.cassVersion == "" {
		o.cassVersion = releaseVersion()
	}

	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "sibyl-gocql-suites-"); err != nil {
			return 1, err
		}
		if !o.keep {
			defer func() { _ = os.RemoveAll(work) }()
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return 1, err
	}
	if work, err = filepath.Abs(work); err != nil {
		return 1, err
	}
	if o.keep {
		fmt.Printf("gocql-suites: work directory %s (kept)\n", work)
	}

	// Download and build outside the namespace: it has no network.
	var built []builtSuite
	for _, s := range chosen {
		t0 := time.Now()
		b, err := buildSuite(ctx, s, work)
		if err != nil {
			return 1, fmt.Errorf("%s %s: %w", s.Path, s.Version, err)
		}
		var keep []string
		for _, t := range b.Tests {
			if _, out := notRun[s.Key][t]; !out && (runRE == nil || runRE.MatchString(t)) {
				keep = append(keep, t)
			}
		}
		b.Tests = keep
		fmt.Printf("gocql-suites: built %s %s in %.0fs: %d server tests, %d left out by %s, %d selected\n",
			s.Path, s.Version, time.Since(t0).Seconds(), len(b.All), len(notRun[s.Key]), o.notRunFile, len(b.Tests))
		for _, w := range expect.unknownTests(s.Key, b.All) {
			fmt.Printf("gocql-suites: warning: %s names %s, which %s %s does not have\n", o.expectFile, w, s.Path, s.Version)
		}
		built = append(built, b)
	}

	// One pass per suite and cluster size, each in its own process (and
	// network namespace) on its own fresh cluster. Run at once, the longest
	// (three nodes) start first.
	type job struct {
		suite builtSuite
		nodes int
		auth  bool
	}
	var jobs []job
	par := o.parallel
	if par < 1 || !o.netns {
		par = 1 // without namespaces every cluster takes 127.0.0.1
	}
	if par > 1 {
		sort.SliceStable(sizes, func(i, j int) bool { return sizes[i] > sizes[j] })
	}
	for _, n := range sizes {
		for _, b := range built {
			jobs = append(jobs, job{suite: b, nodes: n})
		}
	}
	// Upstream CI's authentication pass: TestAuthentication alone, with
	// -runauth, against a node with the PasswordAuthenticator.
	for _, b := range built {
		if slices.Contains(b.Tests, authTest) {
			auth := b
			auth.Tests = []string{authTest}
			jobs = append(jobs, job{suite: auth, nodes: 1, auth: true})
		}
	}
	passes := make([]*passResult, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, j := range jobs {
		b := j.suite
		spec := passSpec{
			Sibyl:       sibyl,
			Nodes:       j.nodes,
			Dir:         filepath.Join(work, fmt.Sprintf("%s-nodes%d%s", b.Key, j.nodes, map[bool]string{true: "-auth"}[j.auth])),
			Timeout:     o.timeout,
			CassVersion: o.cassVersion,
			Proto:       o.proto,
			Compressor:  o.compressor,
			TLS:         slices.Contains(splitList(o.tlsNodes), strconv.Itoa(j.nodes)),
			Auth:        j.auth,
			Retries:     o.retries,
			Verbose:     o.verbose,
			Expect:      expect,
			NetNS:       o.netns,
			Suites:      []passSuite{{Key: b.Key, Binary: b.Binary, Src: b.Src, Tests: b.Tests, After: after[b.Key]}},
		}
		sem <- struct{}{} // passes start in order
		wg.Add(1)
		go func(i int, spec passSpec) {
			defer wg.Done()
			defer func() { <-sem }()
			passes[i], errs[i] = runPass(ctx, spec, o.netns)
		}(i, spec)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 1, err
	}

	code := report(os.Stdout, o, expect, built, passes)
	if o.report != "" {
		if err := writeTSV(o.report, passes); err != nil {
			return 1, err
		}
	}
	fmt.Printf("gocql-suites: finished in %s\n", time.Since(start).Round(time.Second))
	return code, nil
}

// runPass runs one cluster size's pass in a child process: in a new
// network namespace when netns is set.
func runPass(ctx context.Context, spec passSpec, netns bool) (*passResult, error) {
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return nil, err
	}
	specFile := filepath.Join(spec.Dir, "spec.json")
	resultFile := filepath.Join(spec.Dir, "result.json")
	spec.ResultFile = resultFile
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(specFile, b, 0o644); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := commandInNamespace(ctx, netns, self, innerFlag, specFile)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", spec.Suites[0].Key, nodesLabel(spec.Nodes), err)
	}
	var r passResult
	b, err = os.ReadFile(resultFile)
	if err != nil {
		return nil, fmt.Errorf("%s on %s left no result: %w", spec.Suites[0].Key, nodesLabel(spec.Nodes), err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// releaseVersion reads node.ReleaseVersion from the source next door, so
// the suites' -gocql.cversion follows what the server reports.
func releaseVersion() string {
	const fallback = "4.1.5"
	b, err := os.ReadFile("../../node/clusterinfo.go")
	if err != nil {
		return fallback
	}
	m := regexp.MustCompile(`const ReleaseVersion = "([0-9.]+)"`).FindSubmatch(b)
	if m == nil {
		return fallback
	}
	return string(m[1])
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// authTest is the suites' authentication test, which runs only with
// -runauth against nodes that authenticate.
const authTest = "TestAuthentication"
