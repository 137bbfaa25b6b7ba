package ring

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestScenarios runs the scripts in testdata/scenarios with
// cockroachdb/datadriven: each case is a command line, "----", and the
// expected output, ended by a blank line; "#" lines are comments.
// Regenerate the expected outputs with
// go test ./ring -run TestScenarios -rewrite. Commands (one handler each
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
		t.Run(filepath.Base(file), func(t *testing.T) {
			env := &scenarioEnv{b: NewBuilder(nil)}
			datadriven.RunTest(t, file, func(t *testing.T, d *datadriven.TestData) string {
				return env.run(d)
			})
		})
	}
}

type scenarioEnv struct {
	b *Builder
	s *Snapshot
}

func (e *scenarioEnv) run(d *datadriven.TestData) string {
	out, err := e.dispatch(d.Cmd, scenarioArgs(d))
	if err != nil {
		return "error: " + err.Error()
	}
	return out
}

// scenarioArgs maps each argument of the command line to its value ("" for
// a bare key); a value is one word, "=" and "," included, as in
// strategy=nts:dc1=2,dc2=1.
func scenarioArgs(d *datadriven.TestData) map[string]string {
	args := map[string]string{}
	for _, a := range d.CmdArgs {
		args[a.Key] = strings.Join(a.Vals, ",")
	}
	return args
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
