// Package uuidtext is the one text form of a 16-byte UUID, shared by
// schema.UUID (CQL's uuid and timeuuid values) and ring.HostID (a node's
// identity), which neither package may import from the other: the
// canonical lowercase 8-4-4-4-12 hex form Cassandra prints and parses.
package uuidtext

import (
	"encoding/hex"
	"errors"
)

// ErrMalformed is returned for text that is not a UUID in 8-4-4-4-12 form.
var ErrMalformed = errors.New("not a UUID in 8-4-4-4-12 hex form")

// Format returns u as 8-4-4-4-12 lowercase hex.
func Format(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// Parse reads the 8-4-4-4-12 hex form (either case).
func Parse(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, ErrMalformed
	}
	compact := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(compact)); err != nil {
		return [16]byte{}, ErrMalformed
	}
	return u, nil
}
