package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Every node keeps the standard ports, as ccm's nodes do for the suites
// (TestDiscoverViaProxy, for one, dials the first host on 9042).
const (
	cqlPort   = 9042
	adminPort = 7199
)

func nodeAddr(i int) string { return fmt.Sprintf("127.0.0.%d", i+1) }

// commandInNamespace prepares self re-executed with args: in a new network
// namespace when netns is set (as root, or as an unprivileged user in a new
// user namespace where it is root). The child dies with this process.
func commandInNamespace(ctx context.Context, netns bool, self string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, self, args...)
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if netns {
		attr.Cloneflags = syscall.CLONE_NEWNET
		if os.Geteuid() != 0 {
			attr.Cloneflags |= syscall.CLONE_NEWUSER
			attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
			attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		}
	}
	cmd.SysProcAttr = attr
	// On ^C, let the pass stop its nodes cleanly.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	return cmd
}

// loopbackUp sets lo up: a new network namespace starts with it down.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer func() { _ = syscall.Close(fd) }()
	var ifr [40]byte // struct ifreq: the name, then ifr_flags (a short)
	copy(ifr[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", e)
	}
	flags := (*uint16)(unsafe.Pointer(&ifr[16]))
	*flags |= syscall.IFF_UP
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", e)
	}
	return nil
}

type nodeProc struct {
	addr string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

func (n *nodeProc) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// A cluster is a set of fresh nodes on 127.0.0.1..n, data and logs under dir.
type cluster struct {
	nodes []*nodeProc
	dir   string
}

// startCluster starts n nodes one after the other (each joins through the
// first, as `sibyl cluster` does), each with the extra serve flags, and
// waits until every node sees all of them up and normal.
func startCluster(ctx context.Context, sibyl, dir string, n int, extra []string) (*cluster, error) {
	c := &cluster{dir: dir}
	for i := 0; i < n; i++ {
		addr := nodeAddr(i)
		if l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(cqlPort))); err != nil {
			return c, fmt.Errorf("%s:%d is taken (run in a network namespace, -netns): %w", addr, cqlPort, err)
		} else {
			_ = l.Close()
		}
		nd := filepath.Join(dir, addr)
		if err := os.MkdirAll(nd, 0o755); err != nil {
			return c, err
		}
		args := []string{"serve", "--listen-address", addr, "--data-dir", filepath.Join(nd, "data")}
		if i > 0 {
			args = append(args, "--seeds", nodeAddr(0))
		}
		args = append(args, extra...)
		p := &nodeProc{addr: addr, log: filepath.Join(nd, "sibyl.log"), done: make(chan struct{})}
		f, err := os.Create(p.log)
		if err != nil {
			return c, err
		}
		p.cmd = exec.Command(sibyl, args...)
		p.cmd.Stdout, p.cmd.Stderr = f, f
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		err = p.cmd.Start()
		_ = f.Close()
		if err != nil {
			return c, fmt.Errorf("starting %s: %w", addr, err)
		}
		go func() { _ = p.cmd.Wait(); close(p.done) }()
		c.nodes = append(c.nodes, p)
		if err := waitNormal(ctx, p, i+1, 2*time.Minute); err != nil {
			return c, err
		}
	}
	for _, p := range c.nodes {
		if err := waitNormal(ctx, p, n, time.Minute); err != nil {
			return c, err
		}
	}
	return c, nil
}

// waitNormal waits until node p answers CQL and its admin API lists at
// least want nodes, all up and normal.
func waitNormal(ctx context.Context, p *nodeProc, want int, d time.Duration) error {
	deadline := time.Now().Add(d)
	client := &http.Client{Timeout: 2 * time.Second}
	url := fmt.Sprintf("http://%s/cluster/status", net.JoinHostPort(p.addr, strconv.Itoa(adminPort)))
	var last error
	for {
		if p.exited() {
			return fmt.Errorf("node %s exited while starting:\n%s", p.addr, tail(p.log, 20))
		}
		if err := checkNormal(client, url, p.addr, want); err != nil {
			last = err
		} else if conn, err := net.DialTimeout("tcp", net.JoinHostPort(p.addr, strconv.Itoa(cqlPort)), time.Second); err != nil {
			last = err
		} else {
			_ = conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s not up and normal with %d nodes after %s: %v\n%s", p.addr, want, d, last, tail(p.log, 20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func checkNormal(client *http.Client, url, self string, want int) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// The default superuser: the authentication pass's nodes want a
	// superuser on the admin API; the others ignore credentials.
	req.SetBasicAuth("cassandra", "cassandra")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	var nodes []struct{ State, Address string }
	if err := json.NewDecoder(resp.Body).Decode(&nodes); err != nil {
		return err
	}
	up, selfUp := 0, false
	for _, n := range nodes {
		if n.State == "UN" {
			up++
			selfUp = selfUp || n.Address == self
		}
	}
	if !selfUp || up < want {
		return fmt.Errorf("%d of %d nodes up and normal", up, want)
	}
	return nil
}

// tlsFlags turn on client TLS as upstream CI configures Cassandra
// (client_encryption_options with require_client_auth), with the server
// key pair and CA of the suite's own testdata/pki; -runssl makes the
// suites present testdata/pki/gocql.crt, which that CA signed.
func tlsFlags(src string) []string {
	pki := filepath.Join(src, "testdata", "pki")
	return []string{
		"--client-tls-cert", filepath.Join(pki, "cassandra.crt"),
		"--client-tls-key", filepath.Join(pki, "cassandra.key"),
		"--client-tls-ca", filepath.Join(pki, "ca.crt"),
		"--client-tls-require-client-auth",
	}
}

// dead returns the nodes that have exited.
func (c *cluster) dead() []*nodeProc {
	var out []*nodeProc
	for _, p := range c.nodes {
		if p.exited() {
			out = append(out, p)
		}
	}
	return out
}

// stop sends SIGTERM to every node (a clean drain) and SIGKILL to those
// still running 30 s later.
func (c *cluster) stop() {
	for _, p := range c.nodes {
		if !p.exited() {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.After(30 * time.Second)
	for _, p := range c.nodes {
		select {
		case <-p.done:
		case <-deadline:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
