package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// innerFlag re-executes this program as one pass: one cluster size, every
// selected suite, inside the network namespace its parent made.
const innerFlag = "-inner-pass"

// driverTimeout is the suites' -gocql.timeout: upstream CI uses 60s; a
// failing test should not wait that long on every query.
const driverTimeout = "20s"

type passSpec struct {
	Sibyl       string
	Nodes       int
	Dir         string
	Timeout     time.Duration
	CassVersion string
	Proto       int
	Compressor  string
	TLS         bool // nodes require client TLS; the suites run with -runssl
	// Auth: nodes run the PasswordAuthenticator and the suites run with
	// -runauth (upstream CI's TestAuthentication pass).
	Auth       bool
	Retries    int
	Verbose    bool
	Expect     *expected
	Suites     []passSuite
	ResultFile string
	NetNS      bool
}

type passSuite struct {
	Key    string
	Binary string
	Src    string
	Tests  []string
	After  map[string][]string // test -> tests that must run before it, in the same process
}

type testResult struct {
	Suite          string
	Test           string
	Nodes          int
	Status         string   // pass, fail or skip
	PassedSubtests []string // subtests that passed
	FailedSubtests []string // failing subtests that have no failing subtest of their own
	Detail         []string // first lines of the failure
	Seconds        float64
	Attempts       int
	FlakyDetail    []string // the failure of an earlier attempt, when a later one passed
	Log            string
}

type passResult struct {
	Nodes        int
	TLS          bool
	Auth         bool
	Results      []testResult
	SuiteSeconds map[string]float64
	Restarts     int
}

func innerMain(specFile string) int {
	b, err := os.ReadFile(specFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gocql-suites:", err)
		return 1
	}
	var spec passSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		fmt.Fprintln(os.Stderr, "gocql-suites:", err)
		return 1
	}
	if err := runInner(&spec); err != nil {
		fmt.Fprintf(os.Stderr, "gocql-suites: the %d-node pass: %v\n", spec.Nodes, err)
		return 1
	}
	return 0
}

func runInner(spec *passSpec) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if spec.NetNS {
		// A new network namespace starts with lo down.
		if err := loopbackUp(); err != nil {
			return fmt.Errorf("cannot set lo up in the new network namespace: %w", err)
		}
	}
	res := passResult{Nodes: spec.Nodes, TLS: spec.TLS, Auth: spec.Auth, SuiteSeconds: map[string]float64{}}
	gen := 0
	for _, s := range spec.Suites {
		t0 := time.Now()
		fmt.Printf("== %s on %s%s%s: %d tests\n", s.Key, nodesLabel(spec.Nodes), tlsLabel(spec.TLS), authLabel(spec.Auth), len(s.Tests))
		newCluster := func() (*cluster, error) {
			gen++
			var extra []string
			if spec.TLS {
				extra = tlsFlags(s.Src)
			}
			if spec.Auth {
				extra = append(extra, "--authenticator", "PasswordAuthenticator")
			}
			return startCluster(ctx, spec.Sibyl, filepath.Join(spec.Dir, fmt.Sprintf("cluster%d-%s", gen, s.Key)), spec.Nodes, extra)
		}
		cl, err := newCluster()
		if err != nil {
			if cl != nil {
				cl.stop()
			}
			return err
		}
		for _, t := range s.Tests {
			if ctx.Err() != nil {
				cl.stop()
				return ctx.Err()
			}
			r := runTest(ctx, spec, s, t, 1)
			for r.Status == "fail" && r.Attempts <= spec.Retries && !spec.Expect.allows(r) && len(cl.dead()) == 0 {
				again := runTest(ctx, spec, s, t, r.Attempts+1)
				if again.Status != "fail" {
					again.FlakyDetail = r.Detail
				}
				r = again
			}
			if dead := cl.dead(); len(dead) > 0 {
				r.Status = "fail"
				for _, p := range dead {
					r.Detail = append(r.Detail, fmt.Sprintf("node %s exited during the test (log %s): %s", p.addr, p.log, lastLine(p.log)))
					fmt.Printf("---- node %s exited during %s %s; the end of its log:\n%s\n", p.addr, s.Key, t, tail(p.log, 40))
				}
				cl.stop()
				res.Restarts++
				if cl, err = newCluster(); err != nil {
					cl.stop()
					return fmt.Errorf("restarting the cluster after %s: %w", t, err)
				}
			}
			printResult(spec, r)
			res.Results = append(res.Results, r)
		}
		cl.stop()
		res.SuiteSeconds[s.Key] = time.Since(t0).Seconds()
		fmt.Printf("== %s on %s: done in %.0fs\n", s.Key, nodesLabel(spec.Nodes), res.SuiteSeconds[s.Key])
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(spec.ResultFile, b, 0o644)
}

func tlsLabel(tls bool) string {
	if tls {
		return " (client TLS)"
	}
	return ""
}

func authLabel(auth bool) string {
	if auth {
		return " (authentication)"
	}
	return ""
}

func nodesLabel(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

func printResult(spec *passSpec, r testResult) {
	label := fmt.Sprintf("[%s %dn]", r.Suite, r.Nodes)
	switch {
	case r.Status == "fail" && spec.Expect.allows(r):
		fmt.Printf("%s %s: fails, as listed\n", label, r.Test)
	case r.Status == "fail":
		fmt.Printf("%s %s: FAIL (%.1fs, %d attempts; log %s)\n", label, r.Test, r.Seconds, r.Attempts, r.Log)
		for _, d := range r.Detail {
			fmt.Printf("    %s\n", d)
		}
		// The work directory is gone after the run unless -keep: show
		// the end of the log (CI has nothing else).
		fmt.Printf("    ---- last lines of %s\n", filepath.Base(r.Log))
		for _, l := range strings.Split(tail(r.Log, 30), "\n") {
			fmt.Printf("    | %s\n", l)
		}
	case len(r.FlakyDetail) > 0:
		fmt.Printf("%s %s: passed on attempt %d, after: %s\n", label, r.Test, r.Attempts, strings.Join(r.FlakyDetail, " | "))
	case spec.Verbose:
		fmt.Printf("%s %s: %s (%.1fs)\n", label, r.Test, r.Status, r.Seconds)
	}
}

// runTest runs one test of suite s in its own process, after the warm-up
// test and its prerequisites, and judges only that test.
func runTest(ctx context.Context, spec *passSpec, s passSuite, test string, attempt int) testResult {
	r := testResult{Suite: s.Key, Test: test, Nodes: spec.Nodes, Attempts: attempt}
	names := append(append([]string{warmupTest}, prerequisites(s.After, test)...), test)
	if spec.Auth {
		// The warm-up's session has no credentials; the authentication
		// test makes its own session and needs no keyspace.
		names = []string{test}
	}
	var hosts []string
	for i := 0; i < spec.Nodes; i++ {
		hosts = append(hosts, nodeAddr(i))
	}
	n := strconv.Itoa(spec.Nodes)
	args := []string{
		"-test.run", "^(" + strings.Join(names, "|") + ")$",
		"-test.v", "-test.count=1",
		"-test.timeout", (spec.Timeout - 15*time.Second).String(),
		"-cluster", strings.Join(hosts, ","),
		"-proto", strconv.Itoa(spec.Proto),
		"-rf", n, "-clusterSize", n,
		"-autowait", "2000ms",
		"-gocql.timeout", driverTimeout,
		"-gocql.cversion", spec.CassVersion,
	}
	if spec.Compressor != "" {
		args = append(args, "-compressor", spec.Compressor)
	}
	if spec.TLS {
		args = append(args, "-runssl")
	}
	if spec.Auth {
		args = append(args, "-runauth")
	}
	logDir := filepath.Join(spec.Dir, "logs", s.Key)
	_ = os.MkdirAll(logDir, 0o755)
	r.Log = filepath.Join(logDir, test+".log")
	if attempt > 1 {
		r.Log = filepath.Join(logDir, fmt.Sprintf("%s.attempt%d.log", test, attempt))
	}
	f, err := os.Create(r.Log)
	if err != nil {
		r.Status, r.Detail = "fail", []string{err.Error()}
		return r
	}
	fmt.Fprintf(f, "# cd %s && %s %s\n", s.Src, s.Binary, strings.Join(args, " "))
	tctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, s.Binary, args...)
	cmd.Dir = s.Src
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	t0 := time.Now()
	runErr := cmd.Run()
	r.Seconds = time.Since(t0).Seconds()
	_ = f.Close()
	out, _ := os.ReadFile(r.Log)
	parseOutput(string(out), test, &r)
	if r.Status == "fail" && tctx.Err() == context.DeadlineExceeded {
		r.Detail = append(r.Detail, fmt.Sprintf("killed after %s", spec.Timeout))
	} else if r.Status == "fail" && len(r.Detail) == 0 && runErr != nil {
		r.Detail = append(r.Detail, runErr.Error())
	}
	return r
}

// prerequisites returns the tests that must run before test, earliest
// first (a prerequisite may have its own).
func prerequisites(after map[string][]string, test string) []string {
	var out []string
	seen := map[string]bool{test: true}
	var visit func(string)
	visit = func(t string) {
		for _, p := range after[t] {
			if !seen[p] {
				seen[p] = true
				visit(p)
				out = append(out, p)
			}
		}
	}
	visit(test)
	return out
}

var (
	resultLine = regexp.MustCompile(`^(\s*)--- (PASS|FAIL|SKIP): (\S+) \(`)
	logLine    = regexp.MustCompile(`^\s+([\w.-]+\.go:\d+): (.*\S)\s*$`)
	labelLine  = regexp.MustCompile(`^\s*[A-Z][A-Za-z ]*:\s`)
)

// parseOutput reads the -test.v output of a process: the status of test,
// its subtests, and the first lines of its failure.
func parseOutput(out, test string, r *testResult) {
	r.Status = "fail"
	lines := strings.Split(out, "\n")
	start := -1
	failed := map[string]bool{}
	for i, l := range lines {
		if start < 0 && l == "=== RUN   "+test {
			start = i
		}
		m := resultLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		name := m[3]
		switch {
		case name == test && m[1] == "":
			r.Status = strings.ToLower(m[2])
		case strings.HasPrefix(name, test+"/") && m[2] == "PASS":
			r.PassedSubtests = append(r.PassedSubtests, name)
		case strings.HasPrefix(name, test+"/") && m[2] == "FAIL":
			failed[name] = true
		}
	}
	for name := range failed {
		leaf := true
		for other := range failed {
			if strings.HasPrefix(other, name+"/") {
				leaf = false
			}
		}
		if leaf {
			r.FailedSubtests = append(r.FailedSubtests, name)
		}
	}
	if r.Status != "fail" {
		return
	}
	if start < 0 {
		r.Detail = append(r.Detail, "the test did not start")
		start = 0
	}
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if len(s) > 240 {
			s = s[:240] + "…"
		}
		if s != "" && len(r.Detail) < 4 {
			r.Detail = append(r.Detail, s)
		}
	}
	for i := start; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "panic: "):
			add(t)
		case strings.HasPrefix(t, "Error:"):
			add(strings.TrimSpace(strings.TrimPrefix(t, "Error:")))
			if i+1 < len(lines) && !labelLine.MatchString(lines[i+1]) {
				add(lines[i+1])
			}
		case logLine.MatchString(l) && !strings.Contains(l, "Error Trace:"):
			m := logLine.FindStringSubmatch(l)
			add(m[1] + ": " + m[2])
		}
	}
	if len(r.Detail) == 0 {
		var last []string
		for _, l := range lines[start:] {
			t := strings.TrimSpace(l)
			if t == "" || t == "FAIL" || strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "===") || strings.HasPrefix(t, "exit status") {
				continue
			}
			last = append(last, t)
		}
		if len(last) > 3 {
			last = last[len(last)-3:]
		}
		for _, l := range last {
			add(l)
		}
	}
}

func lastLine(path string) string {
	return strings.TrimSpace(tail(path, 1))
}
