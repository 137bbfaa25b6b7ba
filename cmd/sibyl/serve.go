package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sibyldb/sibyl/node"
)

// serveFlags are `sibyl serve`'s flags. Each overrides the YAML file's key
// of the same meaning only when given on the command line.
type serveFlags struct {
	configFile    string
	dataDir       string
	listenAddress string
	listenIface   string
	cqlPort       int
	adminPort     int
	clusterName   string
	dc            string
	rack          string
	numTokens     int
	seeds         []string
	storagePort   int
	gossipPort    int
	backend       string
	logLevel      string
	logFormat     string
	pprof         bool
	tls           tlsFlags
	authenticator string
	authorizer    string
}

// tlsFlags are serve's transport-security flags: each sets the
// client_encryption_options or server_encryption_options key of the same
// meaning, and giving a certificate turns the encryption on.
type tlsFlags struct {
	clientCert, clientKey, clientCA        string
	clientOptional, clientRequireAuth      bool
	internodeCert, internodeKey, internode string
	internodeCA, gossipKeyFile             string
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a node",
		Long: `Run a Sibyl node: the CQL native protocol on --listen-address:--cql-port and
the HTTP admin API (status, /metrics) on --listen-address:--admin-port.
SIGINT or SIGTERM drains client connections and closes storage cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd.Flags())
			if err != nil {
				return err
			}
			return node.Run(cmd.Context(), cfg)
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func (f *serveFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.configFile, "config", "", "YAML configuration file (flags given on the command line override it)")
	fs.StringVar(&f.dataDir, "data-dir", "./data", "directory of the node's data")
	fs.StringVar(&f.listenAddress, "listen-address", node.DefaultListenAddress, "address every port of the node binds and advertises")
	fs.StringVar(&f.listenIface, "listen-interface", "", "take the listen address from this network interface (its first IPv4 address), e.g. eth0 in a container; instead of --listen-address")
	fs.IntVar(&f.cqlPort, "cql-port", node.DefaultCQLPort, "CQL native protocol port")
	fs.IntVar(&f.adminPort, "admin-port", node.DefaultAdminPort, "HTTP admin port (-1 disables it)")
	fs.StringVar(&f.clusterName, "cluster-name", node.DefaultClusterName, "cluster name reported to clients")
	fs.StringVar(&f.dc, "dc", node.DefaultDataCenter, "data center of this node")
	fs.StringVar(&f.rack, "rack", node.DefaultRack, "rack of this node")
	fs.IntVar(&f.numTokens, "num-tokens", node.DefaultNumTokens, "number of tokens (vnodes) this node owns; fixed at first start")
	fs.StringSliceVar(&f.seeds, "seeds", nil, "comma-separated addresses of seed nodes to join through (none: start a new cluster)")
	fs.IntVar(&f.storagePort, "storage-port", node.DefaultStoragePort, "internode messaging port")
	fs.IntVar(&f.gossipPort, "gossip-port", node.DefaultGossipPort, "gossip (memberlist) port, TCP and UDP; seeds given without a port use it")
	fs.StringVar(&f.backend, "backend", string(node.BackendPebble), "storage backend: pebble, or null (keeps nothing; a benchmark ceiling)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&f.pprof, "pprof", false, "serve /debug/pprof on the admin port")
	fs.StringVar(&f.authenticator, "authenticator", node.AllowAllAuthenticator, "AllowAllAuthenticator, or PasswordAuthenticator: clients log in with a role's password (the first start creates superuser cassandra, password from $SIBYL_INITIAL_SUPERUSER_PASSWORD or 'cassandra')")
	fs.StringVar(&f.authorizer, "authorizer", node.AllowAllAuthorizer, "AllowAllAuthorizer, or CassandraAuthorizer: GRANTed permissions are enforced (needs PasswordAuthenticator)")
	t := &f.tls
	fs.StringVar(&t.clientCert, "client-tls-cert", "", "PEM certificate for TLS on the CQL port (turns client_encryption_options on)")
	fs.StringVar(&t.clientKey, "client-tls-key", "", "PEM private key of --client-tls-cert")
	fs.StringVar(&t.clientCA, "client-tls-ca", "", "PEM CA bundle client certificates are verified against")
	fs.BoolVar(&t.clientOptional, "client-tls-optional", false, "accept plaintext clients too, on the same port")
	fs.BoolVar(&t.clientRequireAuth, "client-tls-require-client-auth", false, "refuse clients without a certificate signed by --client-tls-ca")
	fs.StringVar(&t.internode, "internode-encryption", "", "internode encryption: none or all (mutual TLS for messaging, a shared key for gossip)")
	fs.StringVar(&t.internodeCert, "internode-tls-cert", "", "PEM certificate of this node for internode TLS (implies --internode-encryption all)")
	fs.StringVar(&t.internodeKey, "internode-tls-key", "", "PEM private key of --internode-tls-cert")
	fs.StringVar(&t.internodeCA, "internode-tls-ca", "", "PEM CA bundle peers' certificates must chain to")
	fs.StringVar(&t.gossipKeyFile, "gossip-key-file", "", "file holding gossip's encryption key: 16, 24 or 32 bytes, raw or base64, the same on every node")
}

// config builds the node configuration: defaults, then the YAML file, then
// the flags that were set explicitly.
func (f *serveFlags) config(fs *pflag.FlagSet) (node.Config, error) {
	var cfg node.Config
	file := fileConfig{LogLevel: "info", LogFormat: "text"}
	if f.configFile != "" {
		if err := loadFileConfig(f.configFile, &file); err != nil {
			return cfg, err
		}
		cfg = file.Config
	} else {
		cfg = flagDefaults(f)
	}
	f.override(fs, &cfg, &file)
	if fs.Changed("listen-interface") {
		if fs.Changed("listen-address") {
			return cfg, fmt.Errorf("give --listen-address or --listen-interface, not both")
		}
		addr, err := interfaceAddress(f.listenIface)
		if err != nil {
			return cfg, err
		}
		cfg.ListenAddress = addr
	}
	logger, err := newLogger(file.LogLevel, file.LogFormat)
	if err != nil {
		return cfg, err
	}
	cfg.Logger = logger
	return cfg, nil
}

// flagDefaults is the configuration when there is no file: every flag's
// default value.
func flagDefaults(f *serveFlags) node.Config {
	return node.Config{
		DataDir: f.dataDir, ListenAddress: f.listenAddress, CQLPort: f.cqlPort,
		AdminPort: f.adminPort, ClusterName: f.clusterName, DataCenter: f.dc,
		Rack: f.rack, NumTokens: f.numTokens, Seeds: f.seeds,
		StoragePort: f.storagePort, GossipPort: f.gossipPort,
		Backend: node.Backend(f.backend), EnablePprof: f.pprof,
	}
}

// override applies the flags set on the command line on top of cfg.
func (f *serveFlags) override(fs *pflag.FlagSet, cfg *node.Config, file *fileConfig) {
	set := func(name string, apply func()) {
		if fs.Changed(name) {
			apply()
		}
	}
	set("data-dir", func() { cfg.DataDir = f.dataDir })
	set("listen-address", func() { cfg.ListenAddress = f.listenAddress })
	set("cql-port", func() { cfg.CQLPort = f.cqlPort })
	set("admin-port", func() { cfg.AdminPort = f.adminPort })
	set("cluster-name", func() { cfg.ClusterName = f.clusterName })
	set("dc", func() { cfg.DataCenter = f.dc })
	set("rack", func() { cfg.Rack = f.rack })
	set("num-tokens", func() { cfg.NumTokens = f.numTokens })
	set("seeds", func() { cfg.Seeds = f.seeds })
	set("storage-port", func() { cfg.StoragePort = f.storagePort })
	set("gossip-port", func() { cfg.GossipPort = f.gossipPort })
	set("backend", func() { cfg.Backend = node.Backend(f.backend) })
	set("pprof", func() { cfg.EnablePprof = f.pprof })
	set("log-level", func() { file.LogLevel = f.logLevel })
	set("log-format", func() { file.LogFormat = f.logFormat })
	f.tls.override(set, cfg)
	set("authenticator", func() { cfg.Auth.Authenticator = f.authenticator })
	set("authorizer", func() { cfg.Auth.Authorizer = f.authorizer })
	// The initial superuser password comes from the environment only, so
	// it never shows in the process list.
	cfg.Auth.InitialSuperuserPassword = os.Getenv("SIBYL_INITIAL_SUPERUSER_PASSWORD")
}

func (t *tlsFlags) override(set func(string, func()), cfg *node.Config) {
	ce, se := &cfg.ClientEncryption, &cfg.ServerEncryption
	set("client-tls-cert", func() { ce.Certificate, ce.Enabled = t.clientCert, true })
	set("client-tls-key", func() { ce.PrivateKey = t.clientKey })
	set("client-tls-ca", func() { ce.TrustedCertificates = t.clientCA })
	set("client-tls-optional", func() { ce.Optional = t.clientOptional })
	set("client-tls-require-client-auth", func() { ce.RequireClientAuth = t.clientRequireAuth })
	set("internode-tls-cert", func() { se.Certificate, se.InternodeEncryption = t.internodeCert, node.InternodeEncryptionAll })
	set("internode-encryption", func() { se.InternodeEncryption = t.internode })
	set("internode-tls-key", func() { se.PrivateKey = t.internodeKey })
	set("internode-tls-ca", func() { se.TrustedCertificates = t.internodeCA })
	set("gossip-key-file", func() { se.GossipKeyFile = t.gossipKeyFile })
}

// newLogger returns the process's structured logger, on stderr.
func newLogger(level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid log level %q: %w", level, err)
	}
	// node's handler: one component key per line, levels per component
	// changeable at run time (sibyl setlogginglevel).
	h, err := node.NewLogHandler(os.Stderr, format, lvl)
	if err != nil {
		return nil, err
	}
	return slog.New(h), nil
}
