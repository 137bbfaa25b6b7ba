package exec

import (
	"context"
	"net/netip"

	"github.com/sibyldb/sibyl/schema"
)

// This file is the executor's surface as cql/server sees it, and the
// interfaces (besides Coordinator, in backend.go) that node/ implements for
// it. The Executor itself is in executor.go.
//
// Calls on one Session may come from several goroutines at once: CQL
// multiplexes streams on a connection, and the server does not serialize
// them.

// Value is one bound value: Bytes in the native-protocol serialization of
// its type, nil for null; Unset for protocol v4 "not set" (the column is
// left untouched).
type Value struct {
	Bytes []byte
	Unset bool
}

// QueryOptions are the parameters of QUERY and EXECUTE (protocol v4
// section 4.1.4).
type QueryOptions struct {
	Consistency Consistency
	// SerialConsistency is the level of a conditional statement's Paxos
	// rounds: Serial or LocalSerial, anything else is refused when a
	// transaction runs (cql/server sends Serial when the frame has none;
	// nil options mean Serial too).
	SerialConsistency Consistency
	Values            []Value
	Names             []string // names of Values when sent by name; nil when positional
	SkipMetadata      bool
	PageSize          int32  // <= 0: no paging
	PagingState       []byte // as returned in a previous RowsResult
	// Timestamp is the client-supplied default timestamp in microseconds;
	// HasTimestamp says whether one was sent.
	Timestamp    int64
	HasTimestamp bool
	// Warn, when set, receives the client warnings the request raises
	// (Cassandra's ClientWarn), for the response's warnings (protocol v4
	// and later).
	Warn func(msg string)
}

// ColumnSpec describes one column of a result or one bind variable.
type ColumnSpec struct {
	Keyspace, Table, Name string
	Type                  *schema.Type
}

// Result is one of VoidResult, *RowsResult, *SetKeyspaceResult,
// *SchemaChangeResult or *PreparedResult.
type Result interface{ isResult() }

// VoidResult answers statements that return nothing.
type VoidResult struct{}

// RowsResult is a page of rows. Each row holds one serialized value per
// column (nil for null).
type RowsResult struct {
	Columns     []ColumnSpec
	Rows        [][][]byte
	PagingState []byte // nil on the last page
	// NoMetadata is set when the client asked to skip metadata (EXECUTE
	// with skip_metadata); Columns is still filled for the column count.
	NoMetadata bool
}

// SetKeyspaceResult answers USE.
type SetKeyspaceResult struct{ Keyspace string }

// Schema change kinds and targets, spelled as on the wire.
const (
	ChangeCreated = "CREATED"
	ChangeUpdated = "UPDATED"
	ChangeDropped = "DROPPED"

	TargetKeyspace  = "KEYSPACE"
	TargetTable     = "TABLE"
	TargetType      = "TYPE"
	TargetFunction  = "FUNCTION"
	TargetAggregate = "AGGREGATE"
)

// SchemaChangeResult answers DDL, and is the body of SCHEMA_CHANGE events.
type SchemaChangeResult struct {
	Change   string // ChangeCreated, ChangeUpdated or ChangeDropped
	Target   string // TargetKeyspace, TargetTable, ...
	Keyspace string
	Name     string   // table, type, function or aggregate; empty for a keyspace
	ArgTypes []string // functions and aggregates only
}

// PreparedResult answers PREPARE.
type PreparedResult struct {
	ID        []byte // deterministic: MD5 of keyspace and query text, as Cassandra
	Bind      []ColumnSpec
	PKIndexes []uint16     // positions in Bind of the partition key columns, in key order
	Result    []ColumnSpec // nil for statements that return no rows
}

func (VoidResult) isResult()          {}
func (*RowsResult) isResult()         {}
func (*SetKeyspaceResult) isResult()  {}
func (*SchemaChangeResult) isResult() {}
func (*PreparedResult) isResult()     {}

// BatchType is the kind of a BATCH, numbered as on the wire.
type BatchType byte

// Batch types.
const (
	LoggedBatch   BatchType = 0
	UnloggedBatch BatchType = 1
	CounterBatch  BatchType = 2
)

// BatchStatement is one statement of a BATCH message: query text, or the
// id of a prepared statement.
type BatchStatement struct {
	Query      string
	PreparedID []byte
	Values     []Value
	Names      []string
}

// Batch is a BATCH message.
type Batch struct {
	Type              BatchType
	Statements        []BatchStatement
	Consistency       Consistency
	SerialConsistency Consistency
	Timestamp         int64
	HasTimestamp      bool
	// Warn, when set, receives the client warnings the batch raises, as
	// QueryOptions.Warn.
	Warn func(msg string)
}

// SchemaStore holds the catalog. node/ persists it and, in a cluster,
// replicates it to every node.
type SchemaStore interface {
	// Catalog returns the current, immutable catalog.
	Catalog() *schema.Catalog
	// Update applies change to the latest catalog atomically, persists and
	// propagates the result, and returns it. change must not keep a
	// reference to its argument's internals beyond the call; an error from
	// change aborts the update and is returned as it is.
	Update(ctx context.Context, change func(*schema.Catalog) (*schema.Catalog, error)) (*schema.Catalog, error)
}

// NodeInfo describes one node as system.local and system.peers show it.
type NodeInfo struct {
	HostID         [16]byte
	Address        netip.Addr // listen/broadcast address
	RPCAddress     netip.Addr // where clients connect
	RPCPort        int
	DataCenter     string
	Rack           string
	Tokens         []int64
	SchemaVersion  [16]byte
	ReleaseVersion string
	Up             bool
}

// ClusterInfo tells the executor about the cluster for the system tables.
type ClusterInfo interface {
	ClusterName() string
	Local() NodeInfo
	Peers() []NodeInfo // every other known node
}

// EventType names the events clients REGISTER for.
type EventType string

// Event types.
const (
	EventTopologyChange EventType = "TOPOLOGY_CHANGE"
	EventStatusChange   EventType = "STATUS_CHANGE"
	EventSchemaChange   EventType = "SCHEMA_CHANGE"
)

// Event is pushed to connections that registered for its type.
type Event struct {
	Type EventType
	// Change is NEW_NODE, REMOVED_NODE or MOVED_NODE (topology), UP or DOWN
	// (status); empty for schema changes.
	Change string
	Addr   netip.AddrPort // the node's RPC address (topology and status)
	Schema *SchemaChangeResult
}
