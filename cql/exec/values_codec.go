package exec

import (
	"encoding/binary"
)

// Native-protocol (v3+) layouts of composite values: a collection is
// [int n] followed by n [bytes] elements (a map has key, value pairs); a
// tuple or UDT is its components' [bytes] concatenated, -1 for null.

// encodeElems serializes a list or set from its element values.
func encodeElems(elems [][]byte) []byte {
	b := be32(uint32(len(elems)))
	for _, e := range elems {
		b = appendBytesValue(b, e)
	}
	return b
}

// encodeMap serializes a map from parallel keys and values.
func encodeMap(keys, vals [][]byte) []byte {
	b := be32(uint32(len(keys)))
	for i := range keys {
		b = appendBytesValue(b, keys[i])
		b = appendBytesValue(b, vals[i])
	}
	return b
}

// encodeComponents serializes a tuple or UDT; nil components are null.
func encodeComponents(comps [][]byte) []byte {
	var b []byte
	for _, c := range comps {
		b = appendBytesValue(b, c)
	}
	return b
}

func appendBytesValue(b, v []byte) []byte {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, 0xffffffff)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// decodeElems splits a serialized list or set into its elements.
func decodeElems(v []byte) ([][]byte, error) {
	n, rest, err := readCount(v)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, min(n, len(rest)/4))
	for i := 0; i < n; i++ {
		var e []byte
		if e, rest, err = readBytesValue(rest); err != nil {
			return nil, err
		}
		if e == nil {
			return nil, invalidf("null is not supported inside collections")
		}
		out = append(out, e)
	}
	if len(rest) != 0 {
		return nil, invalidf("Invalid collection value: %d trailing bytes", len(rest))
	}
	return out, nil
}

// decodeMap splits a serialized map into parallel keys and values.
func decodeMap(v []byte) (keys, vals [][]byte, err error) {
	flat, err := decodeFlat(v, 2)
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i+1 < len(flat); i += 2 {
		keys = append(keys, flat[i])
		vals = append(vals, flat[i+1])
	}
	return keys, vals, nil
}

func decodeFlat(v []byte, per int) ([][]byte, error) {
	n, rest, err := readCount(v)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, min(n*per, len(rest)/4))
	for i := 0; i < n*per; i++ {
		var e []byte
		if e, rest, err = readBytesValue(rest); err != nil {
			return nil, err
		}
		if e == nil {
			return nil, invalidf("null is not supported inside collections")
		}
		out = append(out, e)
	}
	if len(rest) != 0 {
		return nil, invalidf("Invalid collection value: %d trailing bytes", len(rest))
	}
	return out, nil
}

// decodeComponents splits a tuple or UDT value into at most n components;
// missing trailing components are null.
func decodeComponents(v []byte, n int) ([][]byte, error) {
	out := make([][]byte, n)
	rest := v
	for i := 0; i < n && len(rest) > 0; i++ {
		var err error
		if out[i], rest, err = readBytesValue(rest); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, invalidf("Invalid tuple or user type value: too many components")
	}
	return out, nil
}

func readCount(v []byte) (int, []byte, error) {
	if len(v) < 4 {
		return 0, nil, invalidf("Invalid collection value: not enough bytes to read its size")
	}
	n := int32(binary.BigEndian.Uint32(v))
	if n < 0 || int(n) > len(v) {
		return 0, nil, invalidf("Invalid collection value: bad element count %d", n)
	}
	return int(n), v[4:], nil
}

func readBytesValue(v []byte) ([]byte, []byte, error) {
	if len(v) < 4 {
		return nil, nil, invalidf("Invalid value: not enough bytes to read a length")
	}
	n := int32(binary.BigEndian.Uint32(v))
	v = v[4:]
	if n < 0 {
		return nil, v, nil
	}
	if int(n) > len(v) {
		return nil, nil, invalidf("Invalid value: length %d exceeds the %d bytes left", n, len(v))
	}
	return v[:n:n], v[n:], nil
}
