package exec_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// The harness runs statements against a real storage.Engine (on an
// in-memory file system) behind a single-replica Coordinator, and prints
// results as tables, so testdata files read as statement -> result. The
// files are cockroachdb/datadriven scripts (see TestScripts); regenerate
// their expectations with: go test ./cql/exec -run TestScripts -rewrite

// localCoordinator is a single-replica Coordinator over one Engine.
// Being the only replica, it is every counter's leader: counter writes go
// through the engine's leader step, as on a node.
type localCoordinator struct {
	eng   *storage.Engine
	self  schema.CounterID // the local host id
	clock *testutil.Clock
}

// casMu serializes the harness's transactions: with one replica, a lock
// held across read, decide and write is all Paxos has to guarantee.
// lastBallot (under casMu) keeps their timestamps strictly increasing, as
// ballots are.
var (
	casMu      sync.Mutex
	lastBallot int64
)

// CAS runs a transaction on the one replica under casMu.
func (c localCoordinator) CAS(ctx context.Context, req *exec.CASRequest) (exec.CASResult, error) {
	casMu.Lock()
	defer casMu.Unlock()
	parts, err := c.eng.Read(ctx, req.Read)
	if err != nil {
		return exec.CASResult{}, err
	}
	var cur *schema.Partition
	if len(parts) > 0 {
		cur = parts[0]
	}
	lastBallot = max(time.Now().UnixMicro(), lastBallot+1)
	upd, err := req.Decide(cur, lastBallot)
	if err != nil || upd == nil {
		return exec.CASResult{Current: cur}, err
	}
	if err := c.eng.Apply(ctx, upd); err != nil {
		return exec.CASResult{Current: cur}, err
	}
	return exec.CASResult{Current: cur, Applied: true}, nil
}

func (c localCoordinator) Mutate(ctx context.Context, _ exec.Consistency, wt exec.WriteType, muts []*schema.Partition) error {
	if wt != exec.WriteCounter {
		return c.eng.Apply(ctx, muts...)
	}
	for _, m := range muts {
		if _, err := c.eng.LeadCounterWrite(ctx, m, c.self, c.clock.Now().Unix()); err != nil {
			return err
		}
	}
	return nil
}

func (c localCoordinator) Read(ctx context.Context, _ exec.Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	return c.eng.Read(ctx, cmd)
}

func (c localCoordinator) Truncate(ctx context.Context, t schema.TableID) error {
	return c.eng.Truncate(ctx, t)
}

// memSchema is a SchemaStore in memory.
type memSchema struct {
	mu  sync.Mutex
	cat *schema.Catalog
}

func (m *memSchema) Catalog() *schema.Catalog {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cat
}

func (m *memSchema) Update(_ context.Context, change func(*schema.Catalog) (*schema.Catalog, error)) (*schema.Catalog, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := change(m.cat)
	if err != nil {
		return nil, err
	}
	m.cat = next
	return next, nil
}

type staticCluster struct {
	local exec.NodeInfo
	peers []exec.NodeInfo
}

func (c staticCluster) ClusterName() string    { return "Test Cluster" }
func (c staticCluster) Local() exec.NodeInfo   { return c.local }
func (c staticCluster) Peers() []exec.NodeInfo { return c.peers }

// testToken is a deterministic stand-in partitioner for tests.
func testToken(key []byte) int64 {
	sum := sha256.Sum256(key)
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

type harness struct {
	t       testing.TB
	ex      *exec.Executor
	sess    *exec.Session
	clock   *testutil.Clock
	schema  *memSchema
	cfg     exec.Config // what h.ex was built with
	events  []exec.Event
	eventMu sync.Mutex
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith is newHarness with the executor's Config adjusted by
// tweak (nil: as it is).
func newHarnessWith(t testing.TB, tweak func(*exec.Config)) *harness {
	t.Helper()
	// A stopped clock: goldens print write times and TTLs, which must not
	// drift with the real time.
	clock := testutil.NewClockAt(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	eng, err := storage.Open(storage.Options{Dir: "db", FS: vfs.NewMem(), Now: clock.Now, PurgeInterval: -1})
	if err != nil {
		t.Fatalf("cannot open engine: %v", err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	h := &harness{t: t, clock: clock, schema: &memSchema{cat: schema.NewCatalog()}}
	local := exec.NodeInfo{
		HostID: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Address: netip.MustParseAddr("127.0.0.1"),
		RPCAddress: netip.MustParseAddr("127.0.0.1"), RPCPort: 9042, DataCenter: "datacenter1", Rack: "rack1",
		Tokens: []int64{-100, 100},
	}
	cfg := exec.Config{
		Coordinator: localCoordinator{eng: eng, self: local.HostID, clock: clock}, Schema: h.schema, Cluster: staticCluster{local: local},
		Token: testToken, Now: clock.Now,
		Events: func(ev exec.Event) {
			h.eventMu.Lock()
			defer h.eventMu.Unlock()
			h.events = append(h.events, ev)
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	h.cfg = cfg
	h.ex, err = exec.New(cfg)
	if err != nil {
		t.Fatalf("cannot create executor: %v", err)
	}
	h.sess = h.ex.NewSession()
	return h
}

// run executes query and returns the printed result (or error).
func (h *harness) run(query string, o *exec.QueryOptions) string {
	if o == nil {
		// ONE, as drivers default to (the zero value is ANY, which
		// counter writes refuse), and SERIAL, the protocol's default
		// serial consistency.
		o = &exec.QueryOptions{Consistency: exec.One, SerialConsistency: exec.Serial}
	}
	res, err := h.ex.Query(context.Background(), h.sess, query, o)
	return formatResult(res, err)
}

// must runs query and fails the test on error.
func (h *harness) must(query string) exec.Result {
	h.t.Helper()
	res, err := h.ex.Query(context.Background(), h.sess, query, nil)
	if err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return res
}

func formatResult(res exec.Result, err error) string {
	if err != nil {
		if ce, ok := err.(*exec.Error); ok {
			return fmt.Sprintf("error 0x%04x: %s", int32(ce.Code), ce.Message)
		}
		return "error: " + err.Error()
	}
	switch r := res.(type) {
	case exec.VoidResult:
		return "ok"
	case *exec.SetKeyspaceResult:
		return "keyspace " + r.Keyspace
	case *exec.SchemaChangeResult:
		return fmt.Sprintf("schema %s %s %s %s", r.Change, r.Target, r.Keyspace, r.Name)
	case *exec.RowsResult:
		return formatRows(r)
	}
	return fmt.Sprintf("%T", res)
}

func formatRows(r *exec.RowsResult) string {
	var b strings.Builder
	names := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		names[i] = c.Name + " " + c.Type.String()
	}
	b.WriteString(strings.Join(names, " | "))
	for _, row := range r.Rows {
		vals := make([]string, len(row))
		for i, v := range row {
			vals[i] = schema.FormatValue(r.Columns[i].Type, v)
		}
		b.WriteString("\n" + strings.Join(vals, " | "))
	}
	if r.PagingState != nil {
		b.WriteString("\n(more pages)")
	}
	return b.String()
}

// runFile runs a script file with cockroachdb/datadriven: cases of a
// directive line, the input, a "----" line and the expected output,
// separated by blank lines; "#" lines between cases are comments.
// Directives:
//
//	query                   run the statements below (one per line) and print the last result
//	page size=N             run one SELECT page by page with page size N, printing every row
//	advance 90s             move the clock
//	login USER PASSWORD     log in (a new session), then run the statements below
func runFile(t *testing.T, path string) {
	h := newHarness(t)
	if filepath.Base(path) == "auth.txt" {
		h = newAuthHarness(t)
	}
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		// The schema version is a digest of the whole catalog; print it
		// symbolically so unrelated catalog changes don't churn goldens.
		return strings.ReplaceAll(h.directive(d), h.schema.Catalog().Version().String(), "<schema-version>")
	})
}

// statements are the input's lines, one statement each.
func statements(d *datadriven.TestData) []string {
	if d.Input == "" {
		return nil
	}
	return strings.Split(d.Input, "\n")
}

func (h *harness) directive(d *datadriven.TestData) string {
	switch d.Cmd {
	case "query":
		var last string
		for _, q := range statements(d) {
			last = h.run(q, nil)
		}
		return last
	case "page":
		var n int32
		d.ScanArgs(h.t, "size", &n)
		return h.pages(strings.Join(statements(d), " "), n)
	case "login":
		// login USER PASSWORD: authenticate, and run what follows as USER.
		if len(d.CmdArgs) != 2 {
			return "usage: login USER PASSWORD"
		}
		user, password := d.CmdArgs[0].String(), d.CmdArgs[1].String()
		if err := h.ex.Authenticate(context.Background(), user, password); err != nil {
			return "error: " + err.Error()
		}
		saved := h.sess
		defer func() { h.sess = saved }()
		h.sess = h.ex.NewSession()
		h.sess.SetUser(user)
		last := "ok"
		for _, q := range statements(d) {
			last = h.run(q, nil)
		}
		return last
	case "advance":
		if len(d.CmdArgs) != 1 {
			return "usage: advance DURATION"
		}
		dur, err := time.ParseDuration(d.CmdArgs[0].String())
		if err != nil {
			return "error: " + err.Error()
		}
		h.clock.Advance(dur)
		return "ok"
	}
	return "unknown directive " + d.FullCmd()
}

// pages runs a SELECT page by page and prints each page.
func (h *harness) pages(query string, size int32) string {
	var b strings.Builder
	var state []byte
	for page := 1; page <= 1000; page++ {
		res, err := h.ex.Query(context.Background(), h.sess, query, &exec.QueryOptions{PageSize: size, PagingState: state})
		if err != nil {
			return b.String() + formatResult(nil, err)
		}
		rr := res.(*exec.RowsResult)
		fmt.Fprintf(&b, "page %d:", page)
		for _, row := range rr.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = schema.FormatValue(rr.Columns[i].Type, v)
			}
			b.WriteString(" (" + strings.Join(vals, ", ") + ")")
		}
		b.WriteString("\n")
		if rr.PagingState == nil {
			break
		}
		state = rr.PagingState
	}
	return strings.TrimRight(b.String(), "\n")
}

// TestScripts runs every testdata/*.txt as a datadriven script, each on
// a fresh harness.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no script files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runFile(t, f) })
	}
}
