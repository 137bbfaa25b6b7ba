package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gocql/gocql"
)

// Validation errors, returned by reads with Config.ValidateData set and counted
// under their own kinds.
var (
	// ErrMissing is returned when a row that a write run wrote is absent.
	ErrMissing = errors.New("bench: row missing")
	// ErrCorrupt is returned when a row's value is not the one derived from
	// its key.
	ErrCorrupt = errors.New("bench: value differs from the one written")
)

// The workload's schema: one table of (pk bigint, ck bigint, v blob), and
// beside it, for ModeCounter, <table>_counters of (pk bigint, ck bigint,
// n counter): the same keys, a counter instead of a blob.
const (
	createKeyspaceCQL     = "CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': %d}"
	createTableCQL        = "CREATE TABLE IF NOT EXISTS %s.%s (pk bigint, ck bigint, v blob, PRIMARY KEY (pk, ck))"
	createCounterTableCQL = "CREATE TABLE IF NOT EXISTS %s.%s_counters (pk bigint, ck bigint, n counter, PRIMARY KEY (pk, ck))"
	incrementCQL          = "UPDATE %s.%s_counters SET n = n + 1 WHERE pk = ? AND ck = ?"
	insertCQL             = "INSERT INTO %s.%s (pk, ck, v) VALUES (?, ?, ?)"
	insertCASCQL          = "INSERT INTO %s.%s (pk, ck, v) VALUES (?, ?, ?) IF NOT EXISTS"
	selectRowCQL          = "SELECT v FROM %s.%s WHERE pk = ? AND ck = ?"
	selectPartCQL         = "SELECT ck, v FROM %s.%s WHERE pk = ?"
)

func parseConsistency(s string) (gocql.Consistency, error) {
	c, err := gocql.ParseConsistencyWrapper(strings.ToUpper(s))
	if err != nil {
		return 0, fmt.Errorf("unknown consistency %q: %w", s, err)
	}
	return c, nil
}

// clusterConfig builds the gocql configuration of a run: token-aware
// routing over round robin, the protocol version drivers use by default,
// and no retries (a retry would hide an error inside a latency).
func clusterConfig(cfg *Config) (*gocql.ClusterConfig, error) {
	cl, err := parseConsistency(cfg.Consistency)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cc := gocql.NewCluster(hostList(cfg)...)
	cc.Port = cfg.Port
	cc.ProtoVersion = 4
	cc.Consistency = cl
	cc.NumConns = cfg.Connections
	cc.Timeout = cfg.Timeout
	cc.WriteTimeout = cfg.Timeout
	cc.ConnectTimeout = cfg.ConnectTimeout
	cc.PageSize = cfg.PageSize
	cc.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0}
	cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	if strings.EqualFold(cfg.Compression, "snappy") {
		cc.Compressor = gocql.SnappyCompressor{}
	}
	if cfg.Username != "" {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: cfg.Username, Password: cfg.Password}
	}
	if cfg.SSL || cfg.TLSCA != "" || cfg.TLSCert != "" || cfg.TLSKey != "" || cfg.TLSNoVerify {
		cc.SslOpts = &gocql.SslOptions{CaPath: cfg.TLSCA, CertPath: cfg.TLSCert, KeyPath: cfg.TLSKey,
			EnableHostVerification: !cfg.TLSNoVerify}
	}
	return cc, nil
}

// hostList returns the contact points, host:port where a port is named.
func hostList(cfg *Config) []string {
	out := make([]string, 0, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, strconv.Itoa(cfg.Port))
		}
		out = append(out, h)
	}
	return out
}

// ensureSchema creates the keyspace and table when missing. An existing
// keyspace keeps its replication, whatever ReplicationFactor says.
func ensureSchema(ctx context.Context, s *gocql.Session, cfg *Config) error {
	stmts := []string{
		fmt.Sprintf(createKeyspaceCQL, cfg.Keyspace, cfg.ReplicationFactor),
		fmt.Sprintf(createTableCQL, cfg.Keyspace, cfg.Table),
	}
	if cfg.Mode == ModeCounter {
		stmts = append(stmts, fmt.Sprintf(createCounterTableCQL, cfg.Keyspace, cfg.Table))
	}
	if cfg.IndexColumns {
		stmts[1] = fmt.Sprintf(createIndexedTableCQL, cfg.Keyspace, cfg.Table)
		stmts = append(stmts, indexStatements(cfg)...)
	}
	for _, stmt := range stmts {
		if err := s.Query(stmt).WithContext(ctx).Consistency(gocql.All).Exec(); err != nil {
			return fmt.Errorf("bench: cannot create schema (%s): %w", stmt, err)
		}
	}
	return nil
}

// cqlTarget runs operations through a gocql session.
type cqlTarget struct {
	cfg                  *Config
	session              *gocql.Session
	cl                   gocql.Consistency
	insert, row, scanAll string
	increment            string
	insertCAS            string
	byU, byG             string // index queries (index.go)
}

func newCQLTarget(cfg *Config, s *gocql.Session) *cqlTarget {
	cl, _ := parseConsistency(cfg.Consistency) // validated by Config.Validate
	t := &cqlTarget{
		cfg:       cfg,
		session:   s,
		cl:        cl,
		insert:    fmt.Sprintf(insertCQL, cfg.Keyspace, cfg.Table),
		insertCAS: fmt.Sprintf(insertCASCQL, cfg.Keyspace, cfg.Table),
		row:       fmt.Sprintf(selectRowCQL, cfg.Keyspace, cfg.Table),
		scanAll:   fmt.Sprintf(selectPartCQL, cfg.Keyspace, cfg.Table),
		byU:       fmt.Sprintf(selectByUCQL, cfg.Keyspace, cfg.Table),
		byG:       fmt.Sprintf(selectByGCQL, cfg.Keyspace, cfg.Table, cfg.PageSize),

		increment: fmt.Sprintf(incrementCQL, cfg.Keyspace, cfg.Table),
	}
	if cfg.IndexColumns {
		t.insert = fmt.Sprintf(insertIndexedCQL, cfg.Keyspace, cfg.Table)
	}
	return t
}

func (t *cqlTarget) Worker(int) Worker { return &cqlWorker{t: t} }

// cqlWorker holds one worker's reusable buffers.
type cqlWorker struct {
	t              *cqlTarget
	value, scratch []byte
	got            []byte
}

func (w *cqlWorker) Do(ctx context.Context, o Op) (int, error) {
	switch o.Kind {
	case OpWrite:
		return 0, w.write(ctx, o)
	case OpRead:
		return w.read(ctx, o)
	case OpIncrement:
		return 0, w.incr(ctx, o)
	case OpCAS:
		return 0, w.cas(ctx, o)
	case OpIndexPoint:
		return w.indexPoint(ctx, o)
	case OpIndexGroup:
		return w.indexGroup(ctx, o)
	default:
		return w.scan(ctx, o)
	}
}

func (w *cqlWorker) write(ctx context.Context, o Op) error {
	w.value = Value(w.value, o.PK, o.CK, w.t.cfg.ValueSize)
	var q *gocql.Query
	if w.t.cfg.IndexColumns {
		n := rowNumber(w.t.cfg, o.PK, o.CK)
		q = w.t.session.Query(w.t.insert, o.PK, o.CK, w.value, n, n%w.t.cfg.IndexCardinality)
	} else {
		q = w.t.session.Query(w.t.insert, o.PK, o.CK, w.value)
	}
	q = q.WithContext(ctx).Consistency(w.t.cl).Idempotent(true)
	err := q.Exec()
	q.Release()
	return err
}

// incr adds 1 to a counter. It is not idempotent: a retry after a
// timeout could count twice, so the driver must never retry it.
func (w *cqlWorker) incr(ctx context.Context, o Op) error {
	q := w.t.session.Query(w.t.increment, o.PK, o.CK).WithContext(ctx).Consistency(w.t.cl).Idempotent(false)
	err := q.Exec()
	q.Release()
	return err
}

// cas inserts the row if it does not exist, at the run's consistency for
// the commit and SERIAL for the Paxos round. Applied or not, it is one
// transaction; neither outcome is an error.
func (w *cqlWorker) cas(ctx context.Context, o Op) error {
	w.value = Value(w.value, o.PK, o.CK, w.t.cfg.ValueSize)
	q := w.t.session.Query(w.t.insertCAS, o.PK, o.CK, w.value).WithContext(ctx).Consistency(w.t.cl).
		SerialConsistency(gocql.Serial)
	_, err := q.MapScanCAS(map[string]any{})
	q.Release()
	return err
}

func (w *cqlWorker) read(ctx context.Context, o Op) (int, error) {
	q := w.t.session.Query(w.t.row, o.PK, o.CK).WithContext(ctx).Consistency(w.t.cl).Idempotent(true)
	err := q.Scan(&w.got)
	q.Release()
	if errors.Is(err, gocql.ErrNotFound) {
		if w.t.cfg.ValidateData {
			return 0, fmt.Errorf("row (%d, %d): %w", o.PK, o.CK, ErrMissing)
		}
		return 0, nil
	}
	if err != nil || !w.t.cfg.ValidateData {
		return 0, err
	}
	return 1, w.check(o.PK, o.CK, w.got)
}

func (w *cqlWorker) check(pk, ck int64, got []byte) error {
	var ok bool
	ok, w.scratch = CheckValue(w.scratch, got, pk, ck, w.t.cfg.ValueSize)
	if !ok {
		return fmt.Errorf("row (%d, %d): %w", pk, ck, ErrCorrupt)
	}
	return nil
}

// scan reads partition o.PK page by page (the driver fetches the next page
// as the iterator reaches the end of the current one).
func (w *cqlWorker) scan(ctx context.Context, o Op) (int, error) {
	q := w.t.session.Query(w.t.scanAll, o.PK).WithContext(ctx).Consistency(w.t.cl).
		PageSize(w.t.cfg.PageSize).Idempotent(true)
	iter := q.Iter()
	var (
		ck       int64
		rows     int
		checkErr error
	)
	for iter.Scan(&ck, &w.got) {
		rows++
		if w.t.cfg.ValidateData && checkErr == nil {
			checkErr = w.check(o.PK, ck, w.got)
		}
	}
	err := iter.Close()
	q.Release()
	if err != nil {
		return 0, err
	}
	if checkErr != nil {
		return 0, checkErr
	}
	if w.t.cfg.ValidateData && int64(rows) != w.t.cfg.RowsPerPartition {
		return 0, fmt.Errorf("partition %d has %d of its %d rows: %w", o.PK, rows, w.t.cfg.RowsPerPartition, ErrMissing)
	}
	if !w.t.cfg.ValidateData {
		return 0, nil
	}
	return rows, nil
}

// errorKind names the kind of a failed operation's error for the summary.
func errorKind(err error) string {
	switch {
	case errors.Is(err, ErrMissing):
		return "missing"
	case errors.Is(err, ErrCorrupt):
		return "corrupt"
	case errors.Is(err, gocql.ErrTimeoutNoResponse), errors.Is(err, context.DeadlineExceeded):
		return "client_timeout"
	case errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrConnectionClosed):
		return "no_connection"
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		return requestErrorKind(re.Code())
	}
	return "other"
}

func requestErrorKind(code int) string {
	switch code {
	case gocql.ErrCodeUnavailable:
		return "unavailable"
	case gocql.ErrCodeOverloaded:
		return "overloaded"
	case gocql.ErrCodeWriteTimeout:
		return "write_timeout"
	case gocql.ErrCodeReadTimeout:
		return "read_timeout"
	case gocql.ErrCodeWriteFailure:
		return "write_failure"
	case gocql.ErrCodeReadFailure:
		return "read_failure"
	case gocql.ErrCodeServer:
		return "server_error"
	case gocql.ErrCodeInvalid:
		return "invalid"
	case gocql.ErrCodeUnprepared:
		return "unprepared"
	default:
		return fmt.Sprintf("error_0x%04x", code)
	}
}
