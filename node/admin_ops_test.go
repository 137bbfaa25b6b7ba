package node_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/node"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/storage"
)

// tableRows reads every (k, c, a, b) of ks.t, sorted.
func tableRows(t *testing.T, s *gocql.Session) []string {
	t.Helper()
	it := s.Query("SELECT k, c, a, b FROM t").Iter()
	var k, c int
	var a, b string
	var out []string
	for it.Scan(&k, &c, &a, &b) {
		out = append(out, fmt.Sprintf("%d/%d=%s,%s", k, c, a, b))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestSnapshotRestoreAfterTruncateAndRecreate: a snapshot's rows come
// back after TRUNCATE, and after DROP TABLE and CREATE TABLE again (a new
// table id, columns declared in another order), while a row written after
// the snapshot keeps its newer value.
func TestSnapshotRestoreAfterTruncateAndRecreate(t *testing.T) {
	ctx := context.Background()
	tn := startNode(t)
	s := newKeyspace(t, tn, "snapks")
	mustExec(t, s, "CREATE TABLE t (k int, c int, a text, b text, PRIMARY KEY (k, c))")
	for i := range 20 {
		mustExec(t, s, "INSERT INTO t (k, c, a, b) VALUES (?, ?, ?, ?)", i%5, i, fmt.Sprint("a", i), fmt.Sprint("b", i))
	}
	want := tableRows(t, s)
	m, err := tn.Snapshot(ctx, "before", []string{"snapks"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 1 || m.Tables[0].Name != "t" {
		t.Fatalf("manifest tables: %+v", m.Tables)
	}
	if _, err := tn.Snapshot(ctx, "before", []string{"snapks"}, nil); err == nil {
		t.Fatal("a second snapshot with the same tag was accepted")
	}

	mustExec(t, s, "TRUNCATE t")
	if got := tableRows(t, s); len(got) != 0 {
		t.Fatalf("rows after TRUNCATE: %v", got)
	}
	res, err := tn.Restore(ctx, "before", "snapks", "t")
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 20 {
		t.Fatalf("restored %d rows, want 20", res.Rows)
	}
	if got := tableRows(t, s); !slices.Equal(got, want) {
		t.Fatalf("after restore of the truncated table:\n%v\nwant\n%v", got, want)
	}

	mustExec(t, s, "DROP TABLE t")
	mustExec(t, s, "CREATE TABLE t (k int, c int, b text, extra int, a text, PRIMARY KEY (k, c))")
	mustExec(t, s, "INSERT INTO t (k, c, a, b) VALUES (0, 0, 'newer', 'newer')")
	if _, err := tn.Restore(ctx, "before", "snapks", ""); err != nil {
		t.Fatal(err)
	}
	got := tableRows(t, s)
	wantNow := slices.Clone(want)
	for i, r := range wantNow {
		if strings.HasPrefix(r, "0/0=") {
			wantNow[i] = "0/0=newer,newer"
		}
	}
	if !slices.Equal(got, wantNow) {
		t.Fatalf("after DROP, CREATE and restore:\n%v\nwant\n%v", got, wantNow)
	}

	list, err := tn.ListSnapshots()
	if err != nil || len(list) != 1 || list[0].Tag != "before" || list[0].SizeBytes <= 0 {
		t.Fatalf("ListSnapshots: %+v, %v", list, err)
	}
	if cleared, err := tn.ClearSnapshot("before", false); err != nil || len(cleared) != 1 {
		t.Fatalf("ClearSnapshot: %v, %v", cleared, err)
	}
	if _, err := tn.Restore(ctx, "before", "snapks", ""); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("restore of a cleared snapshot: %v", err)
	}
}

// TestRestoreRefusesChangedKey: rows cannot be translated to a table
// whose primary key changed, and restore says so instead of writing
// rows the table cannot read.
func TestRestoreRefusesChangedKey(t *testing.T) {
	ctx := context.Background()
	tn := startNode(t)
	s := newKeyspace(t, tn, "keyks")
	mustExec(t, s, "CREATE TABLE t (k int, c int, a text, b text, PRIMARY KEY (k, c))")
	mustExec(t, s, "INSERT INTO t (k, c, a, b) VALUES (1, 1, 'x', 'y')")
	if _, err := tn.Snapshot(ctx, "s1", []string{"keyks"}, []string{"t"}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "DROP TABLE t")
	if _, err := tn.Restore(ctx, "s1", "keyks", "t"); err == nil || !strings.Contains(err.Error(), "create it again") {
		t.Fatalf("restore into a dropped table: %v", err)
	}
	mustExec(t, s, "CREATE TABLE t (k int, c text, a text, b text, PRIMARY KEY (k, c))")
	if _, err := tn.Restore(ctx, "s1", "keyks", "t"); err == nil || !strings.Contains(err.Error(), "primary key changed") {
		t.Fatalf("restore into a table with another key: %v", err)
	}
	if _, err := tn.Snapshot(ctx, "s2", []string{"nosuch"}, nil); err == nil {
		t.Fatal("a snapshot of an unknown keyspace was accepted")
	}
	for _, tag := range []string{"..", ".", "a/b", "../x"} {
		if _, err := tn.Snapshot(ctx, tag, []string{"keyks"}, nil); err == nil {
			t.Errorf("snapshot tag %q accepted", tag)
		}
		if _, err := tn.ClearSnapshot(tag, false); err == nil {
			t.Errorf("clearsnapshot of tag %q accepted", tag)
		}
	}
}

func TestRepairUnknownKeyspaceFails(t *testing.T) {
	tn := startNode(t)
	_, err := tn.Repair(context.Background(), "nosuch", false)
	if err == nil || !strings.Contains(err.Error(), "keyspace nosuch does not exist") {
		t.Fatalf("repair of an unknown keyspace: %v", err)
	}
}

// TestDataDirLockedByAnotherProcess: a node on a data directory another
// process holds says so, not just "resource temporarily unavailable". The
// other process is this test binary again (lockHelper), holding a real
// storage engine open on the directory.
func TestDataDirLockedByAnotherProcess(t *testing.T) {
	if os.Getenv("SIBYL_LOCK_HELPER") != "" {
		lockHelper(os.Getenv("SIBYL_LOCK_HELPER"))
		return
	}
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestDataDirLockedByAnotherProcess$")
	helper.Env = append(os.Environ(), "SIBYL_LOCK_HELPER="+dir)
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close() // the helper closes its store and exits
		_ = helper.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper did not lock the directory: %q, %v", line, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{DataDir: dir, CQLListener: ln, AdminPort: node.AdminDisabled, Logger: testLogger()})
	if err == nil {
		_ = n.Close()
		t.Fatal("a node opened a data directory another process holds")
	}
	if !strings.Contains(err.Error(), "another sibyl process holds the data directory") {
		t.Fatalf("error does not name the cause: %v", err)
	}
}

// lockHelper holds a storage engine open on dir until stdin closes.
func lockHelper(dir string) {
	e, err := storage.Open(storage.Options{Dir: dir, PurgeInterval: -1})
	if err != nil {
		fmt.Println("cannot open:", err)
		return
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = e.Close()
}

func TestStatusNamesBothVersions(t *testing.T) {
	tn := startNode(t)
	st := tn.Status()
	if st.Version != node.SoftwareVersion || st.CassandraVersion != node.ReleaseVersion || st.Version == st.CassandraVersion {
		t.Fatalf("status versions: sibyl %q, cassandra %q", st.Version, st.CassandraVersion)
	}
}

// TestLogHandlerOneComponentAndHostIDs: a logger tagged twice prints one
// component key (the innermost), host ids print as UUIDs, and a
// component's level changes at run time.
func TestLogHandlerOneComponentAndHostIDs(t *testing.T) {
	var buf bytes.Buffer
	h, err := node.NewLogHandler(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	id := ring.HostID{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}
	log := slog.New(h).With("component", "storage").With("node", "n1")
	log.Info("hello", "component", "pebble", "host_id", id)
	log.Debug("hidden")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	if c := strings.Count(buf.String(), `"component"`); c != 1 || line["component"] != "pebble" {
		t.Fatalf("component printed %d times: %s", c, buf.String())
	}
	if line["host_id"] != id.String() || line["node"] != "n1" {
		t.Fatalf("attributes: %s", buf.String())
	}
	buf.Reset()
	h.SetLevel("storage", slog.LevelDebug)
	log.Debug("storage debug")
	slog.New(h).With("component", "exec").Debug("exec debug")
	if out := buf.String(); !strings.Contains(out, "storage debug") || strings.Contains(out, "exec debug") {
		t.Fatalf("per-component level: %q", out)
	}
}

func TestConfigRefusesBadSeeds(t *testing.T) {
	for _, seed := range []string{"127.0.0.1:99999", "127.0.0.1:abc", "host_name!", "[::1", "10.0.0.1:7001:1", " "} {
		cfg := node.Config{DataDir: t.TempDir(), Seeds: []string{seed}}
		cfg.EnsureDefaults()
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "seed") {
			t.Errorf("seed %q accepted: %v", seed, err)
		}
	}
	for _, seed := range []string{"127.0.0.1", "127.0.0.1:7001", "seed-1.example.com", "::1", "[::1]:7001"} {
		cfg := node.Config{DataDir: t.TempDir(), Seeds: []string{seed}}
		cfg.EnsureDefaults()
		if err := cfg.Validate(); err != nil {
			t.Errorf("seed %q refused: %v", seed, err)
		}
	}
}

// TestSnapshotOfTwoKeyspaces: one tag covers the tables of several
// keyspaces, as nodetool snapshot ks1 ks2; tables need one keyspace.
func TestSnapshotOfTwoKeyspaces(t *testing.T) {
	ctx := context.Background()
	tn := startNode(t)
	for _, ks := range []string{"ks1", "ks2"} {
		s := newKeyspace(t, tn, ks)
		mustExec(t, s, "CREATE TABLE t (k int PRIMARY KEY, v text)")
	}
	m, err := tn.Snapshot(ctx, "both", []string{"ks1", "ks2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 2 || m.Tables[0].Keyspace != "ks1" || m.Tables[1].Keyspace != "ks2" {
		t.Fatalf("tables: %+v", m.Tables)
	}
	if _, err := tn.Snapshot(ctx, "bad", []string{"ks1", "ks2"}, []string{"t"}); err == nil {
		t.Fatal("tables with two keyspaces were accepted")
	}
}
