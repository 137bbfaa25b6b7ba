package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/internal/stop"
)

// Node is one running Sibyl node. New opens its storage and binds its
// ports; Serve runs it until its context ends; Close shuts it down.
type Node struct {
	cfg     *Config // immutable after New
	log     *slog.Logger
	started time.Time

	group *stop.Group // owns every goroutine the node starts

	metrics *prometheus.Registry
	adminLn net.Listener
	admin   *adminServer

	closeOnce sync.Once
	closeErr  error
}

// Run starts a node from cfg, serves until ctx is cancelled (SIGINT or
// SIGTERM in `sibyl serve`) or a part of the node fails, then shuts down
// gracefully. It returns the first failure, or nil after a clean stop.
func Run(ctx context.Context, cfg Config) error {
	n, err := New(cfg)
	if err != nil {
		return err
	}
	serveErr := n.Serve(ctx)
	closeErr := n.Close()
	return errors.Join(serveErr, closeErr)
}

// New validates cfg, opens the node's storage, loads or creates its
// identity and binds its ports, so that configuration and port errors
// surface before anything runs. The caller must Close the node.
func New(cfg Config) (n *Node, err error) {
	c := cfg.Clone()
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid node configuration: %w", err)
	}
	n = &Node{cfg: c, log: c.Logger, started: c.Now(), group: stop.New(context.Background())}
	defer func() {
		if err != nil {
			err = errors.Join(err, n.Close())
			n = nil
		}
	}()
	if err := n.open(); err != nil {
		return n, err
	}
	return n, nil
}

// open builds every part of the node in dependency order.
func (n *Node) open() error {
	n.metrics = newRegistry()
	if err := n.listenAdmin(); err != nil {
		return err
	}
	if n.adminLn != nil {
		n.admin = n.newAdminServer(n.metrics)
	}
	return nil
}

// listen returns ln when it is set, or a listener on the node's address.
func (n *Node) listen(ln net.Listener, port int, what string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	addr := net.JoinHostPort(n.cfg.ListenAddress, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for %s on %s: %w", what, addr, err)
	}
	return l, nil
}

// Serve runs the node's servers until ctx is cancelled or one of them
// fails. It does not close the node: call Close afterwards.
func (n *Node) Serve(ctx context.Context) error {
	if err := n.startServers(); err != nil {
		return err
	}
	n.log.Info("node started", n.startupAttrs()...)
	select {
	case <-ctx.Done():
		n.log.Info("shutting down", "reason", context.Cause(ctx))
		return nil
	case <-n.group.Done():
		err := n.group.Cause()
		n.log.Error("node failed", "err", err)
		return err
	}
}

func (n *Node) startServers() error {
	if n.admin != nil {
		if err := n.group.Go("node.admin: serve http", n.admin.serve); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) startupAttrs() []any {
	attrs := []any{"cluster", n.cfg.ClusterName, "dc", n.cfg.DataCenter, "rack", n.cfg.Rack,
		"backend", string(n.cfg.Backend)}
	if n.adminLn != nil {
		attrs = append(attrs, "admin", n.adminLn.Addr().String())
	}
	return attrs
}

// AdminAddr is the address the admin HTTP server listens on, or nil when it
// is disabled.
func (n *Node) AdminAddr() net.Addr {
	if n.adminLn == nil {
		return nil
	}
	return n.adminLn.Addr()
}

// Close stops the node: it stops accepting connections, drains the ones in
// flight for up to Config.ShutdownTimeout, stops every task and closes
// storage. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown() })
	return n.closeErr
}

func (n *Node) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if n.admin != nil {
		errs = append(errs, n.admin.shutdown(ctx))
	} else if n.adminLn != nil {
		errs = append(errs, n.adminLn.Close())
	}
	errs = append(errs, n.group.Stop())
	err := errors.Join(errs...)
	if err != nil {
		n.log.Error("node stopped with errors", "err", err)
	} else {
		n.log.Info("node stopped")
	}
	return err
}
