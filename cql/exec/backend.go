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
)

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
	Read(ctx context.Context, cl Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error)

	// Truncate removes every row of a table on every replica.
	Truncate(ctx context.Context, table schema.TableID) error
}
