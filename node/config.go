package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"
)

// Backend names the storage a node keeps its data in.
type Backend string

// Backends.
const (
	// BackendPebble keeps data durably in Pebble under Config.DataDir.
	BackendPebble Backend = "pebble"
	// BackendNull keeps nothing: writes are acknowledged and dropped, reads
	// answer with a synthetic row of the requested shape. It measures the
	// protocol ceiling (server, protocol, executor and coordinator with a
	// storage that costs nothing) for benchmarks; never use it for data.
	BackendNull Backend = "null"
)

// Defaults, each with its reason.
const (
	// DefaultCQLPort is Cassandra's native transport port, which every
	// driver and cqlsh try first.
	DefaultCQLPort = 9042
	// DefaultAdminPort is the port Cassandra uses for JMX (nodetool), the
	// role our HTTP admin API plays.
	DefaultAdminPort = 7199
	// DefaultClusterName is Cassandra's default cluster_name, so drivers
	// configured for a stock single node see what they expect.
	DefaultClusterName = "Test Cluster"
	// DefaultDataCenter and DefaultRack are Cassandra's (and the drivers'
	// examples') defaults for the simple snitch.
	DefaultDataCenter = "datacenter1"
	DefaultRack       = "rack1"
	// DefaultNumTokens is Cassandra 4.x's num_tokens: balanced enough with a
	// token allocator, few enough ranges for repair and streaming.
	DefaultNumTokens = 16
	// DefaultListenAddress keeps a node private to the machine unless the
	// operator says otherwise.
	DefaultListenAddress = "127.0.0.1"
	// DefaultDataDir is relative to the working directory, as `make run`
	// expects.
	DefaultDataDir = "data"
	// DefaultShutdownTimeout bounds how long SIGTERM waits for in-flight
	// requests before connections are cut.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultMaxInFlight bounds concurrently executing requests per client
	// connection; past it the node stops reading from the connection
	// (backpressure; Overloaded only for clients that ask for it with
	// THROW_ON_OVERLOAD). Drivers default to 1024-2048 streams per
	// connection.
	DefaultMaxInFlight = 1024
	// DefaultMaxFrameSize is Cassandra's native_transport_max_frame_size
	// (16 MiB): larger frames are refused with a protocol error.
	DefaultMaxFrameSize = 16 << 20
	// DefaultWriteTimeout and DefaultReadTimeout are Cassandra's
	// write_request_timeout (2 s) and read_request_timeout (5 s).
	DefaultWriteTimeout = 2 * time.Second
	DefaultReadTimeout  = 5 * time.Second
	// DefaultStoragePort is Cassandra's storage_port, where peers reach
	// this node's internode messaging.
	DefaultStoragePort = 7000
	// DefaultGossipPort is the next port: memberlist's gossip (TCP and UDP).
	DefaultGossipPort = 7001
	// DefaultHintWindow is Cassandra's max_hint_window: a replica down
	// longer than this gets no more hints and needs repair.
	DefaultHintWindow = 3 * time.Hour
	// DefaultHintThrottle is Cassandra's hinted_handoff_throttle (1024 KiB/s)
	// for hint replay, so a returning node is not flooded.
	DefaultHintThrottle = 1 << 20
)

// AdminDisabled as Config.AdminPort turns the admin HTTP server off.
const AdminDisabled = -1

// Config is everything a node needs to start. Zero values mean "default";
// callers fill what they care about, then New applies EnsureDefaults and
// Validate to a copy. Only cmd/ reads files, flags or the environment: a
// Config is plain data.
type Config struct {
	// DataDir holds the node's Pebble store (ignored by BackendNull).
	DataDir string `yaml:"data_dir"`
	// ListenAddress is the address every port of the node binds, and the
	// address it advertises to clients and peers. It must be a concrete
	// address (not 0.0.0.0): drivers connect to what system.local reports.
	ListenAddress string `yaml:"listen_address"`
	// CQLPort is the native-protocol port; 0 means DefaultCQLPort.
	CQLPort int `yaml:"cql_port"`
	// AdminPort is the HTTP admin port; 0 means DefaultAdminPort and
	// AdminDisabled turns it off.
	AdminPort int `yaml:"admin_port"`
	// EnablePprof mounts net/http/pprof under /debug/pprof on the admin
	// port. Off by default: profiles expose internals and cost CPU.
	EnablePprof bool `yaml:"enable_pprof"`

	ClusterName string   `yaml:"cluster_name"`
	DataCenter  string   `yaml:"dc"`
	Rack        string   `yaml:"rack"`
	NumTokens   int      `yaml:"num_tokens"`
	Seeds       []string `yaml:"seeds"`
	// StoragePort is the internode messaging port; 0 means
	// DefaultStoragePort. GossipPort is memberlist's; 0 means
	// DefaultGossipPort. Seeds given as bare addresses use GossipPort.
	StoragePort int `yaml:"storage_port"`
	GossipPort  int `yaml:"gossip_port"`
	// HintWindow bounds how long a down replica collects hints; 0 means
	// DefaultHintWindow. HintThrottle is hint replay's bytes per second; 0
	// means DefaultHintThrottle.
	HintWindow   time.Duration `yaml:"hint_window"`
	HintThrottle int64         `yaml:"hint_throttle"`

	// Backend selects the storage; "" means BackendPebble.
	Backend Backend `yaml:"backend"`

	// MaxInFlight bounds concurrent requests per client connection; past
	// it the node stops reading from the connection until answers drain.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxRequestDataInFlight bounds the bytes of requests and answers in
	// flight across all client connections (Cassandra's
	// native_transport_max_request_data_in_flight); past it the node
	// stops reading from connections until answers drain. 0 means the
	// server's default, derived from the machine's memory.
	MaxRequestDataInFlight int64 `yaml:"native_transport_max_request_data_in_flight"`
	// MaxRequestDataInFlightPerIP is the same bound per client address; 0
	// means a quarter of MaxRequestDataInFlight.
	MaxRequestDataInFlightPerIP int64 `yaml:"native_transport_max_request_data_in_flight_per_ip"`
	// FrameTimeout bounds the wait for the rest of a frame a client has
	// started to send; 0 means the server's default (30 s).
	FrameTimeout time.Duration `yaml:"native_transport_frame_timeout"`
	// MaxFrameSize bounds a native-protocol frame's body, in bytes.
	MaxFrameSize int `yaml:"max_frame_size"`
	// WriteTimeout and ReadTimeout bound how long the coordinator waits for
	// replicas before answering WriteTimeout or ReadTimeout.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	// SlowQueryLogTimeout logs, at WARN, every client request that takes
	// at least this long: its query, its duration and its trace session
	// id when it was traced (Cassandra's slow_query_log_timeout, there
	// 500ms); 0 turns the log off.
	SlowQueryLogTimeout time.Duration `yaml:"slow_query_log_timeout"`
	// MaxTimestampAhead bounds how far ahead of this node's clock a
	// client-supplied write timestamp may be (USING TIMESTAMP or the
	// protocol's default timestamp); further is refused with Invalid. 0
	// means one hour (exec.DefaultMaxTimestampAhead), negative turns the
	// guard off.
	MaxTimestampAhead time.Duration `yaml:"max_timestamp_ahead"`
	// ShutdownTimeout bounds the drain of client connections on Close.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// StorageCacheSize is Pebble's block cache in bytes; 0 lets storage
	// choose its default (64 MiB). The memtables (three of 32 MiB) come on
	// top.
	StorageCacheSize int64 `yaml:"storage_cache_size"`

	// ClientEncryption is TLS on the CQL port and ServerEncryption TLS
	// between nodes plus gossip's key, under Cassandra's names (tls.go).
	ClientEncryption ClientEncryptionOptions `yaml:"client_encryption_options"`
	// Auth is authentication, authorization and the admin API's access
	// (config_auth.go).
	Auth             AuthConfig              `yaml:",inline"`
	ServerEncryption ServerEncryptionOptions `yaml:"server_encryption_options"`

	// CQLListener and AdminListener, when set, are used instead of binding
	// ListenAddress:CQLPort and ListenAddress:AdminPort. Tests pass
	// listeners on 127.0.0.1:0 so ports never collide; the node takes
	// ownership and closes them.
	CQLListener   net.Listener `yaml:"-"`
	AdminListener net.Listener `yaml:"-"`
	// MessagingListener likewise replaces binding ListenAddress:StoragePort.
	MessagingListener net.Listener `yaml:"-"`
	// Network, when set, carries this node's internode traffic instead of
	// the real network: a fault harness's way to partition, delay and
	// pause links between in-process nodes (network.go).
	Network Network `yaml:"-"`

	// Logger receives the node's structured logs; nil discards them.
	Logger *slog.Logger `yaml:"-"`
	// Now is the node's clock; nil means time.Now. Tests inject one to
	// expire TTLs without waiting.
	Now func() time.Time `yaml:"-"`

	// unsafeStorageSync, set only by benchmarks in this package, is
	// storage.Options.UnsafePeriodicSync: acknowledging writes before
	// their WAL sync isolates the coordinator's and messaging's cost from
	// the disk's. Never configurable: it breaks the durability invariant.
	unsafeStorageSync time.Duration
}

// Clone returns a copy of c that shares nothing mutable with it.
func (c *Config) Clone() *Config {
	n := *c
	n.Seeds = append([]string(nil), c.Seeds...)
	return &n
}

// EnsureDefaults fills every zero field with its default.
func (c *Config) EnsureDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.ListenAddress == "" {
		c.ListenAddress = DefaultListenAddress
	}
	if c.CQLPort == 0 {
		c.CQLPort = DefaultCQLPort
	}
	if c.AdminPort == 0 {
		c.AdminPort = DefaultAdminPort
	}
	c.ensureClusterDefaults()
	c.Auth.ensureDefaults()
	c.ensureLimitDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *Config) ensureClusterDefaults() {
	if c.ClusterName == "" {
		c.ClusterName = DefaultClusterName
	}
	if c.DataCenter == "" {
		c.DataCenter = DefaultDataCenter
	}
	if c.Rack == "" {
		c.Rack = DefaultRack
	}
	if c.NumTokens == 0 {
		c.NumTokens = DefaultNumTokens
	}
	c.ensureClusterPortDefaults()
	if c.Backend == "" {
		c.Backend = BackendPebble
	}
}

func (c *Config) ensureLimitDefaults() {
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
}

// Validate reports every problem with c at once. It assumes EnsureDefaults
// has run.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if addr, err := netip.ParseAddr(c.ListenAddress); err != nil {
		add("listen_address %q is not an IP address: %w", c.ListenAddress, err)
	} else if addr.IsUnspecified() {
		add("listen_address %s is unspecified: drivers connect to the address a node advertises, so give a concrete one", addr)
	}
	checkPort(add, "cql_port", c.CQLPort, false)
	checkPort(add, "admin_port", c.AdminPort, true)
	c.validateCluster(add)
	if c.AdminPort == c.CQLPort {
		add("admin_port and cql_port are both %d", c.CQLPort)
	}
	if c.NumTokens < 1 || c.NumTokens > 1536 {
		add("num_tokens %d is outside [1, 1536]", c.NumTokens)
	}
	checkName(add, "cluster_name", c.ClusterName)
	checkName(add, "dc", c.DataCenter)
	checkName(add, "rack", c.Rack)
	if c.Backend != BackendPebble && c.Backend != BackendNull {
		add("backend %q is not one of %q, %q", c.Backend, BackendPebble, BackendNull)
	}
	if c.Backend == BackendPebble && filepath.Clean(c.DataDir) == "" {
		add("data_dir is empty")
	}
	c.validateLimits(add)
	c.validateEncryption(add)
	c.Auth.validate(add)
	if c.Auth.AdminTLS && !c.ClientEncryption.Enabled {
		add("admin_tls needs client_encryption_options (its certificate)")
	}
	validateSeeds(add, c.Seeds) // config_seeds.go
	return errors.Join(errs...)
}

func (c *Config) validateLimits(add func(string, ...any)) {
	if c.MaxInFlight < 1 {
		add("max_in_flight %d must be positive", c.MaxInFlight)
	}
	if c.MaxFrameSize < 64<<10 || c.MaxFrameSize > 256<<20 {
		add("max_frame_size %d is outside [64 KiB, 256 MiB]", c.MaxFrameSize)
	}
	if c.WriteTimeout < 0 || c.ReadTimeout < 0 || c.ShutdownTimeout < 0 {
		add("timeouts must not be negative")
	}
	if c.MaxRequestDataInFlight < 0 || c.MaxRequestDataInFlightPerIP < 0 || c.FrameTimeout < 0 {
		add("native_transport_max_request_data_in_flight(_per_ip) and native_transport_frame_timeout must not be negative")
	}
	if c.StorageCacheSize < 0 {
		add("storage_cache_size %d must not be negative", c.StorageCacheSize)
	}
}

func checkPort(add func(string, ...any), name string, port int, disableable bool) {
	if disableable && port == AdminDisabled {
		return
	}
	if port < 1 || port > 65535 {
		add("%s %d is outside [1, 65535]", name, port)
	}
}

// maxNameLen bounds cluster_name, dc and rack: all three travel in every
// gossip message, whose metadata memberlist caps at 512 bytes.
const maxNameLen = 128

func checkName(add func(string, ...any), field, v string) {
	if strings.TrimSpace(v) == "" {
		add("%s is empty", field)
	}
	if len(v) > maxNameLen {
		add("%s is %d bytes long; at most %d", field, len(v), maxNameLen)
	}
}
