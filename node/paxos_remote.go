package node

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// Paxos verbs (lightweight transactions). Their numbers stay clear of the
// others' so that verbs added meanwhile elsewhere do not collide.
const (
	// verbPaxosPrepare: payload a ballot and a schema.ReadCommand; answers
	// a promise (encodePromise) with the replica's read.
	verbPaxosPrepare uint8 = 24
	// verbPaxosPropose: payload a ballot and a partition; answers whether
	// it was accepted and the highest ballot the replica has seen.
	verbPaxosPropose uint8 = 25
	// verbPaxosCommit: payload a ballot and a partition; applies it with
	// its commit record.
	verbPaxosCommit uint8 = 26
)

func (c *cluster) registerPaxosVerbs() {
	c.msg.Handle(verbPaxosPrepare, c.handlePaxosPrepare)
	c.msg.Handle(verbPaxosPropose, c.handlePaxosPropose)
	c.msg.Handle(verbPaxosCommit, c.handlePaxosCommit)
}

func (r *remoteReplica) PaxosPrepare(ctx context.Context, ballot storage.Ballot, cmd *schema.ReadCommand) (storage.PaxosPromise, error) {
	resp, err := r.msg.Request(ctx, r.addr, verbPaxosPrepare, schema.AppendReadCommand(storage.AppendBallot(nil, ballot), cmd))
	if err != nil {
		return storage.PaxosPromise{}, fmt.Errorf("cannot prepare on %s: %w", r.addr, err)
	}
	p, err := decodePromise(resp)
	if err != nil {
		return storage.PaxosPromise{}, fmt.Errorf("cannot decode the promise of %s: %w", r.addr, err)
	}
	return p, nil
}

func (r *remoteReplica) PaxosPropose(ctx context.Context, ballot storage.Ballot, proposal *schema.Partition) (bool, storage.Ballot, error) {
	resp, err := r.msg.Request(ctx, r.addr, verbPaxosPropose, appendBallotPartition(nil, ballot, proposal))
	if err != nil {
		return false, storage.Ballot{}, fmt.Errorf("cannot propose on %s: %w", r.addr, err)
	}
	ok, hi, err := decodeAcceptance(resp)
	if err != nil {
		return false, storage.Ballot{}, fmt.Errorf("cannot decode the answer of %s: %w", r.addr, err)
	}
	return ok, hi, nil
}

func (r *remoteReplica) PaxosCommit(ctx context.Context, ballot storage.Ballot, update *schema.Partition) error {
	if _, err := r.msg.Request(ctx, r.addr, verbPaxosCommit, appendBallotPartition(nil, ballot, update)); err != nil {
		return fmt.Errorf("cannot commit on %s: %w", r.addr, err)
	}
	return nil
}

func (c *cluster) handlePaxosPrepare(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	ballot, rest, err := storage.DecodeBallot(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	cmd, err := schema.DecodeReadCommand(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	if cmd.Key == nil {
		return nil, fmt.Errorf("%w: paxos prepare of a range read", errBadPayload)
	}
	p, err := c.n.local.PaxosPrepare(ctx, ballot, cmd)
	if err != nil {
		return nil, fmt.Errorf("cannot prepare: %w", err)
	}
	return encodePromise(nil, p), nil
}

func (c *cluster) handlePaxosPropose(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	ballot, prop, err := decodeBallotPartition(payload)
	if err != nil {
		return nil, err
	}
	ok, hi, err := c.n.local.PaxosPropose(ctx, ballot, prop)
	if err != nil {
		return nil, fmt.Errorf("cannot propose: %w", err)
	}
	return encodeAcceptance(nil, ok, hi), nil
}

func (c *cluster) handlePaxosCommit(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	ballot, update, err := decodeBallotPartition(payload)
	if err != nil {
		return nil, err
	}
	if err := c.n.local.PaxosCommit(ctx, ballot, update); err != nil {
		return nil, fmt.Errorf("cannot commit: %w", err)
	}
	return nil, nil
}

// appendBallotPartition encodes a propose or commit: the ballot, then the
// partition's schema encoding to the end.
func appendBallotPartition(dst []byte, b storage.Ballot, p *schema.Partition) []byte {
	return schema.AppendPartition(storage.AppendBallot(dst, b), p)
}

func decodeBallotPartition(b []byte) (storage.Ballot, *schema.Partition, error) {
	ballot, rest, err := storage.DecodeBallot(b)
	if err != nil {
		return storage.Ballot{}, nil, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	p, err := schema.DecodePartition(rest)
	if err != nil {
		return storage.Ballot{}, nil, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	return ballot, p, nil
}

// encodePromise encodes a promise: a flag byte (bit 0 promised, bit 1 a
// read follows), the length-prefixed state (storage.AppendPaxosState),
// then the length-prefixed read partition when present.
func encodePromise(dst []byte, p storage.PaxosPromise) []byte {
	var flags byte
	if p.Promised {
		flags |= 1
	}
	if p.Read != nil {
		flags |= 2
	}
	dst = append(dst, flags)
	st := storage.AppendPaxosState(nil, &p.State)
	dst = binary.AppendUvarint(dst, uint64(len(st)))
	dst = append(dst, st...)
	if p.Read != nil {
		rd := schema.AppendPartition(nil, p.Read)
		dst = binary.AppendUvarint(dst, uint64(len(rd)))
		dst = append(dst, rd...)
	}
	return dst
}

func decodePromise(b []byte) (storage.PaxosPromise, error) {
	var p storage.PaxosPromise
	if len(b) == 0 || b[0]&^3 != 0 {
		return p, fmt.Errorf("%w: bad promise flags", errBadPayload)
	}
	flags := b[0]
	p.Promised = flags&1 != 0
	chunk, rest, err := takeChunk(b[1:])
	if err != nil {
		return p, fmt.Errorf("%w: promise state: %w", errBadPayload, err)
	}
	if p.State, err = storage.DecodePaxosState(chunk); err != nil {
		return p, fmt.Errorf("%w: %w", errBadPayload, err)
	}
	if flags&2 != 0 {
		if chunk, rest, err = takeChunk(rest); err != nil {
			return p, fmt.Errorf("%w: promise read: %w", errBadPayload, err)
		}
		if p.Read, err = schema.DecodePartition(chunk); err != nil {
			return p, fmt.Errorf("%w: %w", errBadPayload, err)
		}
	}
	if len(rest) != 0 {
		return p, fmt.Errorf("%w: %d trailing bytes", errBadPayload, len(rest))
	}
	return p, nil
}

// encodeAcceptance encodes a propose answer: 1 or 0, then the ballot.
func encodeAcceptance(dst []byte, ok bool, highest storage.Ballot) []byte {
	if ok {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	return storage.AppendBallot(dst, highest)
}

func decodeAcceptance(b []byte) (bool, storage.Ballot, error) {
	if len(b) == 0 || b[0] > 1 {
		return false, storage.Ballot{}, fmt.Errorf("%w: bad acceptance flag", errBadPayload)
	}
	hi, rest, err := storage.DecodeBallot(b[1:])
	if err != nil || len(rest) != 0 {
		return false, storage.Ballot{}, fmt.Errorf("%w: bad acceptance ballot", errBadPayload)
	}
	return b[0] == 1, hi, nil
}
