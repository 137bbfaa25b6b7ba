package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Clustering key encoding: each component is ClusteringComponent (0x40,
// never inverted) followed by the order-preserving encoding of its value
// (see AppendOrdered), inverted for DESC columns. A prefix of the
// components encodes to a byte prefix of the full key's encoding, and a
// storage layer may append BeforePrefix or AfterPrefix to any prefix to
// get a bound that sorts before or after every key extending it.
const (
	// BeforePrefix sorts before every key that extends a prefix.
	BeforePrefix byte = 0x20
	// ClusteringComponent begins every component.
	ClusteringComponent byte = 0x40
	// AfterPrefix sorts after every key that extends a prefix.
	AfterPrefix byte = 0x60
)

// MaxKeyComponentLen is the largest serialized partition key component
// (and whole single-column key) Cassandra accepts: 64 KiB - 1.
const MaxKeyComponentLen = math.MaxUint16

// ErrBadKey is wrapped by the key helpers' errors.
var ErrBadKey = errors.New("schema: bad key")

// EncodeClustering encodes a full clustering key or a prefix of it (fewer
// values than clustering columns). Values are serialized and must be valid
// for their column's type and non-null. The result is never nil: the key
// of a table without clustering columns is []byte{}, distinct from the
// static row's nil Row.Clustering.
func (t *Table) EncodeClustering(values [][]byte) ([]byte, error) {
	if len(values) > len(t.Clustering) {
		return nil, fmt.Errorf("%w: %d clustering values for %d clustering columns of %s", ErrBadKey, len(values), len(t.Clustering), t.QualifiedName())
	}
	var out []byte
	for i, v := range values {
		col := t.Clustering[i]
		if v == nil {
			return nil, fmt.Errorf("%w: null value for clustering column %s", ErrBadKey, QuoteIdent(col.Name))
		}
		var err error
		out = append(out, ClusteringComponent)
		if out, err = AppendOrdered(out, col.Type, v, col.Desc); err != nil {
			return nil, fmt.Errorf("cannot encode clustering column %s: %w", QuoteIdent(col.Name), err)
		}
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// DecodeClustering decodes an encoded clustering key or prefix into its
// serialized values.
func (t *Table) DecodeClustering(enc []byte) ([][]byte, error) {
	var out [][]byte
	for len(enc) > 0 {
		if len(out) == len(t.Clustering) {
			return nil, fmt.Errorf("%w: %d bytes after the last clustering column of %s", ErrBadKey, len(enc), t.QualifiedName())
		}
		if enc[0] != ClusteringComponent {
			return nil, fmt.Errorf("%w: clustering component %d starts with 0x%02x", ErrBadKey, len(out), enc[0])
		}
		col := t.Clustering[len(out)]
		v, rest, err := DecodeOrdered(enc[1:], col.Type, col.Desc)
		if err != nil {
			return nil, fmt.Errorf("cannot decode clustering column %s: %w", QuoteIdent(col.Name), err)
		}
		out = append(out, v)
		enc = rest
	}
	return out, nil
}

// RoutingKey serializes a partition key in routing-key form, the bytes
// drivers hash for token-aware routing and Partition.Key holds: a single
// component's value as it is; for a composite key, [u16 length][value]
// [0x00] per component. The caller must have checked the values with
// CheckPartitionKey: a component longer than MaxKeyComponentLen makes a
// key that SplitPartitionKey rejects. (The method cannot be called
// PartitionKey: that is the field holding the partition key columns.)
func (t *Table) RoutingKey(values [][]byte) []byte {
	return EncodePartitionKey(values)
}

// EncodePartitionKey is Table.RoutingKey without a table.
func EncodePartitionKey(values [][]byte) []byte {
	if len(values) == 1 {
		out := make([]byte, len(values[0]))
		copy(out, values[0])
		return out
	}
	size := 0
	for _, v := range values {
		size += 3 + len(v)
	}
	out := make([]byte, 0, size)
	for _, v := range values {
		out = binary.BigEndian.AppendUint16(out, uint16(min(len(v), MaxKeyComponentLen)))
		out = append(out, v...)
		out = append(out, 0)
	}
	return out
}

// CheckPartitionKey checks partition key values before they are
// serialized: one non-null value per partition key column, each valid
// for its type and at most MaxKeyComponentLen bytes.
func (t *Table) CheckPartitionKey(values [][]byte) error {
	if len(values) != len(t.PartitionKey) {
		return fmt.Errorf("%w: %d partition key values for %d columns of %s", ErrBadKey, len(values), len(t.PartitionKey), t.QualifiedName())
	}
	for i, v := range values {
		col := t.PartitionKey[i]
		switch {
		case v == nil:
			return fmt.Errorf("%w: invalid null value for partition key column %s", ErrBadKey, QuoteIdent(col.Name))
		case len(v) > MaxKeyComponentLen:
			return fmt.Errorf("%w: key length of %d is longer than maximum of %d", ErrBadKey, len(v), MaxKeyComponentLen)
		}
		if err := Validate(col.Type, v); err != nil {
			return fmt.Errorf("partition key column %s: %w", QuoteIdent(col.Name), err)
		}
	}
	return nil
}

// SplitPartitionKey splits a routing-form partition key into its
// components' serialized values.
func (t *Table) SplitPartitionKey(key []byte) ([][]byte, error) {
	return SplitPartitionKey(key, len(t.PartitionKey))
}

// SplitPartitionKey splits a routing-form key of n components.
func SplitPartitionKey(key []byte, n int) ([][]byte, error) {
	if n == 1 {
		return [][]byte{key}, nil
	}
	out := make([][]byte, 0, max(n, 0))
	for len(key) > 0 {
		if len(out) == n {
			return nil, fmt.Errorf("%w: more than %d components", ErrBadKey, n)
		}
		if len(key) < 2 {
			return nil, fmt.Errorf("%w: truncated component length", ErrBadKey)
		}
		l := int(binary.BigEndian.Uint16(key))
		if len(key) < 2+l+1 {
			return nil, fmt.Errorf("%w: component %d of length %d exceeds the %d bytes left", ErrBadKey, len(out), l, len(key)-2)
		}
		if key[2+l] != 0 {
			return nil, fmt.Errorf("%w: component %d ends with 0x%02x, not 0x00", ErrBadKey, len(out), key[2+l])
		}
		out = append(out, key[2:2+l:2+l])
		key = key[3+l:]
	}
	if len(out) != n {
		return nil, fmt.Errorf("%w: %d components, want %d", ErrBadKey, len(out), n)
	}
	return out, nil
}
