package node

import (
	"context"
	"errors"

	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// The in-memory replicas of the coordinator's and streaming's unit tests
// have no Paxos acceptor: lightweight transactions are tested on real
// storage (paxos_test.go, internal/faults).
var errNoPaxos = errors.New("test replica: no paxos acceptor")

func (*memReplica) PaxosPrepare(context.Context, storage.Ballot, *schema.ReadCommand) (storage.PaxosPromise, error) {
	return storage.PaxosPromise{}, errNoPaxos
}

func (*memReplica) PaxosPropose(context.Context, storage.Ballot, *schema.Partition) (bool, storage.Ballot, error) {
	return false, storage.Ballot{}, errNoPaxos
}

func (*memReplica) PaxosCommit(context.Context, storage.Ballot, *schema.Partition) error {
	return errNoPaxos
}

func (*collector) PaxosPrepare(context.Context, storage.Ballot, *schema.ReadCommand) (storage.PaxosPromise, error) {
	return storage.PaxosPromise{}, errNoPaxos
}

func (*collector) PaxosPropose(context.Context, storage.Ballot, *schema.Partition) (bool, storage.Ballot, error) {
	return false, storage.Ballot{}, errNoPaxos
}

func (*collector) PaxosCommit(context.Context, storage.Ballot, *schema.Partition) error {
	return errNoPaxos
}
