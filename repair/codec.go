package repair

import (
	"encoding/binary"
	"fmt"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Encoded tree layout (version 1), big-endian:
//
//	version u8 | table u32 | start i64 | end i64 | depth u8
//	2^depth leaf hashes, 32 bytes each
//	2^depth partition counts, uvarint each
//
// Inner nodes are recomputed on decode, so a decoded tree is consistent
// by construction. The format travels between nodes during repair.
const (
	treeCodecVersion = 1
	treeHeaderSize   = 1 + 4 + 8 + 8 + 1
)

// AppendBinary appends the encoded tree to dst.
func (t *Tree) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, treeCodecVersion)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.table))
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.rng.Start))
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.rng.End))
	dst = append(dst, byte(t.depth))
	for i := range t.Leaves() {
		h := t.leafHash(i)
		dst = append(dst, h[:]...)
	}
	for _, c := range t.count {
		dst = binary.AppendUvarint(dst, c)
	}
	return dst, nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (t *Tree) MarshalBinary() ([]byte, error) { return t.AppendBinary(nil) }

// DecodeTree decodes a tree encoded by AppendBinary. Every length is
// checked before it is used; trailing bytes are an error.
func DecodeTree(src []byte) (*Tree, error) {
	if len(src) < treeHeaderSize {
		return nil, fmt.Errorf("cannot decode tree header of %d bytes: %w", len(src), ErrCorruptTree)
	}
	if src[0] != treeCodecVersion {
		return nil, fmt.Errorf("cannot decode tree of version %d: %w", src[0], ErrCorruptTree)
	}
	depth := int(src[21])
	if depth > MaxDepth {
		return nil, fmt.Errorf("cannot decode tree of depth %d: %w", depth, ErrCorruptTree)
	}
	rng := ring.Range{
		Start: ring.Token(binary.BigEndian.Uint64(src[5:13])),
		End:   ring.Token(binary.BigEndian.Uint64(src[13:21])),
	}
	leaves := 1 << depth
	body := src[treeHeaderSize:]
	if len(body) < leaves*len(Hash{})+leaves { // every count takes at least a byte
		return nil, fmt.Errorf("cannot decode %d leaves from %d bytes: %w", leaves, len(body), ErrCorruptTree)
	}
	t, err := newTree(schema.TableID(binary.BigEndian.Uint32(src[1:5])), rng, depth)
	if err != nil {
		return nil, fmt.Errorf("cannot decode tree: %w", err)
	}
	for i := range leaves {
		copy(t.nodes[leaves+i][:], body[i*len(Hash{}):])
	}
	body = body[leaves*len(Hash{}):]
	for i := range t.count {
		c, n := binary.Uvarint(body)
		if n <= 0 {
			return nil, fmt.Errorf("cannot decode count of leaf %d: %w", i, ErrCorruptTree)
		}
		t.count[i], body = c, body[n:]
	}
	if len(body) != 0 {
		return nil, fmt.Errorf("cannot decode tree: %d trailing bytes: %w", len(body), ErrCorruptTree)
	}
	t.finish()
	return t, nil
}
