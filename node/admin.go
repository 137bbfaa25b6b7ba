package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// adminServer is the node's HTTP admin API: JSON status, Prometheus
// metrics and, when enabled, pprof. The cluster's operations (ring,
// decommission, repair) are added to the same mux.
type adminServer struct {
	ln  net.Listener
	srv *http.Server
}

func (n *Node) listenAdmin() error {
	if n.cfg.AdminPort == AdminDisabled && n.cfg.AdminListener == nil {
		return nil
	}
	ln := n.cfg.AdminListener
	if ln == nil {
		host := n.cfg.Auth.AdminListenAddress
		if host == "" {
			host = n.cfg.ListenAddress
		}
		addr := net.JoinHostPort(host, strconv.Itoa(n.cfg.AdminPort))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("cannot listen for admin http on %s: %w", addr, err)
		}
		ln = l
	}
	n.adminLn = ln
	if !n.cfg.Auth.AdminTLS {
		return nil
	}
	// admin_tls: the client certificate's TLS, so the credentials the
	// admin API asks for never cross the network in clear.
	tlsCfg, err := clientTLSConfig(n.cfg.ClientEncryption, n.log.With("component", "admin"))
	if err != nil {
		_ = ln.Close()
		return err
	}
	n.adminLn = newTLSListener(ln, tlsCfg, false)
	return nil
}

// newAdminServer builds the admin API's handler over the node.
func (n *Node) newAdminServer(reg *prometheus.Registry) *adminServer {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", n.handleStatus)
	mux.HandleFunc("GET /status", n.handleStatus)
	mux.HandleFunc("GET /health", n.handleHealth)
	n.registerClusterAdmin(mux)
	n.registerTracingAdmin(mux)
	n.registerOpsAdmin(mux) // admin_ops.go: the nodetool-like verbs
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if n.cfg.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{
		Handler:           n.adminAuth(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	return &adminServer{ln: n.adminLn, srv: srv}
}

// serve runs the HTTP server until ctx is cancelled.
func (a *adminServer) serve(ctx context.Context) error {
	a.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	stopOnCancel := context.AfterFunc(ctx, func() { _ = a.srv.Close() })
	defer stopOnCancel()
	err := a.srv.Serve(a.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("cannot serve admin http: %w", err)
}

// shutdown stops accepting requests and waits for those in flight.
func (a *adminServer) shutdown(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("cannot shut down admin http: %w", err)
	}
	return nil
}

// newRegistry returns the node's Prometheus registry with the Go runtime
// and process collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func (n *Node) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (n *Node) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.Status())
}

// writeJSON answers code with v as indented JSON. v is encoded before the
// status goes out, so a value that does not encode (a bug) is a 500 that
// says why, not the status with a cut body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, fmt.Sprintf("cannot encode the answer: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// A failed write means the client left: nobody is left to tell.
	_, _ = w.Write(append(body, '\n'))
}
