package exec

import (
	"context"

	"github.com/sibyldb/sibyl/schema"
)

// This file is the contract between the executor and whatever runs it: on
// one node, node/ implements these interfaces over local storage; in a
// cluster, over the coordinator that talks to replicas. Nothing in cql/
// may assume there is only one node.

// Consistency is a CQL consistency level, numbered as on the wire.
type Consistency uint16

// Consistency levels (native protocol v4, section 3).
const (
	Any         Consistency = 0x0000
	One         Consistency = 0x0001
	Two         Consistency = 0x0002
	Three       Consistency = 0x0003
	Quorum      Consistency = 0x0004
	All         Consistency = 0x0005
	LocalQuorum Consistency = 0x0006
	EachQuorum  Consistency = 0x0007
	Serial      Consistency = 0x0008
	LocalSerial Consistency = 0x0009
	LocalOne    Consistency = 0x000A
)

// checkConsistency refuses a consistency code no level has, with the
// ProtocolError Cassandra's decoder gives (ConsistencyLevel.fromCode)
// before it looks at the statement. cql/protocol refuses them too; this
// holds for any other caller. Like cql/protocol, it refuses 11, the
// NODE_LOCAL Cassandra 4 decodes but no protocol version defines and no
// Coordinator implements.
func checkConsistency(cls ...Consistency) error {
	for _, cl := range cls {
		if cl > LocalOne {
			return Errorf(CodeProtocolError, "Unknown code %d for a consistency level", uint16(cl))
		}
	}
	return nil
}

// WriteType says what kind of write timed out, as WriteTimeout errors
// report it.
type WriteType string

// Write types, spelled as Cassandra sends them.
const (
	WriteSimple        WriteType = "SIMPLE"
	WriteBatch         WriteType = "BATCH"
	WriteUnloggedBatch WriteType = "UNLOGGED_BATCH"
	WriteCounter       WriteType = "COUNTER"
	WriteBatchLog      WriteType = "BATCH_LOG"
	// WriteCAS is a lightweight transaction's Paxos round (prepare or
	// propose) that timed out: the update may or may not be applied.
	WriteCAS WriteType = "CAS"
)

// CASRequest is one lightweight transaction on one partition: read what
// the conditions need, decide, and write the update only if they hold,
// linearizably with every other transaction on the partition.
type CASRequest struct {
	// Read is a single-partition command: the rows and columns the
	// conditions and the result need.
	Read *schema.ReadCommand
	// Serial is Serial or LocalSerial: the consistency of the Paxos
	// rounds (the frame's serial consistency).
	Serial Consistency
	// Commit is the consistency the commit must reach: the statement's
	// own consistency (Any commits without waiting for a replica).
	Commit Consistency
	// Decide receives the partition as the transaction reads it (the
	// replicas' answers reconciled, tombstones included; nil when the
	// partition holds nothing Read selects) and the write timestamp the
	// update must carry (microseconds: the ballot's, so that transactions
	// on a partition are ordered as their ballots are). It returns the
	// update, or nil when the conditions do not hold. Decide may be
	// called more than once (a round lost to contention is retried with a
	// new ballot) and must have no side effect.
	Decide func(current *schema.Partition, timestamp int64) (*schema.Partition, error)
}

// CASResult is the outcome of a CASRequest.
type CASResult struct {
	// Current is the partition Decide saw last (nil when empty).
	Current *schema.Partition
	// Applied reports whether Decide returned an update and it was
	// committed.
	Applied bool
}

// Coordinator performs data operations at a consistency level. It may be
// called by many goroutines at once.
//
// Errors the client must see as a specific CQL error (Unavailable,
// WriteTimeout, ReadTimeout, Overloaded, ...) are returned as *Error.
type Coordinator interface {
	// Mutate applies every partition fragment in muts and returns once the
	// consistency level is met for each of them.
	Mutate(ctx context.Context, cl Consistency, wt WriteType, muts []*schema.Partition) error

	// Read runs one single-partition or token-range command and returns the
	// replicas' answers reconciled into one, partitions in token order,
	// tombstones included (the executor hides what is deleted or expired).
	// At Serial or LocalSerial (single-partition commands only) the read
	// is linearizable with CAS: it first completes any transaction in
	// progress on the partition, as a CAS whose conditions never hold.
	Read(ctx context.Context, cl Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error)

	// CAS runs one lightweight transaction. Errors: Unavailable when fewer
	// than a quorum of the partition's replicas are alive; WriteTimeout
	// with WriteCAS when a Paxos round cannot complete by the deadline
	// (the update may or may not be applied: CAS_WRITE_UNKNOWN); a
	// WriteTimeout with WriteSimple when the update is accepted but its
	// commit misses the Commit consistency (it is applied, and replicas
	// that missed it learn it from the next transaction).
	CAS(ctx context.Context, req *CASRequest) (CASResult, error)

	// Counter writes: Mutate with WriteCounter, for every write to a
	// counter table (UPDATE, and DELETE, which carries no delta). Each
	// increment is a cell with Counter == schema.CounterDelta and the
	// amount as its value (schema/counter.go); the coordinator sends the
	// mutation to one live replica, the leader, which turns the delta into
	// its own next shard (schema.ApplyCounterDeltas) and replicates that
	// shard, never the delta, to the other replicas at cl. cl is never
	// ANY or a serial level (the executor refuses them). Timeouts report
	// WriteCounter. A counter write is not idempotent: a timeout leaves it
	// applied or not, and retrying may count it twice.

	// Truncate removes every row of a table on every replica.
	Truncate(ctx context.Context, table schema.TableID) error
}
