package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sibyldb/sibyl"

// rule says what the packages under prefix may import.
type rule struct {
	prefix string
	// allow lists the packages of ours (prefixes, relative to the module)
	// the package may depend on, directly or not. Its own subtree is always
	// allowed.
	allow []string
	// forbidDirect lists outside packages it must not import directly.
	forbidDirect []string
}

// shared are the support packages any package may use.
var shared = []string{"internal/stop", "internal/uuidtext"}

// rules is the import table of ARCHITECTURE.md ("The folders"). The
// longest matching prefix wins.
var rules = []rule{
	{prefix: "schema"},
	{prefix: "cql"}, // cql/doc.go: the overview of the four subpackages
	{prefix: "cql/parser"},
	{prefix: "cql/protocol", forbidDirect: []string{"net"}},
	{prefix: "ring", forbidDirect: []string{"net", "github.com/hashicorp/memberlist"}},
	{prefix: "storage", allow: []string{"schema", "ring"},
		forbidDirect: []string{"net", "github.com/hashicorp/memberlist"}},
	{prefix: "cql/exec", allow: []string{"cql/parser", "schema"}},
	{prefix: "cql/server", allow: []string{"cql/protocol", "cql/exec", "cql/parser", "schema"}},
	{prefix: "repair", allow: []string{"ring", "schema"}},
	{prefix: "node/messaging"},
	{prefix: "node", allow: []string{"schema", "ring", "storage", "repair", "cql", "node/messaging"}},
	{prefix: "bench"},
	{prefix: "cmd/sibyl", allow: []string{"node", "bench", "schema", "ring", "storage", "repair", "cql", "internal/shell"}},
	// The cqlsh-style shell talks to a node only as a client does (gocql),
	// using the parser to split statements.
	// It shares schema's value formats (durations) so the shell writes
	// and reads exactly what the server does.
	{prefix: "internal/shell", allow: []string{"cql/parser", "schema"}},
	{prefix: "internal/testutil", allow: []string{""}},
	{prefix: "internal/faults", allow: []string{""}},
	{prefix: "internal"},
}

// testOnly are packages no production package may depend on.
var testOnly = []string{"internal/testutil", "internal/faults"}

type pkgInfo struct {
	path    string // relative to the module; "" for the root
	deps    []string
	imports []string
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		r, ok := ruleFor(p.path)
		if !ok {
			t.Errorf("package %q has no import rule: add it to internal/archtest rules", p.path)
			continue
		}
		checkPackage(t, p, r)
	}
}

// TestRulesNameExistingPackages keeps the table honest: a rule, shared
// package or test-only package that names no package of the module is a
// stale note that would silently allow whatever is later put there.
func TestRulesNameExistingPackages(t *testing.T) {
	pkgs := listPackages(t)
	exists := func(prefix string) bool {
		for _, p := range pkgs {
			if under(p.path, prefix) {
				return true
			}
		}
		return false
	}
	names := append(append([]string(nil), shared...), testOnly...)
	for _, r := range rules {
		names = append(names, r.prefix)
		names = append(names, r.allow...)
	}
	for _, name := range names {
		if name != "" && !exists(name) {
			t.Errorf("the import rules name %q, which is no package of the module", name)
		}
	}
}

func checkPackage(t *testing.T, p pkgInfo, r rule) {
	t.Helper()
	for _, d := range p.deps {
		rel, ours := strings.CutPrefix(d, module+"/")
		if !ours {
			continue
		}
		if isTestOnly(rel) && !isTestOnly(p.path) {
			t.Errorf("%s depends on test-only package %s", p.path, rel)
			continue
		}
		if !allowed(p.path, rel, r) {
			t.Errorf("%s may not depend on %s (ARCHITECTURE.md, import rules)", p.path, rel)
		}
	}
	for _, imp := range p.imports {
		if slices.Contains(r.forbidDirect, imp) {
			t.Errorf("%s may not import %s directly (ARCHITECTURE.md, import rules)", p.path, imp)
		}
	}
}

func allowed(from, dep string, r rule) bool {
	if under(dep, from) || under(dep, r.prefix) {
		return true
	}
	for _, a := range append(slices.Clone(shared), r.allow...) {
		if a == "" || under(dep, a) {
			return true
		}
	}
	return false
}

func isTestOnly(path string) bool {
	for _, p := range testOnly {
		if under(path, p) {
			return true
		}
	}
	return false
}

// under reports whether path is prefix or inside it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func ruleFor(path string) (rule, bool) {
	best, found := rule{}, false
	for _, r := range rules {
		if under(path, r.prefix) && (!found || len(r.prefix) > len(best.prefix)) {
			best, found = r, true
		}
	}
	return best, found
}

// listPackages asks the go command for every package of the module with
// its transitive dependencies and direct imports (production code only:
// test imports are not part of a package's dependencies).
func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f",
		"{{.ImportPath}}\t{{join .Deps \" \"}}\t{{join .Imports \" \"}}", "./...")
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list failed: %v\n%s", err, stderr.String())
	}
	var pkgs []pkgInfo
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			t.Fatalf("unexpected go list line %q", sc.Text())
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		pkgs = append(pkgs, pkgInfo{path: rel, deps: strings.Fields(fields[1]), imports: strings.Fields(fields[2])})
	}
	if len(pkgs) == 0 {
		t.Fatal("go list returned no packages")
	}
	return pkgs
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test's source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestRulesCatchViolations checks the checker: forbidden edges are found.
func TestRulesCatchViolations(t *testing.T) {
	cases := []struct {
		from, dep string
		want      bool
	}{
		{"cql/exec", "schema", true},
		{"cql/exec", "storage", false},
		{"cql/exec", "ring", false},
		{"cql/server", "node", false},
		{"cql/server", "cql/exec", true},
		{"storage", "ring", true},
		{"storage", "cql/exec", false},
		{"schema", "ring", false},
		{"node", "storage", true},
		{"node", "bench", false},
		{"node/messaging", "node", false},
		{"bench", "schema", false},
		{"ring", "internal/stop", true},
		{"cmd/sibyl", "node", true},
	}
	for _, c := range cases {
		r, ok := ruleFor(c.from)
		if !ok {
			t.Fatalf("no rule for %s", c.from)
		}
		if got := allowed(c.from, c.dep, r); got != c.want {
			t.Errorf("allowed(%s -> %s) = %v, want %v", c.from, c.dep, got, c.want)
		}
	}
}
