package exec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

// Config is what an Executor needs from the node that runs it.
type Config struct {
	// Coordinator performs reads and writes at a consistency level.
	Coordinator Coordinator
	// Schema holds the catalog and applies DDL.
	Schema SchemaStore
	// Cluster describes the nodes for system.local and system.peers.
	Cluster ClusterInfo
	// Token computes the partitioner token of a serialized partition key
	// (the routing-key form). The executor never assumes a partitioner;
	// node/ passes ring's Cassandra Murmur3.
	Token func(partitionKey []byte) int64
	// Now is the wall clock; nil means time.Now. Tests inject a fake one
	// to expire TTLs.
	Now func() time.Time
	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger
	// Events, when set, is called after every successful schema change
	// with its SCHEMA_CHANGE event. It must not block.
	Events func(Event)
	// MaxPrepared bounds the prepared-statement cache; 0 means 10000
	// (Cassandra sizes its cache by memory; ten thousand distinct
	// statements is more than any sane application prepares).
	MaxPrepared int
	// MaxTimestampAhead bounds how far ahead of this node's clock a
	// client-supplied write timestamp (USING TIMESTAMP, or the default
	// timestamp of QUERY, EXECUTE and BATCH) may be; a later one is
	// refused with Invalid and counted in Metrics. 0 means
	// DefaultMaxTimestampAhead; a negative value turns the guard off, as
	// in Cassandra, which has none.
	MaxTimestampAhead time.Duration
	// BatchSizeWarnThreshold and BatchSizeFailThreshold are Cassandra's
	// batch_size_warn_threshold and batch_size_fail_threshold, in bytes
	// of mutation data: a batch over several partitions larger than the
	// first gets a client warning, larger than the second is refused.
	// 0 means the default (5 KiB, 50 KiB); a negative value turns the
	// check off.
	BatchSizeWarnThreshold int
	BatchSizeFailThreshold int

	// IndexBuilt reports whether this node's entries of a secondary index
	// are complete (system."IndexInfo" lists those); nil reports every
	// index built.
	IndexBuilt func(table schema.TableID, index uint32) bool

	// Authenticator is set when clients log in with a password
	// (Cassandra's authenticator: PasswordAuthenticator); the node then
	// uses Executor.Authenticate as the server's credentials check and
	// calls EnsureDefaultSuperuser at start. Off is AllowAllAuthenticator.
	Authenticator bool
	// Authorizer is set when permissions are enforced (authorizer:
	// CassandraAuthorizer); off is AllowAllAuthorizer. It needs
	// Authenticator, as in Cassandra: a session that has not logged in is
	// refused everything.
	Authorizer bool
	// AuthCacheValidity is how long credentials, roles and permissions
	// are cached (Cassandra's credentials_validity, roles_validity and
	// permissions_validity); 0 means DefaultAuthCacheValidity, a negative
	// value turns the caches off.
	AuthCacheValidity time.Duration
	// BcryptCost is the log2 of bcrypt's rounds for new password hashes
	// (auth_bcrypt_gensalt_log2_rounds); 0 means DefaultBcryptCost.
	BcryptCost int
	// AuthReadConsistency and AuthWriteConsistency are Cassandra's
	// auth_read_consistency_level and auth_write_consistency_level, for
	// every role but the default superuser (always QUORUM); 0 means
	// DefaultAuthReadConsistency (LOCAL_QUORUM) and
	// DefaultAuthWriteConsistency (EACH_QUORUM).
	AuthReadConsistency  Consistency
	AuthWriteConsistency Consistency
}

// EnsureDefaults fills zero fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxPrepared <= 0 {
		c.MaxPrepared = 10000
	}
	if c.MaxTimestampAhead == 0 {
		c.MaxTimestampAhead = DefaultMaxTimestampAhead
	}
	if c.BatchSizeWarnThreshold == 0 {
		c.BatchSizeWarnThreshold = DefaultBatchSizeWarnThreshold
	}
	if c.BatchSizeFailThreshold == 0 {
		c.BatchSizeFailThreshold = DefaultBatchSizeFailThreshold
	}
	if c.AuthCacheValidity == 0 {
		c.AuthCacheValidity = DefaultAuthCacheValidity
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = DefaultBcryptCost
	}
	if c.AuthReadConsistency == Any {
		c.AuthReadConsistency = DefaultAuthReadConsistency
	}
	if c.AuthWriteConsistency == Any {
		c.AuthWriteConsistency = DefaultAuthWriteConsistency
	}
}

// Validate reports every missing required field at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Coordinator == nil {
		errs = append(errs, errors.New("exec: Config.Coordinator is required"))
	}
	if c.Schema == nil {
		errs = append(errs, errors.New("exec: Config.Schema is required"))
	}
	if c.Cluster == nil {
		errs = append(errs, errors.New("exec: Config.Cluster is required"))
	}
	if c.Token == nil {
		errs = append(errs, errors.New("exec: Config.Token is required"))
	}
	if c.Authorizer && !c.Authenticator {
		// Cassandra's DatabaseDescriptor refuses the same.
		errs = append(errs, errors.New("exec: AllowAllAuthenticator can't be used with CassandraAuthorizer (Config.Authorizer needs Config.Authenticator)"))
	}
	return errors.Join(errs...)
}

// Executor analyses and runs CQL statements. It is safe for concurrent use
// by many sessions.
type Executor struct {
	cfg      Config
	clock    *clock
	prepared *preparedCache
	log      *slog.Logger
	// uuidNode and uuidClockSeq make this executor's timeuuids (now(),
	// list element paths) unique among nodes; immutable.
	uuidNode     [6]byte
	uuidClockSeq uint16
	// refusedTimestamps counts client timestamps refused (Metrics).
	refusedTimestamps atomic.Int64
	// clients are the sessions of connected clients
	// (system_views.clients).
	clients clientRegistry
	// auth holds the credentials and permissions caches (auth.go).
	auth *authState
}

// New returns an Executor for cfg.
func New(cfg Config) (*Executor, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid executor config: %w", err)
	}
	node, seq := randomNode()
	return &Executor{
		cfg:          cfg,
		clock:        newClock(cfg.Now),
		prepared:     newPreparedCache(cfg.MaxPrepared),
		log:          cfg.Logger,
		uuidNode:     node,
		uuidClockSeq: seq,
		auth:         newAuthState(),
	}, nil
}

// publish sends a schema change to the registered listener.
func (e *Executor) publish(sc *SchemaChangeResult) {
	if e.cfg.Events != nil {
		e.cfg.Events(Event{Type: EventSchemaChange, Schema: sc})
	}
}

// clientError turns any error into one the client can see: *Error passes
// through, a cancelled context becomes a server error, and anything else
// is logged and reported as a server error without internal detail loss.
func (e *Executor) clientError(ctx context.Context, err error) error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	if ctx.Err() != nil {
		return Errorf(CodeServerError, "request cancelled: %s", err).WithCause(err)
	}
	e.log.Warn("statement failed", "err", err)
	return Errorf(CodeServerError, "%s", err).WithCause(err)
}
