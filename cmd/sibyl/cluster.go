package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sibyldb/sibyl/node"
)

// The operator's commands: each calls a node's admin HTTP API, as nodetool
// calls JMX.

// adminFlags locate a node's admin API.
type adminFlags struct {
	host string
	port int
	// With authentication on, the admin API needs a superuser's
	// credentials; with client encryption on, it speaks TLS.
	user, password         string
	ssl, noVerify          bool
	tlsCA, tlsCert, tlsKey string
	client                 *http.Client // built from the flags on first use
}

func (a *adminFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&a.host, "host", node.DefaultListenAddress, "address of the node to ask")
	fs.IntVar(&a.port, "admin-port", node.DefaultAdminPort, "the node's HTTP admin port")
	fs.StringVarP(&a.user, "username", "u", os.Getenv("SIBYL_USERNAME"), "a superuser's name, when the node authenticates ($SIBYL_USERNAME)")
	fs.StringVarP(&a.password, "password", "p", "", "its password ($SIBYL_PASSWORD)")
	fs.BoolVar(&a.ssl, "ssl", false, "speak TLS to the admin API (nodes with client_encryption_options on)")
	fs.StringVar(&a.tlsCA, "tls-ca", "", "PEM CA bundle to verify the node's certificate (implies --ssl)")
	fs.StringVar(&a.tlsCert, "tls-cert", "", "PEM client certificate, for nodes that require one (implies --ssl)")
	fs.StringVar(&a.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&a.noVerify, "tls-no-verify", false, "do not verify the node's certificate (testing only)")
}

func (a *adminFlags) tlsOn() bool { return a.ssl || a.tlsCA != "" || a.tlsCert != "" || a.noVerify }

func (a *adminFlags) url(path string) string {
	scheme := "http://"
	if a.tlsOn() {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(a.host, strconv.Itoa(a.port)) + path
}

// do sends req with the flags' credentials (basic auth) over the flags'
// transport.
func (a *adminFlags) do(req *http.Request) (*http.Response, error) {
	if a.user != "" {
		pw := a.password
		if pw == "" {
			pw = os.Getenv("SIBYL_PASSWORD")
		}
		req.SetBasicAuth(a.user, pw)
	}
	client, err := a.httpClient()
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the admin API of %s: %w", a.host, err)
	}
	return resp, nil
}

// httpClient is the admin API's client: TLS as the flags say.
func (a *adminFlags) httpClient() (*http.Client, error) {
	if a.client != nil {
		return a.client, nil
	}
	if !a.tlsOn() {
		a.client = http.DefaultClient
		return a.client, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: a.noVerify} //nolint:gosec // --tls-no-verify is the operator's explicit choice
	if a.tlsCA != "" {
		pem, err := os.ReadFile(a.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("cannot read --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", a.tlsCA)
		}
		cfg.RootCAs = pool
	}
	if a.tlsCert != "" {
		kp, err := tls.LoadX509KeyPair(a.tlsCert, a.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("cannot load --tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	a.client = &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	return a.client, nil
}

// call sends a request to the admin API and decodes its JSON answer into
// out (when non-nil), within 10 s: for the quick endpoints.
func (a *adminFlags) call(ctx context.Context, method, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return a.callLongJSON(ctx, method, path, out)
}

func newStatusCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every node of the cluster, like nodetool status",
		Long: `Ask one node (--host) for the cluster as it sees it and print one line per
node: state (U/D = up/down, N/J/L = normal/joining/leaving), address, load,
tokens, primary ownership, host id and rack.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var nodes []node.ClusterNode
			if err := a.call(cmd.Context(), http.MethodGet, "/cluster/status", &nodes); err != nil {
				return err
			}
			return printStatus(cmd.OutOrStdout(), nodes)
		},
	}
	a.register(cmd)
	return cmd
}

func printStatus(w io.Writer, nodes []node.ClusterNode) error {
	byDC := map[string][]node.ClusterNode{}
	var dcs []string
	for _, n := range nodes {
		if _, ok := byDC[n.DC]; !ok {
			dcs = append(dcs, n.DC)
		}
		byDC[n.DC] = append(byDC[n.DC], n)
	}
	for _, dc := range dcs {
		fmt.Fprintf(w, "Datacenter: %s\n%s\nStatus=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n", dc, strings.Repeat("=", 12+len(dc)))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "--\tAddress\tLoad\tTokens\tOwns\tHost ID\tRack")
		for _, n := range byDC[dc] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f%%\t%s\t%s\n", n.State, n.Address, formatLoad(n.LoadBytes), n.Tokens, 100*n.Owns, n.HostID, n.Rack)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}

// formatLoad prints bytes as nodetool does.
func formatLoad(b int64) string {
	if b < 0 {
		return "?"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(b), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}

func newRingCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "ring",
		Short: "List every token of the ring and its owner, like nodetool ring",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var entries []node.RingEntry
			if err := a.call(cmd.Context(), http.MethodGet, "/cluster/ring", &entries); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "Address\tState\tToken\tHost ID")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Address, e.State, e.Token, e.HostID)
			}
			return tw.Flush()
		},
	}
	a.register(cmd)
	return cmd
}

func newDecommissionCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "decommission",
		Short: "Stream this node's ranges to their next owners, then leave the cluster",
		Long: `Ask the node at --host to leave the cluster: it turns leaving (UL), streams
every range it replicates to the nodes that take them over, and leaves the
ring. Stop its process afterwards; it refuses to start again on the same
data directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 24*time.Hour)
			defer cancel()
			if err := a.callLong(ctx, http.MethodPost, "/cluster/decommission"); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s decommissioned; stop its process now\n", a.host)
			return err
		},
	}
	a.register(cmd)
	return cmd
}

func newDrainCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "drain",
		Short: "Take the node out of service before a restart: announce, finish requests, flush",
		Long: `Ask the node at --host to drain, as before a restart: it tells its peers
and clients through gossip and STATUS_CHANGE DOWN that it is going down,
keeps answering for a moment while drivers take notice, then stops
accepting client connections, finishes the requests in flight and flushes
its storage. The process stays up (internode messaging still answers)
until it is stopped; SIGTERM does the same drain and then exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Minute)
			defer cancel()
			if err := a.callLong(ctx, http.MethodPost, "/node/drain"); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s drained; stop its process now\n", a.host)
			return err
		},
	}
	a.register(cmd)
	return cmd
}

func newRemoveNodeCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "removenode HOSTID",
		Short: "Re-replicate a dead node's ranges and remove it from the ring",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 24*time.Hour)
			defer cancel()
			if err := a.callLong(ctx, http.MethodPost, "/cluster/removenode?host_id="+url.QueryEscape(args[0])); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return err
		},
	}
	a.register(cmd)
	return cmd
}

func newRepairCmd() *cobra.Command {
	var a adminFlags
	var keyspace string
	var primary bool
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Repair the ranges a node replicates with their other replicas (Merkle trees)",
		Long: `Ask the node at --host to repair every range it replicates (only those it
owns as primary with --pr; run it on every node then) of --keyspace, or of
every replicated keyspace: each replica builds a Merkle tree of the range,
and the parts that differ are streamed both ways.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 24*time.Hour)
			defer cancel()
			q := url.Values{}
			if keyspace != "" {
				q.Set("keyspace", keyspace)
			}
			if primary {
				q.Set("pr", "true")
			}
			var res node.RepairResult
			// Progress on stderr, so stdout keeps the one result line.
			if err := runRepair(ctx, &a, "/cluster/repair?"+q.Encode(), cmd.ErrOrStderr(), &res); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "repaired %d ranges; %d sub-ranges differed and were streamed\n", res.Sessions, res.Mismatched)
			return err
		},
	}
	a.register(cmd)
	cmd.Flags().StringVar(&keyspace, "keyspace", "", "keyspace to repair (default: every replicated keyspace)")
	cmd.Flags().BoolVar(&primary, "pr", false, "repair only the ranges this node owns as primary")
	return cmd
}

// callLong is call without the short timeout, for operations that stream
// data (ctx bounds them).
func (a *adminFlags) callLong(ctx context.Context, method, path string) error {
	return a.callLongJSON(ctx, method, path, nil)
}

// maxAdminAnswer bounds an admin API answer the CLI reads: far above any
// status or repair report, low enough that a wrong URL serving a large
// file cannot exhaust the CLI's memory.
const maxAdminAnswer = 16 << 20

// callLongJSON is callLong decoding the answer into out (when non-nil).
func (a *adminFlags) callLongJSON(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.url(path), nil)
	if err != nil {
		return fmt.Errorf("cannot build the request: %w", err)
	}
	resp, err := a.do(req)
	if err != nil {
		return err
	}
	// Close's error cannot change what the caller learns: the answer is
	// read (or refused as too long) before it runs, and a failed Close
	// only costs the pooled connection.
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer+1))
	if err != nil {
		return fmt.Errorf("cannot read the answer of %s: %w", a.host, err)
	}
	if len(body) > maxAdminAnswer {
		// Cut, it would fail to decode with a misleading syntax error.
		return fmt.Errorf("the answer of %s %s from %s exceeds %d bytes", method, path, a.host, maxAdminAnswer)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("cannot decode the answer of %s: %w", a.host, err)
	}
	return nil
}

// localClusterAddrs are the nodes `sibyl cluster` starts: loopback
// addresses Linux answers without set-up, so each node keeps the standard
// ports.
var localClusterAddrs = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}

func newClusterCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Start (or stop) a three-node local cluster on 127.0.0.1-3",
		Long: `Start three nodes in the background on 127.0.0.1, 127.0.0.2 and 127.0.0.3, each
on the standard ports (CQL 9042, messaging 7000, gossip 7001, admin 7199),
with data and logs under --data-dir/<address>. "sibyl cluster stop" stops
them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return startLocalCluster(cmd, dataDir) },
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "./data", "directory holding each node's data and log")
	cmd.AddCommand(&cobra.Command{
		Use:   "stop",
		Short: "Stop the nodes `sibyl cluster` started",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return stopLocalCluster(cmd, dataDir) },
	})
	return cmd
}

func startLocalCluster(cmd *cobra.Command, dataDir string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find the sibyl binary: %w", err)
	}
	out := cmd.OutOrStdout()
	for _, addr := range localClusterAddrs {
		pid, err := startLocalNode(self, dataDir, addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "started %s (pid %d), log in %s\n", addr, pid, filepath.Join(dataDir, addr, "sibyl.log"))
		// One node at a time, each normal (UN) before the next starts: a
		// node allocates its tokens against the ones already there, and
		// two nodes joining at once would make QUORUM need more replicas
		// than exist (pending replicas count, as in Cassandra).
		if err := waitForNormal(cmd.Context(), addr, 120*time.Second); err != nil {
			return fmt.Errorf("node %s did not start (see its log): %w", addr, err)
		}
	}
	fmt.Fprintf(out, `
Three nodes are up. Connect with any driver or cqlsh to 127.0.0.1:9042
(drivers discover the other two). Watch them with:
    sibyl status --host 127.0.0.1
Stop them with:
    sibyl cluster stop --data-dir %s
`, dataDir)
	return nil
}

// startLocalNode starts `sibyl serve` for addr in its own session, so it
// outlives this command, and records its pid.
func startLocalNode(self, dataDir, addr string) (int, error) {
	dir := filepath.Join(dataDir, addr)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if pid, ok := runningPid(dir); ok {
		return 0, fmt.Errorf("a node already runs for %s (pid %d): stop it first", addr, pid)
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "sibyl.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("cannot open the log of %s: %w", addr, err)
	}
	defer func() { _ = logFile.Close() }()
	c := exec.Command(self, "serve", "--listen-address", addr, "--data-dir", filepath.Join(dir, "data"),
		"--seeds", localClusterAddrs[0])
	c.Stdout, c.Stderr = logFile, logFile
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("cannot start the node for %s: %w", addr, err)
	}
	pid := c.Process.Pid
	_ = c.Process.Release()
	if err := os.WriteFile(filepath.Join(dir, "sibyl.pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, fmt.Errorf("cannot record the pid of %s: %w", addr, err)
	}
	return pid, nil
}

// runningPid returns the recorded pid of a node directory if that process
// is still alive.
func runningPid(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "sibyl.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

// waitForNormal waits until the node at host reports itself up and
// normal (UN), and so does the first node of the cluster, so that what
// `sibyl status` prints next agrees.
func waitForNormal(ctx context.Context, host string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := seesNormal(ctx, host, host)
		if err == nil && host != localClusterAddrs[0] {
			err = seesNormal(ctx, localClusterAddrs[0], host)
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// seesNormal reports (as an error) whether the node at viewer does not
// see host up and normal.
func seesNormal(ctx context.Context, viewer, host string) error {
	a := adminFlags{host: viewer, port: node.DefaultAdminPort}
	var nodes []node.ClusterNode
	if err := a.call(ctx, http.MethodGet, "/cluster/status", &nodes); err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Address == host && n.State == "UN" {
			return nil
		}
	}
	return fmt.Errorf("%s does not see %s up and normal yet", viewer, host)
}

func stopLocalCluster(cmd *cobra.Command, dataDir string) error {
	var errs []error
	for _, addr := range localClusterAddrs {
		dir := filepath.Join(dataDir, addr)
		pid, ok := runningPid(dir)
		if !ok {
			fmt.Fprintf(cmd.OutOrStdout(), "%s: not running\n", addr)
			continue
		}
		if err := stopPid(cmd.Context(), pid); err != nil {
			errs = append(errs, fmt.Errorf("cannot stop %s (pid %d): %w", addr, pid, err))
			continue
		}
		// A pid file left behind would name whatever process reuses the
		// pid, and the next stop would signal it: say so.
		if err := os.Remove(filepath.Join(dir, "sibyl.pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("stopped %s (pid %d) but cannot remove its pid file: %w", addr, pid, err))
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: stopped (pid %d)\n", addr, pid)
	}
	return errors.Join(errs...)
}

// stopPid sends SIGTERM (a clean shutdown) and waits up to 30 s for the
// process to exit.
func stopPid(ctx context.Context, pid int) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			return errors.New("still running 30 s after SIGTERM")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
