package schema

import "math"

// This file holds the data model every layer exchanges: a Partition is a
// fragment of one partition's state. As a mutation it is what a write
// carries; as a read result it is what one replica holds for the slice that
// was asked, tombstones included, so a coordinator can reconcile the answers
// of several replicas with the same rules the storage engine applies
// (reconcile.go).
//
// Keys inside a Partition are already encoded:
//   - Partition.Key is the serialized partition key exactly as drivers build
//     routing keys (a single component's value, or [u16 len][bytes][0x00]
//     per component for a composite key).
//   - Row.Clustering is the order-preserving encoding of the full clustering
//     key (see Table.EncodeClustering), so bytes.Compare orders rows the way
//     CQL orders them, DESC components included.
//   - Cell.Path is the order-preserving encoding of a collection element's
//     key (set element, map key, list timeuuid); nil for simple columns and
//     frozen collections.

// TableID is the node-local numeric id of a table, used as the first
// component of every storage key. It is derived from the table's UUID and
// is stable for the table's life.
type TableID uint32

// ColumnID identifies a regular or static column within its table. It is
// stable for the life of the column; ids are never reused after a drop.
type ColumnID uint16

// NoTimestamp marks the absence of a tombstone or liveness marker.
const NoTimestamp int64 = math.MinInt64

// NoExpiry is the LocalDeletionTime of a cell that never expires.
const NoExpiry int64 = math.MaxInt64

// Deletion is a tombstone. It shadows every cell, marker and row whose
// write timestamp is <= MarkedAt. LocalDeletionTime is the server time, in
// seconds since the epoch, at which the deletion was made; it is used only
// to decide when gc_grace_seconds has passed and the tombstone may be
// purged.
type Deletion struct {
	MarkedAt          int64 // write timestamp, microseconds; NoTimestamp = none
	LocalDeletionTime int64 // seconds since the epoch
}

// Live reports whether d is the absence of a deletion.
func (d Deletion) Live() bool { return d.MarkedAt == NoTimestamp }

// LiveDeletion is the zero deletion: it shadows nothing.
var LiveDeletion = Deletion{MarkedAt: NoTimestamp, LocalDeletionTime: NoExpiry}

// Liveness is the primary-key marker written by INSERT (not by UPDATE): a
// row with a live marker exists even when all its regular columns are null.
type Liveness struct {
	Timestamp int64 // NoTimestamp = no marker
	TTL       int32 // seconds; 0 = does not expire
	// ExpiresAt is the second at which an expiring marker stops being live
	// (write time + TTL); NoExpiry when TTL is 0.
	ExpiresAt int64
}

// NoLiveness is the absence of a row marker.
var NoLiveness = Liveness{Timestamp: NoTimestamp, ExpiresAt: NoExpiry}

// Cell is one value (or collection element) of one column of one row.
type Cell struct {
	Column    ColumnID
	Path      []byte // collection element key, order-preserving; nil otherwise
	Timestamp int64  // write timestamp, microseconds since the epoch
	// Tombstone is true for a deletion of this cell (DELETE col, a null
	// written by INSERT/UPDATE, a removed collection element). A tombstone's
	// LocalDeletionTime is when it was made.
	Tombstone bool
	TTL       int32 // seconds; 0 = does not expire
	// LocalDeletionTime: for a tombstone, the second it was made; for an
	// expiring cell, the second it expires (write time + TTL); NoExpiry for
	// a live cell without TTL.
	LocalDeletionTime int64
	Value             []byte
	// Counter is NotCounter for a regular cell; for a counter cell it says
	// whether Value is a delta or a counter context (counter.go).
	Counter CounterKind
}

// ColumnDeletion is a tombstone over every cell of one non-frozen
// collection column of a row (Cassandra's complex deletion), written when a
// collection is deleted or overwritten as a whole.
type ColumnDeletion struct {
	Column   ColumnID
	Deletion Deletion
}

// Row is one row of a partition: the static row (Clustering nil) or a
// clustering row.
type Row struct {
	Clustering      []byte
	Marker          Liveness
	Deletion        Deletion // row tombstone
	ColumnDeletions []ColumnDeletion
	Cells           []Cell // ordered by (Column, Path)
}

// Bound is one end of a clustering slice or range tombstone: an encoded
// clustering prefix (possibly empty, meaning unbounded) and whether rows
// equal to the prefix are included.
type Bound struct {
	Prefix    []byte
	Inclusive bool
}

// RangeTombstone deletes every clustering row between Start and End (DELETE
// with a clustering slice or a clustering prefix) written at or before
// Deletion.MarkedAt.
type RangeTombstone struct {
	Start, End Bound
	Deletion   Deletion
}

// Partition is a fragment of one partition of one table: a mutation when
// written, one replica's answer when read.
type Partition struct {
	Table           TableID
	Token           int64  // Cassandra Murmur3 token of Key
	Key             []byte // serialized partition key (routing-key form)
	Deletion        Deletion
	RangeTombstones []RangeTombstone
	Static          *Row  // nil when the fragment has no static data
	Rows            []Row // clustering rows, in clustering order (reversed for reversed reads)
}

// Slice is a range of clustering keys: rows r with Start <= r <= End, where
// an empty Start or End prefix means unbounded on that side and Inclusive
// says whether rows equal to the prefix (or extending it) are included.
type Slice struct {
	Start, End Bound
}

// FullSlice selects every clustering row.
var FullSlice = Slice{Start: Bound{Inclusive: true}, End: Bound{Inclusive: true}}

// ReadCommand asks a replica for part of one partition, or for the
// partitions of a token range (when Key is nil). It is plain data so it
// can travel between nodes.
type ReadCommand struct {
	Table TableID

	// Single-partition read: Key and its Token.
	Key   []byte
	Token int64

	// Range read (Key == nil): partitions with StartToken < token <= EndToken
	// in token order (Cassandra's (a, b] ranges; StartToken == EndToken ==
	// math.MinInt64 means the whole ring). AfterKey, when set, resumes a
	// paged scan after that partition key at StartToken.
	StartToken, EndToken int64
	AfterKey             []byte

	// Clustering selection, shared by both forms.
	Slices   []Slice    // ascending and non-overlapping; nil = all rows
	Reversed bool       // rows in descending clustering order
	Columns  []ColumnID // nil = every column
	Static   bool       // include the static row
	// AfterClustering resumes inside the first partition after this
	// clustering key (exclusive), in read order.
	AfterClustering []byte

	Limit             int // max live rows in total; 0 = unlimited
	PerPartitionLimit int // max live rows per partition; 0 = unlimited
	PartitionLimit    int // max partitions (range reads); 0 = unlimited

	// NowSeconds is the coordinator's clock, in seconds since the epoch,
	// used to decide what has expired when counting live rows for limits.
	NowSeconds int64

	// Index, for a range read, finds the rows through a secondary index
	// (index_read.go); nil for a plain read.
	Index *IndexRead
}
