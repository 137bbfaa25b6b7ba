package node

import (
	"encoding/json"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gocql/gocql"
	"gopkg.in/yaml.v3"
)

// The Grafana dashboard and the Prometheus alert rules in deploy/ query
// metrics by name; a renamed or removed metric would leave a panel blank
// or an alert silent without anyone noticing. This test runs a node
// through a small workload (so that the per-table and per-level series
// exist), scrapes /metrics and checks every metric either file names.

// metricName matches the metric names Sibyl, the Go collector and the
// process collector export (PromQL functions and labels do not match).
var metricName = regexp.MustCompile(`\b(?:sibyl|go|process)_[a-z0-9_]+\b`)

func TestDashboardAndAlertMetricsExist(t *testing.T) {
	queries := append(dashboardQueries(t), alertQueries(t)...)
	if len(queries) < 20 {
		t.Fatalf("found only %d queries in deploy/: the files' shape changed?", len(queries))
	}

	n := serveTestNode(t)
	s := runDashboardWorkload(t, n)
	defer s.Close()

	scrape := func() (names map[string]bool, lines []string) {
		names = map[string]bool{}
		for _, line := range strings.Split(get(t, "http://"+n.AdminAddr().String()+"/metrics", 200), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			names[line[:strings.IndexAny(line, "{ ")]] = true
			lines = append(lines, line)
		}
		return names, lines
	}
	exported, lines := scrape()
	// The workload's own counts: two inserts and a delete, one read whose
	// result carries the row deletion.
	for _, want := range []string{
		`sibyl_table_writes_total{keyspace="dash",table="t"} 3`,
		`sibyl_table_reads_total{keyspace="dash",table="t"} 1`,
		`sibyl_table_tombstones_read_total{keyspace="dash",table="t"} 1`,
		`sibyl_table_read_seconds_count{keyspace="dash",table="t"} 1`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	defer func() {
		// A dropped table's series leave /metrics.
		if err := s.Query(`DROP TABLE dash.t`).Exec(); err != nil {
			t.Fatal(err)
		}
		scrape() // the scrape that notices the drop
		_, lines := scrape()
		for _, l := range lines {
			if strings.Contains(l, `table="t"`) {
				t.Errorf("dropped table still exported: %s", l)
			}
		}
	}()
	for _, q := range queries {
		names := metricName.FindAllString(q, -1)
		if len(names) == 0 {
			t.Errorf("query names no Sibyl metric: %s", q)
		}
		for _, name := range names {
			if !exported[name] {
				t.Errorf("/metrics has no %s (queried by %s)", name, q)
			}
		}
	}
}

// runDashboardWorkload writes, reads and deletes through CQL so that the
// labelled series (per table, per consistency level) exist.
func runDashboardWorkload(t *testing.T, n *Node) *gocql.Session {
	t.Helper()
	c := gocql.NewCluster("127.0.0.1")
	c.Port = n.CQLAddr().(*net.TCPAddr).Port
	c.DisableInitialHostLookup = true
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE KEYSPACE dash WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`CREATE TABLE dash.t (k int, c int, v text, PRIMARY KEY (k, c))`,
		`INSERT INTO dash.t (k, c, v) VALUES (1, 1, 'a')`,
		`INSERT INTO dash.t (k, c, v) VALUES (1, 2, 'b')`,
		`DELETE FROM dash.t WHERE k = 1 AND c = 2`,
		`SELECT * FROM dash.t WHERE k = 1`,
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return s
}

func dashboardQueries(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../deploy/grafana/sibyl.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string
		Panels []struct {
			Type    string
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	var out []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	return out
}

func alertQueries(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("alert rules: %v", err)
	}
	var out []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Annotations["summary"] == "" ||
				!slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
				t.Errorf("rule %q needs a name, a summary and a severity", r.Alert)
			}
			out = append(out, r.Expr)
		}
	}
	return out
}
