package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/golang/snappy"
	"github.com/pierrec/lz4/v4"
)

// Compressor compresses and decompresses frame bodies (spec section 5).
// Implementations are safe for concurrent use.
type Compressor interface {
	// Name is the algorithm's name in STARTUP's COMPRESSION option.
	Name() string
	// Compress appends the compressed form of src to dst.
	Compress(dst, src []byte) ([]byte, error)
	// Decompress appends the decompressed form of src to dst, failing
	// (ErrCompression, or ErrFrameTooLarge) rather than producing more
	// than max bytes.
	Decompress(dst, src []byte, max int) ([]byte, error)
}

// CompressorByName returns the Compressor for a COMPRESSION option value,
// or nil if Sibyl does not implement it.
func CompressorByName(name string) Compressor {
	switch name {
	case "lz4":
		return LZ4{}
	case "snappy":
		return Snappy{}
	}
	return nil
}

// CompressorNames lists the supported algorithms, as SUPPORTED advertises
// them.
var CompressorNames = []string{"lz4", "snappy"}

// LZ4 is Cassandra's lz4 framing: a 4-byte big-endian uncompressed length,
// then one raw lz4 block. A length of 0 stands for an empty body.
type LZ4 struct{}

// Name implements Compressor.
func (LZ4) Name() string { return "lz4" }

// Compress implements Compressor.
func (LZ4) Compress(dst, src []byte) ([]byte, error) {
	if len(src) > maxInt {
		return dst, fmt.Errorf("%w: lz4 input of %d bytes", ErrCompression, len(src))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(src)))
	if len(src) == 0 {
		return dst, nil
	}
	start := len(dst)
	dst = grow(dst, lz4.CompressBlockBound(len(src)))
	n, err := lz4.CompressBlock(src, dst[start:], nil)
	if err != nil {
		return dst[:start-4], fmt.Errorf("%w: lz4: %w", ErrCompression, err)
	}
	return dst[:start+n], nil
}

// Decompress implements Compressor.
func (LZ4) Decompress(dst, src []byte, max int) ([]byte, error) {
	if len(src) < 4 {
		return dst, fmt.Errorf("%w: lz4 body of %d bytes has no length", ErrCompression, len(src))
	}
	size := binary.BigEndian.Uint32(src)
	if uint64(size) > uint64(max) {
		return dst, fmt.Errorf("lz4 body decompresses to %d bytes, over the limit of %d: %w", size, max, ErrFrameTooLarge)
	}
	if size == 0 {
		return dst, nil
	}
	start := len(dst)
	dst = grow(dst, int(size))
	n, err := lz4.UncompressBlock(src[4:], dst[start:])
	if err != nil {
		return dst[:start], fmt.Errorf("%w: lz4: %w", ErrCompression, err)
	}
	if n != int(size) {
		return dst[:start], fmt.Errorf("%w: lz4 body is %d bytes, header says %d", ErrCompression, n, size)
	}
	return dst, nil
}

// Snappy is a raw snappy block.
type Snappy struct{}

// Name implements Compressor.
func (Snappy) Name() string { return "snappy" }

// Compress implements Compressor.
func (Snappy) Compress(dst, src []byte) ([]byte, error) {
	start := len(dst)
	dst = grow(dst, snappy.MaxEncodedLen(len(src)))
	out := snappy.Encode(dst[start:], src)
	return dst[:start+len(out)], nil
}

// Decompress implements Compressor.
func (Snappy) Decompress(dst, src []byte, max int) ([]byte, error) {
	size, err := snappy.DecodedLen(src)
	if err != nil {
		return dst, fmt.Errorf("%w: snappy: %w", ErrCompression, err)
	}
	if size > max {
		return dst, fmt.Errorf("snappy body decompresses to %d bytes, over the limit of %d: %w", size, max, ErrFrameTooLarge)
	}
	start := len(dst)
	dst = grow(dst, size)
	out, err := snappy.Decode(dst[start:], src)
	if err != nil {
		return dst[:start], fmt.Errorf("%w: snappy: %w", ErrCompression, err)
	}
	return dst[:start+len(out)], nil
}

// grow extends dst by n bytes (contents unspecified).
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), len(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	return dst[:len(dst)+n]
}
