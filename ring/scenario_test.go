package ring

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/scenarios/*")

// TestScenarios runs the scripts in testdata/scenarios, in the style of
// cockroachdb/datadriven: each case is a command line, "----", and the
// expected output, ended by a blank line. Commands (one handler each
// below):
//
//	add-node id=1 dc=dc1 rack=r1 tokens=-100,0,100 [status=joining]
//	set-status id=1 status=leaving
//	remove-node id=1
//	owners key=<text> strategy=simple:3 | nts:dc1=2,dc2=1
//	replicas token=<int> strategy=...
//	ranges id=1 strategy=...      (primary ranges when strategy is absent)
//	ownership [strategy=...]
func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios/*")
	if len(files) == 0 {
		t.Fatal("no scenario files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runScenario(t, file) })
	}
}

type scenarioCase struct {
	comments []string // "#" lines before the command, kept on -rewrite
	cmd      string
	want     string
}

func readScenario(t *testing.T, file string) []scenarioCase {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []scenarioCase
	var comments []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			comments = append(comments, line)
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := scenarioCase{cmd: line, comments: comments}
		comments = nil
		if !sc.Scan() || sc.Text() != "----" {
			t.Fatalf("%s: command %q not followed by ----", file, line)
		}
		var out []string
		for sc.Scan() && sc.Text() != "" {
			out = append(out, sc.Text())
		}
		c.want = strings.Join(out, "\n")
		cases = append(cases, c)
	}
	return cases
}

func runScenario(t *testing.T, file string) {
	cases := readScenario(t, file)
	env := &scenarioEnv{b: NewBuilder(nil)}
	var rewritten strings.Builder
	for _, c := range cases {
		got := env.run(c.cmd)
		if *rewrite {
			for _, l := range c.comments {
				fmt.Fprintln(&rewritten, l)
			}
			fmt.Fprintf(&rewritten, "%s\n----\n%s\n\n", c.cmd, got)
			continue
		}
		if got != c.want {
			t.Errorf("%s: %s\ngot:\n%s\nwant:\n%s", file, c.cmd, got, c.want)
		}
	}
	if *rewrite {
		if err := os.WriteFile(file, []byte(rewritten.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type scenarioEnv struct {
	b *Builder
	s *Snapshot
}

func (e *scenarioEnv) run(line string) string {
	fields := strings.Fields(line)
	args := map[string]string{}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		args[k] = v
	}
	out, err := e.dispatch(fields[0], args)
	if err != nil {
		return "error: " + err.Error()
	}
	return out
}

func (e *scenarioEnv) dispatch(cmd string, args map[string]string) (string, error) {
	switch cmd {
	case "add-node":
		return e.addNode(args)
	case "set-status":
		st, err := parseStatus(args["status"])
		if err != nil {
			return "", err
		}
		e.b.SetStatus(scenarioID(args["id"]), st)
		return e.rebuild()
	case "remove-node":
		e.b.Remove(scenarioID(args["id"]))
		return e.rebuild()
	case "owners":
		return e.replicas(Murmur3Token([]byte(args["key"])), args["strategy"])
	case "replicas":
		tok, err := ParseToken(args["token"])
		if err != nil {
			return "", err
		}
		return e.replicas(tok, args["strategy"])
	case "ranges":
		return e.ranges(args)
	case "ownership":
		return e.ownership(args)
	}
	return "", fmt.Errorf("unknown command %q", cmd)
}

func (e *scenarioEnv) addNode(args map[string]string) (string, error) {
	n := Node{ID: scenarioID(args["id"]), DC: args["dc"], Rack: args["rack"], Status: StatusNormal}
	if s, ok := args["status"]; ok {
		st, err := parseStatus(s)
		if err != nil {
			return "", err
		}
		n.Status = st
	}
	for _, ts := range strings.Split(args["tokens"], ",") {
		tok, err := ParseToken(ts)
		if err != nil {
			return "", err
		}
		n.Tokens = append(n.Tokens, tok)
	}
	e.b.Upsert(n)
	return e.rebuild()
}

func (e *scenarioEnv) rebuild() (string, error) {
	s, err := e.b.Build()
	if err != nil {
		return "", err
	}
	e.s = s
	return "ok", nil
}

func (e *scenarioEnv) replicas(tok Token, strategy string) (string, error) {
	st, err := scenarioStrategy(strategy)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("token %d\nnatural %s\npending %s", tok, names(e.s.Replicas(tok, st)), names(e.s.PendingReplicas(tok, st))), nil
}

func (e *scenarioEnv) ranges(args map[string]string) (string, error) {
	id := scenarioID(args["id"])
	if args["strategy"] == "" {
		return rangesText(e.s.PrimaryRanges(id)), nil
	}
	st, err := scenarioStrategy(args["strategy"])
	if err != nil {
		return "", err
	}
	return "now " + rangesText(e.s.Ranges(id, st)) + "\nfuture " + rangesText(e.s.FutureRanges(id, st)), nil
}

func (e *scenarioEnv) ownership(args map[string]string) (string, error) {
	own := e.s.Ownership()
	if args["strategy"] != "" {
		st, err := scenarioStrategy(args["strategy"])
		if err != nil {
			return "", err
		}
		own = e.s.EffectiveOwnership(st)
	}
	var lines []string
	for id, f := range own {
		lines = append(lines, fmt.Sprintf("%s %.4f", names([]HostID{id}), f))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n"), nil
}

func rangesText(rs []Range) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func scenarioID(s string) HostID {
	n, _ := strconv.Atoi(s)
	return hostID(n)
}

func names(ids []HostID) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("n%d", int(id[14])<<8|int(id[15])))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func parseStatus(s string) (Status, error) {
	for _, st := range []Status{StatusNormal, StatusJoining, StatusLeaving} {
		if strings.EqualFold(st.String(), s) {
			return st, nil
		}
	}
	return 0, fmt.Errorf("unknown status %q", s)
}

// scenarioStrategy parses "simple:3" or "nts:dc1=2,dc2=1".
func scenarioStrategy(s string) (Strategy, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case "simple":
		return ParseStrategy(map[string]string{"class": "SimpleStrategy", "replication_factor": rest})
	case "nts":
		opts := map[string]string{"class": "NetworkTopologyStrategy"}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			opts[k] = v
		}
		return ParseStrategy(opts)
	}
	return nil, fmt.Errorf("unknown strategy %q", s)
}
