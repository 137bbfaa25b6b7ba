package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"

	"github.com/sibyldb/sibyl/ring"
)

// localMeta is the node-local metadata space of storage: small values
// that belong to this node alone and must survive restarts.
type localMeta interface {
	GetLocal(key string) (value []byte, found bool, err error)
	SetLocal(ctx context.Context, key string, value []byte) error
}

// Keys of the node's identity in the local metadata space.
const (
	metaHostID = "host_id"
	metaTokens = "tokens"
)

// identity is who this node is, for its whole life: the host id drivers
// and peers know it by, and the tokens it owns.
type identity struct {
	hostID ring.HostID
	tokens []ring.Token
}

// errCorruptIdentity is returned when stored identity bytes do not decode.
var errCorruptIdentity = errors.New("node: stored identity is corrupt")

// loadIdentity reads the node's identity, or chooses and persists one on
// first start: a random host id and numTokens tokens spread over the ring.
// A later change of numTokens is ignored (tokens never move by
// configuration) and logged.
func loadIdentity(ctx context.Context, meta localMeta, numTokens int, log *slog.Logger) (identity, error) {
	id, err := loadOrCreateHostID(ctx, meta)
	if err != nil {
		return identity{}, err
	}
	tokens, err := loadOrCreateTokens(ctx, meta, numTokens)
	if err != nil {
		return identity{}, err
	}
	if len(tokens) != numTokens {
		log.Warn("num_tokens differs from the tokens this node took at first start; keeping the stored tokens",
			"num_tokens", numTokens, "stored", len(tokens))
	}
	return identity{hostID: id, tokens: tokens}, nil
}

func loadOrCreateHostID(ctx context.Context, meta localMeta) (ring.HostID, error) {
	var id ring.HostID
	b, found, err := meta.GetLocal(metaHostID)
	if err != nil {
		return id, fmt.Errorf("cannot read the host id: %w", err)
	}
	if found {
		if len(b) != len(id) {
			return id, fmt.Errorf("host id of %d bytes: %w", len(b), errCorruptIdentity)
		}
		copy(id[:], b)
		return id, nil
	}
	id = newHostID()
	if err := meta.SetLocal(ctx, metaHostID, id[:]); err != nil {
		return id, fmt.Errorf("cannot store the host id: %w", err)
	}
	return id, nil
}

// newHostID returns a random (version 4) UUID, as Cassandra's host ids are.
func newHostID() ring.HostID {
	var id ring.HostID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

func loadOrCreateTokens(ctx context.Context, meta localMeta, numTokens int) ([]ring.Token, error) {
	b, found, err := meta.GetLocal(metaTokens)
	if err != nil {
		return nil, fmt.Errorf("cannot read the tokens: %w", err)
	}
	if found {
		return decodeTokens(b)
	}
	// The first node of a cluster takes evenly spaced tokens from a random
	// offset; joining an existing ring (the cluster issue) allocates
	// against the ring learnt from the seeds instead.
	seed := newHostID()
	rnd := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	empty, err := ring.NewBuilder(nil).Build()
	if err != nil {
		return nil, fmt.Errorf("cannot build an empty ring: %w", err)
	}
	tokens, err := ring.AllocateTokens(empty, numTokens, 1, rnd)
	if err != nil {
		return nil, fmt.Errorf("cannot allocate %d tokens: %w", numTokens, err)
	}
	if err := meta.SetLocal(ctx, metaTokens, encodeTokens(tokens)); err != nil {
		return nil, fmt.Errorf("cannot store the tokens: %w", err)
	}
	return tokens, nil
}

func encodeTokens(tokens []ring.Token) []byte {
	b := make([]byte, 0, 8*len(tokens))
	for _, t := range tokens {
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	return b
}

func decodeTokens(b []byte) ([]ring.Token, error) {
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, fmt.Errorf("tokens of %d bytes: %w", len(b), errCorruptIdentity)
	}
	tokens := make([]ring.Token, len(b)/8)
	for i := range tokens {
		tokens[i] = ring.Token(binary.BigEndian.Uint64(b[8*i:]))
	}
	return tokens, nil
}

// memMeta is a localMeta that keeps nothing across restarts: the null
// backend's, whose node is new at every start.
type memMeta struct{ m map[string][]byte }

func (m *memMeta) GetLocal(key string) ([]byte, bool, error) {
	v, ok := m.m[key]
	return v, ok, nil
}

func (m *memMeta) SetLocal(_ context.Context, key string, value []byte) error {
	if m.m == nil {
		m.m = make(map[string][]byte)
	}
	m.m[key] = append([]byte(nil), value...)
	return nil
}
