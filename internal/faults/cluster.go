package faults

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
	"github.com/sibyldb/sibyl/ring"
)

// Keyspace and Table hold the workload's data: RF=3 SimpleStrategy, small
// int partition keys, one bigint value.
const (
	Keyspace = "faults"
	Table    = "kv"
)

// Options configures a Cluster. Zero values mean the defaults.
type Options struct {
	// Nodes is the cluster size; default 3.
	Nodes int
	// FirstIP is the first node's loopback address; node i listens on
	// FirstIP+i. Default 127.0.0.10, or SIBYL_FAULTS_IP when set, so the
	// harness keeps clear of other tests' 127.0.0.1-9.
	FirstIP netip.Addr
	// RF is the workload keyspace's replication factor; default 3.
	RF int
	// NumTokens per node; default 8.
	NumTokens int
	// WriteTimeout and ReadTimeout are the nodes' coordinator timeouts;
	// default 2 s each.
	WriteTimeout, ReadTimeout time.Duration
	// ClientTimeout is gocql's request timeout, above the nodes'
	// timeouts so their own errors reach the client; default 6 s.
	ClientTimeout time.Duration
}

func (o *Options) ensureDefaults() error {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if !o.FirstIP.IsValid() {
		o.FirstIP = netip.MustParseAddr("127.0.0.10")
		if s := os.Getenv("SIBYL_FAULTS_IP"); s != "" {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("SIBYL_FAULTS_IP: %w", err)
			}
			o.FirstIP = a
		}
	}
	if o.RF == 0 {
		o.RF = 3
	}
	if o.NumTokens == 0 {
		o.NumTokens = 8
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 2 * time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 2 * time.Second
	}
	if o.ClientTimeout == 0 {
		o.ClientTimeout = 6 * time.Second
	}
	return nil
}

// Cluster is a set of real nodes, each on its own loopback address with
// its own Pebble directory, talking to each other through Net.
type Cluster struct {
	t     testing.TB
	opts  Options
	Net   *Net
	Nodes []*Node

	client  *Endpoint
	origin  time.Time // for the log's relative times
	gocqlLg *lineLog  // the clients' driver logs

	mu       sync.Mutex
	events   []nodeEvent // guarded by mu: when nodes started and stopped
	replicas [][]int     // guarded by mu: replicas of each key, computed once
	closed   bool        // guarded by mu
}

// nodeEvent records that a node started or stopped running.
type nodeEvent struct {
	at      time.Time
	node    int
	running bool
}

// Node is one member of the cluster. Its addresses, ports and data
// directory survive restarts.
type Node struct {
	c     *Cluster
	Index int
	Addr  netip.Addr
	Dir   string
	ports struct{ cql, storage, gossip, admin int }
	net   *Endpoint
	logs  *lineLog

	sessMu sync.Mutex // serializes session creation

	mu      sync.Mutex
	n       *node.Node         // guarded by mu; nil while the node is down
	cancel  context.CancelFunc // guarded by mu
	served  chan error         // guarded by mu
	session *gocql.Session     // guarded by mu; the clients' session through this node
	gen     int                // guarded by mu; bumped at every start and stop
}

// errNotSent marks errors of requests that never left the client: their
// writes are known not to have been applied.
var errNotSent = errors.New("request not sent")

// errNodeDown is what Session returns for a node that is not running.
var errNodeDown = fmt.Errorf("faults: node is down: %w", errNotSent)

// Start starts opts.Nodes nodes one after the other, each joining the
// first, waits until every node sees every other up, and registers the
// cluster's shutdown with t. Afterwards the cluster counts as settled.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if err := opts.ensureDefaults(); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, opts: opts, Net: NewNet(), origin: time.Now(), gocqlLg: newLineLog("gocql", 200)}
	c.client = c.Net.ClientEndpoint()
	c.Net.OnChange(func(_ time.Time, what string) { c.Logf("net: %s", what) })
	addr := opts.FirstIP
	for i := range opts.Nodes {
		n := &Node{c: c, Index: i, Addr: addr, Dir: t.TempDir()}
		n.net = c.Net.Endpoint(addr)
		n.logs = newLineLog(addr.String(), 300)
		if err := n.pickPorts(); err != nil {
			t.Skipf("cannot listen on %s (loopback aliases unavailable?): %v", addr, err)
		}
		c.Nodes = append(c.Nodes, n)
		addr = addr.Next()
	}
	t.Cleanup(c.Close)
	for i, n := range c.Nodes {
		var seeds []string
		if i > 0 {
			// The first node starts the cluster with no seeds (a node
			// whose seeds name another node bootstraps from it).
			seeds = c.seeds()
		}
		if err := n.start(seeds); err != nil {
			t.Fatalf("cannot start %s: %v", n, err)
		}
		if err := c.WaitConverged(60 * time.Second); err != nil {
			t.Fatalf("%s did not join: %v", n, err)
		}
		c.Logf("%s joined", n)
	}
	c.mu.Lock()
	for i := range c.events {
		c.events[i].at = time.Time{} // converged: as if up forever
	}
	c.replicas = c.computeReplicas(256) // while every node is up to tell its tokens
	c.mu.Unlock()
	c.Logf("cluster of %d nodes up (%s .. %s)", len(c.Nodes), c.Nodes[0].Addr, c.Nodes[len(c.Nodes)-1].Addr)
	return c
}

// seeds is every node's seed list after the first start: the first two
// nodes, as an operator would configure them.
func (c *Cluster) seeds() []string {
	var s []string
	for _, n := range c.Nodes[:min(2, len(c.Nodes))] {
		s = append(s, net.JoinHostPort(n.Addr.String(), strconv.Itoa(n.ports.gossip)))
	}
	return s
}

// Logf logs a line of the run, stamped with the time since the cluster
// started.
func (c *Cluster) Logf(format string, args ...any) {
	c.t.Helper()
	c.t.Logf("%7.3fs  %s", time.Since(c.origin).Seconds(), fmt.Sprintf(format, args...))
}

// Since is how long after the cluster's start t was, for messages.
func (c *Cluster) Since(t time.Time) string {
	if t.IsZero() {
		return "start"
	}
	return fmt.Sprintf("%.3fs", t.Sub(c.origin).Seconds())
}

// Options returns the cluster's options with defaults applied.
func (c *Cluster) Options() Options { return c.opts }

func (n *Node) String() string { return fmt.Sprintf("n%d(%s)", n.Index, n.Addr) }

// pickPorts chooses four ports free on the node's address (the gossip one
// for UDP too). They stay the node's across restarts.
func (n *Node) pickPorts() error {
	var lns []io.Closer
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	pick := func(udp bool) (int, error) {
		for range 20 {
			ln, err := net.Listen("tcp", net.JoinHostPort(n.Addr.String(), "0"))
			if err != nil {
				return 0, err
			}
			lns = append(lns, ln)
			port := ln.Addr().(*net.TCPAddr).Port
			if !udp {
				return port, nil
			}
			pc, err := net.ListenPacket("udp", net.JoinHostPort(n.Addr.String(), strconv.Itoa(port)))
			if err != nil {
				continue
			}
			lns = append(lns, pc)
			return port, nil
		}
		return 0, fmt.Errorf("no port free for both TCP and UDP on %s", n.Addr)
	}
	var err error
	for _, p := range []struct {
		dst *int
		udp bool
	}{{&n.ports.cql, false}, {&n.ports.storage, false}, {&n.ports.gossip, true}, {&n.ports.admin, false}} {
		if *p.dst, err = pick(p.udp); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) config(seeds []string) node.Config {
	o := n.c.opts
	return node.Config{
		DataDir: n.Dir, ListenAddress: n.Addr.String(),
		CQLPort: n.ports.cql, StoragePort: n.ports.storage, GossipPort: n.ports.gossip, AdminPort: n.ports.admin,
		NumTokens: o.NumTokens, Seeds: seeds, Network: n.net,
		WriteTimeout: o.WriteTimeout, ReadTimeout: o.ReadTimeout, ShutdownTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// start opens the node on its data directory and serves it. Ports just
// released by a previous run of the node are retried for a while. Only
// the harness starts and stops a node, one operation at a time.
func (n *Node) start(seeds []string) error {
	if n.Running() {
		return fmt.Errorf("%s is already running", n)
	}
	var nn *node.Node
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		if nn, err = node.New(n.config(seeds)); err == nil || time.Now().After(deadline) {
			break
		}
		_, _ = fmt.Fprintf(n.logs, "faults: cannot start yet: %v\n", err)
		waitFor(200 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- nn.Serve(ctx) }()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.n, n.cancel, n.served = nn, cancel, served
	n.gen++
	n.c.record(n.Index, true)
	return nil
}

// Start restarts a stopped or killed node on its data directory and
// addresses, with the cluster's seeds.
func (n *Node) Start() error {
	err := n.start(n.c.seeds())
	if err == nil {
		n.c.Logf("started %s", n)
	}
	return err
}

// down takes the node out of service for stop or kill: no new sessions,
// the clients' session closed.
func (n *Node) down() (*node.Node, context.CancelFunc, chan error, *gocql.Session) {
	n.mu.Lock()
	defer n.mu.Unlock()
	nn, cancel, served, s := n.n, n.cancel, n.served, n.session
	n.n, n.cancel, n.served, n.session = nil, nil, nil, nil
	n.gen++
	if nn != nil {
		n.c.record(n.Index, false)
	}
	return nn, cancel, served, s
}

// Kill crashes the node (node.Kill: no announcement, no flush).
func (n *Node) Kill() {
	nn, cancel, served, s := n.down()
	if nn == nil {
		return
	}
	n.c.Logf("killing %s", n)
	nn.Kill()
	cancel()
	<-served
	if s != nil {
		s.Close()
	}
}

// Stop shuts the node down gracefully (node.Close).
func (n *Node) Stop() error {
	nn, cancel, served, s := n.down()
	if nn == nil {
		return nil
	}
	n.c.Logf("stopping %s", n)
	if s != nil {
		s.Close()
	}
	cancel()
	err := <-served
	return errors.Join(err, nn.Close())
}

// Running reports whether the node has been started and not stopped.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.n != nil
}

// Node is the running node, or nil.
func (n *Node) Node() *node.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.n
}

// Session returns the clients' gocql session through this node: every
// request it sends is coordinated by this node (a host filter allows no
// other), over the client's links of Net. It is created on first use and
// after every restart.
func (n *Node) Session() (*gocql.Session, error) {
	n.sessMu.Lock()
	defer n.sessMu.Unlock()
	n.mu.Lock()
	s, gen, up := n.session, n.gen, n.n != nil
	n.mu.Unlock()
	if s != nil {
		return s, nil
	}
	if !up {
		return nil, errNodeDown
	}
	cl := gocql.NewCluster(n.Addr.String())
	cl.Port = n.ports.cql
	cl.Dialer = n.c.client
	cl.HostFilter = gocql.WhiteListHostFilter(n.Addr.String())
	cl.Consistency = gocql.Quorum
	cl.Timeout = n.c.opts.ClientTimeout
	cl.ConnectTimeout = 3 * time.Second
	cl.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0} // every attempt is one recorded operation
	cl.NumConns = 1
	cl.ReconnectInterval = time.Second
	cl.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1000, Interval: 200 * time.Millisecond}
	cl.Logger = n.c.gocqlLg
	s, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("cannot open a session through %s (%w): %w", n, errNotSent, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.gen != gen || n.n == nil {
		s.Close() // the node went down meanwhile
		return nil, errNodeDown
	}
	n.session = s
	return s, nil
}

// WaitSession waits up to timeout for a session through the node.
func (n *Node) WaitSession(timeout time.Duration) (*gocql.Session, error) {
	var s *gocql.Session
	err := testutil.Poll(timeout, 100*time.Millisecond, func() error {
		var err error
		s, err = n.Session()
		return err
	})
	return s, err
}

// PendingHints is how many hints the node holds for other nodes, from its
// admin API.
func (n *Node) PendingHints() (int64, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(n.Addr.String(), strconv.Itoa(n.ports.admin)) + "/cluster/hints")
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	var hints []node.PendingHints
	if err := json.NewDecoder(resp.Body).Decode(&hints); err != nil {
		return 0, fmt.Errorf("cannot decode %s's hints: %w", n, err)
	}
	var total int64
	for _, h := range hints {
		total += h.Count
	}
	return total, nil
}

func (c *Cluster) record(node int, running bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, nodeEvent{at: time.Now(), node: node, running: running})
}

// runningThroughout reports whether node i ran at every moment of [t0, t1].
func (c *Cluster) runningThroughout(i int, t0, t1 time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	running := false
	for _, e := range c.events {
		if e.node != i {
			continue
		}
		if !e.at.After(t0) {
			running = e.running
		} else if !e.at.After(t1) && !e.running {
			return false
		}
	}
	return running
}

// Running lists the nodes that are running (paused ones included).
func (c *Cluster) Running() []int {
	var out []int
	for _, n := range c.Nodes {
		if n.Running() {
			out = append(out, n.Index)
		}
	}
	return out
}

// QuorumReachable reports whether, at every moment of [t0, t1], the
// coordinator was running and reachable from the clients (not paused),
// and a quorum of the key's replicas was running and connected to it
// both ways (the coordinator counts for itself when it is a replica).
func (c *Cluster) QuorumReachable(coord, key int, t0, t1 time.Time) bool {
	co := c.Nodes[coord]
	if !c.runningThroughout(coord, t0, t1) || !c.Net.Connected(Client, co.Addr, t0, t1) {
		return false
	}
	reached := 0
	for _, r := range c.Replicas(key) {
		if r == coord || (c.runningThroughout(r, t0, t1) && c.Net.Connected(co.Addr, c.Nodes[r].Addr, t0, t1)) {
			reached++
		}
	}
	return reached >= c.opts.RF/2+1
}

// Explain describes, for messages, what each replica of key was to the
// coordinator during [t0, t1]: reachable, down, or cut off since when and
// by which change.
func (c *Cluster) Explain(coord, key int, t0, t1 time.Time) string {
	co := c.Nodes[coord]
	var parts []string
	for _, r := range c.Replicas(key) {
		rn := c.Nodes[r]
		switch {
		case r == coord:
			parts = append(parts, fmt.Sprintf("n%d (the coordinator)", r))
		case !c.runningThroughout(r, t0, t1):
			parts = append(parts, fmt.Sprintf("n%d down", r))
		case c.Net.Connected(co.Addr, rn.Addr, t0, t1):
			parts = append(parts, fmt.Sprintf("n%d reachable", r))
		default:
			at, what, ok := c.Net.LostAt(co.Addr, rn.Addr, t1)
			if !ok {
				parts = append(parts, fmt.Sprintf("n%d cut off for part of it", r))
			} else {
				parts = append(parts, fmt.Sprintf("n%d cut off since %s (%s)", r, c.Since(at), what))
			}
		}
	}
	return "replicas: " + strings.Join(parts, ", ")
}

// Replicas lists the nodes that replicate key in the workload's table, by
// the ring's tokens (which restarts do not change).
func (c *Cluster) Replicas(key int) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.replicas == nil {
		c.replicas = c.computeReplicas(256)
	}
	if key >= 0 && key < len(c.replicas) && c.replicas[key] != nil {
		return c.replicas[key]
	}
	return c.computeReplicas(key + 1)[key]
}

// computeReplicas places keys 0..keys-1 on a ring built from every node's
// own tokens (ring.SimpleStrategy, as the keyspace). It needs the nodes'
// Ring views, so it runs on a converged cluster; without them every node
// counts as a replica.
func (c *Cluster) computeReplicas(keys int) [][]int {
	index := map[ring.HostID]int{}
	b := ring.NewBuilder(nil)
	for _, n := range c.Nodes {
		nn := n.Node()
		if nn == nil {
			continue
		}
		index[nn.HostID()] = n.Index
		var tokens []ring.Token
		for _, e := range nn.Ring() {
			if id, err := ring.ParseHostID(e.HostID); err == nil && id == nn.HostID() {
				if tok, err := ring.ParseToken(e.Token); err == nil {
					tokens = append(tokens, tok)
				}
			}
		}
		b.Upsert(ring.Node{ID: nn.HostID(), Addr: n.Addr.String(), DC: node.DefaultDataCenter, Rack: node.DefaultRack,
			Status: ring.StatusNormal, Tokens: tokens})
	}
	out := make([][]int, keys)
	snap, err := b.Build()
	for k := range keys {
		if err != nil || len(index) < len(c.Nodes) {
			for _, n := range c.Nodes {
				out[k] = append(out[k], n.Index)
			}
			continue
		}
		for _, id := range snap.Replicas(ring.Murmur3Token(keyBytes(k)), ring.SimpleStrategy{RF: c.opts.RF}) {
			out[k] = append(out[k], index[id])
		}
		slices.Sort(out[k])
	}
	return out
}

// keyBytes is the serialized int partition key, as the node hashes it.
func keyBytes(k int) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(int32(k)))
}

// Converged reports nil when every running node sees every running node
// (itself included) up and normal in its ring, or what is missing.
func (c *Cluster) Converged() error {
	running := c.Running()
	var problems []string
	for _, i := range running {
		nn := c.Nodes[i].Node()
		if nn == nil {
			continue
		}
		states := map[string]string{}
		for _, e := range nn.Ring() {
			if st, seen := states[e.Address]; !seen || st == "UN" {
				states[e.Address] = e.State
			}
		}
		for _, j := range running {
			addr := c.Nodes[j].Addr.String()
			if st := states[addr]; st != "UN" {
				if st == "" {
					st = "absent"
				}
				problems = append(problems, fmt.Sprintf("%s sees %s %s", c.Nodes[i], c.Nodes[j], st))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// WaitConverged waits up to timeout for Converged.
func (c *Cluster) WaitConverged(timeout time.Duration) error {
	return testutil.Poll(timeout, 100*time.Millisecond, c.Converged)
}

// CreateSchema creates the workload's keyspace and table through the
// first node and waits until every running node can serve the table.
func (c *Cluster) CreateSchema() {
	c.t.Helper()
	s, err := c.Nodes[0].WaitSession(30 * time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, stmt := range []string{
		fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': %d}", Keyspace, c.opts.RF),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (k int PRIMARY KEY, v bigint)", Keyspace, Table),
	} {
		if err := s.Query(stmt).Consistency(gocql.One).Exec(); err != nil {
			c.t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, i := range c.Running() {
		n := c.Nodes[i]
		err := testutil.Poll(30*time.Second, 100*time.Millisecond, func() error {
			s, err := n.Session()
			if err != nil {
				return err
			}
			var v int64
			err = s.Query(fmt.Sprintf("SELECT v FROM %s.%s WHERE k = 0", Keyspace, Table)).Consistency(gocql.One).Scan(&v)
			if errors.Is(err, gocql.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			c.t.Fatalf("the table never became readable through %s: %v", n, err)
		}
	}
}

// Repair runs anti-entropy repair of the workload's keyspace on every
// running node, one after the other.
func (c *Cluster) Repair(ctx context.Context) error {
	var errs []error
	for _, i := range c.Running() {
		nn := c.Nodes[i].Node()
		if nn == nil {
			continue
		}
		res, err := nn.Repair(ctx, Keyspace, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("repair on %s: %w", c.Nodes[i], err))
			continue
		}
		c.Logf("repair on %s: %d sessions, %d mismatched ranges streamed", c.Nodes[i], res.Sessions, res.Mismatched)
	}
	return errors.Join(errs...)
}

// WaitHintsDrained waits up to timeout until no running node holds hints.
func (c *Cluster) WaitHintsDrained(timeout time.Duration) error {
	return testutil.Poll(timeout, 100*time.Millisecond, func() error {
		var pending []string
		for _, i := range c.Running() {
			k, err := c.Nodes[i].PendingHints()
			if err != nil {
				return err
			}
			if k > 0 {
				pending = append(pending, fmt.Sprintf("%s holds %d", c.Nodes[i], k))
			}
		}
		if len(pending) > 0 {
			return errors.New(strings.Join(pending, ", "))
		}
		return nil
	})
}

// HealAll heals the network and starts every node that is down.
func (c *Cluster) HealAll() error {
	c.Net.Heal()
	var errs []error
	for _, n := range c.Nodes {
		if !n.Running() {
			errs = append(errs, n.Start())
		}
	}
	return errors.Join(errs...)
}

// Close kills every node, closes the network, and, when the test failed,
// logs the tail of every node's log.
func (c *Cluster) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.Net.Heal()
	for _, n := range c.Nodes {
		n.Kill()
	}
	_ = c.Net.Close()
	if c.t.Failed() {
		for _, n := range c.Nodes {
			c.t.Logf("last log lines of %s:\n%s", n, n.logs.tail(60))
		}
		c.t.Logf("last gocql log lines:\n%s", c.gocqlLg.tail(20))
	}
}

// waitFor blocks for d: pacing between attempts, or holding a fault for
// a while; never a synchronisation (a condition is waited for with
// testutil.Poll).
func waitFor(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	<-t.C
}

// lineLog keeps the last lines written to it (a node's log, the driver's),
// and copies them to stderr when SIBYL_FAULTS_LOG is set.
type lineLog struct {
	name   string
	max    int
	stderr bool
	mu     sync.Mutex
	lines  []string // guarded by mu
}

func newLineLog(name string, max int) *lineLog {
	return &lineLog{name: name, max: max, stderr: os.Getenv("SIBYL_FAULTS_LOG") != ""}
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.lines = append(l.lines, line)
		if l.stderr {
			fmt.Fprintf(os.Stderr, "%s %s\n", l.name, line)
		}
	}
	if over := len(l.lines) - l.max; over > 0 {
		l.lines = slices.Delete(l.lines, 0, over)
	}
	return len(p), nil
}

func (l *lineLog) tail(k int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-k):], "\n")
}

// Print, Printf and Println make lineLog a gocql.StdLogger.
func (l *lineLog) Print(v ...any) { _, _ = l.Write([]byte(fmt.Sprint(v...))) }

// Printf implements gocql.StdLogger.
func (l *lineLog) Printf(format string, v ...any) { _, _ = l.Write([]byte(fmt.Sprintf(format, v...))) }

// Println implements gocql.StdLogger.
func (l *lineLog) Println(v ...any) { _, _ = l.Write([]byte(fmt.Sprintln(v...))) }
