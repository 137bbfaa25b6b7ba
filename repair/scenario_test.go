package repair

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/sibyldb/sibyl/ring"
)

// TestScenarios runs testdata/scenarios/* with cockroachdb/datadriven: a
// command line, "----", the expected output, a blank line; "#" lines are
// comments. Regenerate the expected outputs with
// go test ./repair -run TestScenarios -rewrite. Commands:
//
//	put replica=a key=k1 ts=100 value=x      (merge a one-cell partition into replica a)
//	delete replica=a key=k1 ts=200            (partition tombstone)
//	build-tree replica=a range=full depth=3
//	diff a=a b=b range=full depth=3
//	repair replicas=a,b,c range=full depth=3  (run a whole session; print its streams)
//
// Instead of range=full, start=S end=E names the ring range (S,E]
// (datadriven reads "(" after "=" as a list of values, so the range's
// own notation cannot stand on the command line).
func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios/*")
	if len(files) == 0 {
		t.Fatal("no scenario files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			env := &scenarioEnv{reps: map[string]*replica{}}
			datadriven.RunTest(t, file, func(t *testing.T, d *datadriven.TestData) string {
				return env.run(d)
			})
		})
	}
}

type scenarioEnv struct {
	reps map[string]*replica
}

func (e *scenarioEnv) replica(name string) *replica {
	if e.reps[name] == nil {
		e.reps[name] = newReplica()
	}
	return e.reps[name]
}

func (e *scenarioEnv) run(d *datadriven.TestData) string {
	args := map[string]string{}
	for _, a := range d.CmdArgs {
		args[a.Key] = strings.Join(a.Vals, ",")
	}
	out, err := e.dispatch(d.Cmd, args)
	if err != nil {
		return "error: " + err.Error()
	}
	return out
}

func (e *scenarioEnv) dispatch(cmd string, args map[string]string) (string, error) {
	switch cmd {
	case "put", "delete":
		ts, err := strconv.ParseInt(args["ts"], 10, 64)
		if err != nil {
			return "", err
		}
		p := part(args["key"], ts, args["value"])
		if cmd == "delete" {
			p.Rows = nil
			p.Deletion.MarkedAt, p.Deletion.LocalDeletionTime = ts, 1
		}
		e.replica(args["replica"]).put(p)
		return fmt.Sprintf("token %d", p.Token), nil
	case "build-tree":
		t, err := e.tree(args["replica"], args)
		if err != nil {
			return "", err
		}
		return describeTree(t), nil
	case "diff":
		a, err := e.tree(args["a"], args)
		if err != nil {
			return "", err
		}
		b, err := e.tree(args["b"], args)
		if err != nil {
			return "", err
		}
		return fmt.Sprint(Diff(a, b)), nil
	case "repair":
		return e.repair(args)
	}
	return "", fmt.Errorf("unknown command %q", cmd)
}

func (e *scenarioEnv) tree(name string, args map[string]string) (*Tree, error) {
	rng, err := parseRange(args)
	if err != nil {
		return nil, err
	}
	depth, err := strconv.Atoi(args["depth"])
	if err != nil {
		return nil, err
	}
	return Build(context.Background(), e.replica(name), testTable, rng, depth)
}

func (e *scenarioEnv) repair(args map[string]string) (string, error) {
	rng, err := parseRange(args)
	if err != nil {
		return "", err
	}
	depth, err := strconv.Atoi(args["depth"])
	if err != nil {
		return "", err
	}
	c := &cluster{reps: map[ring.HostID]*replica{}}
	names := strings.Split(args["replicas"], ",")
	var hosts []ring.HostID
	for i, n := range names {
		hosts = append(hosts, host(byte(i+1)))
		c.reps[host(byte(i+1))] = e.replica(n)
	}
	s, err := NewSession(SessionConfig{Table: testTable, Range: rng, Depth: depth, Replicas: hosts})
	if err != nil {
		return "", err
	}
	if err := Run(context.Background(), s, c, c, 1, nil); err != nil {
		return "", err
	}
	var lines []string
	for _, st := range s.Streams() {
		lines = append(lines, fmt.Sprintf("stream %s -> %s %v", names[st.From[15]-1], names[st.To[15]-1], st.Ranges))
	}
	lines = append(lines, fmt.Sprintf("mismatched %v", s.Mismatched()))
	return strings.Join(lines, "\n"), nil
}

func describeTree(t *Tree) string {
	lines := []string{fmt.Sprintf("range %s depth %d partitions %d root %s", t.Range(), t.Depth(), t.Partitions(), short(t.Root()))}
	for i := range t.Leaves() {
		if t.count[i] > 0 {
			lines = append(lines, fmt.Sprintf("leaf %d %s: %d partitions %s", i, t.LeafRange(i), t.count[i], short(t.leafHash(i))))
		}
	}
	return strings.Join(lines, "\n")
}

func short(h Hash) string { return hex.EncodeToString(h[:4]) }

// parseRange reads range=full, or start=S end=E for the range (S,E].
func parseRange(args map[string]string) (ring.Range, error) {
	if args["range"] == "full" {
		return ring.FullRing, nil
	}
	a, okA := args["start"]
	b, okB := args["end"]
	if !okA || !okB {
		return ring.Range{}, fmt.Errorf("want range=full or start=S end=E, got range=%q start=%q end=%q", args["range"], a, b)
	}
	start, err := ring.ParseToken(a)
	if err != nil {
		return ring.Range{}, err
	}
	end, err := ring.ParseToken(b)
	if err != nil {
		return ring.Range{}, err
	}
	return ring.Range{Start: start, End: end}, nil
}
