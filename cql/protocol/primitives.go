package protocol

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
)

// This file holds the primitive notations of spec section 3. The decoder
// and encoder keep their first error and turn every later call into a
// no-op, so message codecs read as straight lines of fields and check the
// error once.

// Value is a bound value in a request ([value], spec section 3): Bytes in
// the serialization of its type, nil for null, non-nil and empty for an
// empty value; Unset (protocol v4 only) leaves the column untouched.
type Value struct {
	Bytes []byte
	Unset bool
}

// UUID is a [uuid]: 16 bytes.
type UUID [16]byte

const (
	maxShort = math.MaxUint16
	maxInt   = math.MaxInt32
)

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = malformed(what)
	}
	d.b = nil
}

// take returns the next n bytes, capacity-limited so that appending to
// them can never overwrite what follows in the source.
func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail(fmt.Sprintf("%s needs %d bytes, %d left", what, n, len(d.b)))
		return nil
	}
	if n == 0 {
		return []byte{} // empty, never nil: nil means null
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte(what string) byte {
	b := d.take(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) short(what string) uint16 {
	b := d.take(2, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (d *decoder) int(what string) int32 {
	b := d.take(4, what)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (d *decoder) long(what string) int64 {
	b := d.take(8, what)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// string reads a [string]: a [short] length and that many bytes.
func (d *decoder) string(what string) string {
	n := d.short(what)
	return string(d.take(int(n), what))
}

// longString reads a [long string]: an [int] length and that many bytes.
func (d *decoder) longString(what string) string {
	n := d.int(what)
	if n < 0 {
		d.fail(what + " has a negative length")
		return ""
	}
	return string(d.take(int(n), what))
}

// bytes reads [bytes]: an [int] length, negative for null.
func (d *decoder) bytes(what string) []byte {
	n := d.int(what)
	if n < 0 || d.err != nil {
		return nil
	}
	return d.take(int(n), what)
}

// shortBytes reads [short bytes].
func (d *decoder) shortBytes(what string) []byte {
	n := d.short(what)
	return d.take(int(n), what)
}

// value reads a [value]: -1 is null, -2 is unset (allowed only when
// unsetOK, that is from protocol v4 on), other negative lengths are
// malformed.
func (d *decoder) value(what string, unsetOK bool) Value {
	n := d.int(what)
	switch {
	case d.err != nil:
		return Value{}
	case n == -1:
		return Value{}
	case n == -2 && unsetOK:
		return Value{Unset: true}
	case n < 0:
		d.fail(fmt.Sprintf("%s has invalid length %d", what, n))
		return Value{}
	}
	return Value{Bytes: d.take(int(n), what)}
}

// count reads a [short] element count and checks that the remaining bytes
// can hold that many elements of at least minSize bytes each, so a forged
// count cannot make the caller allocate.
func (d *decoder) count(what string, minSize int) int {
	n := int(d.short(what))
	if d.err == nil && n*minSize > len(d.b) {
		d.fail(fmt.Sprintf("%s count %d exceeds the %d bytes left", what, n, len(d.b)))
		return 0
	}
	return n
}

// intCount is count for an [int] count; negative counts are malformed.
func (d *decoder) intCount(what string, minSize int) int {
	n := d.int(what)
	if d.err != nil {
		return 0
	}
	if n < 0 || int64(n)*int64(minSize) > int64(len(d.b)) {
		d.fail(fmt.Sprintf("%s count %d is impossible with %d bytes left", what, n, len(d.b)))
		return 0
	}
	return int(n)
}

func (d *decoder) stringList(what string) []string {
	n := d.count(what, 2)
	if d.err != nil {
		return nil
	}
	l := make([]string, 0, n)
	for range n {
		l = append(l, d.string(what))
	}
	return l
}

func (d *decoder) stringMap(what string) map[string]string {
	n := d.count(what, 4)
	m := make(map[string]string, n)
	for range n {
		k := d.string(what)
		m[k] = d.string(what)
	}
	return m
}

func (d *decoder) stringMultimap(what string) map[string][]string {
	n := d.count(what, 4)
	m := make(map[string][]string, n)
	for range n {
		k := d.string(what)
		m[k] = d.stringList(what)
	}
	return m
}

func (d *decoder) bytesMap(what string) map[string][]byte {
	n := d.count(what, 6)
	m := make(map[string][]byte, n)
	for range n {
		k := d.string(what)
		m[k] = d.bytes(what)
	}
	return m
}

// inet reads an [inet]: a byte size (4 or 16), the address, an [int] port.
func (d *decoder) inet(what string) netip.AddrPort {
	n := d.byte(what)
	if d.err == nil && n != 4 && n != 16 {
		d.fail(fmt.Sprintf("%s has address size %d", what, n))
	}
	ip, _ := netip.AddrFromSlice(d.take(int(n), what))
	port := d.int(what)
	if d.err == nil && (port < 0 || port > maxShort) {
		d.fail(fmt.Sprintf("%s has port %d", what, port))
	}
	return netip.AddrPortFrom(ip, uint16(port))
}

func (d *decoder) uuid(what string) UUID {
	var u UUID
	copy(u[:], d.take(16, what))
	return u
}

// finish reports the first error, and rejects trailing bytes: every
// message this package decodes has a fixed end, and bytes after it mean
// the peer and we disagree on the layout.
func (d *decoder) finish(msg string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = malformed(fmt.Sprintf("%d trailing bytes", len(d.b)))
	}
	if d.err != nil {
		return fmt.Errorf("cannot decode %s: %w", msg, d.err)
	}
	return nil
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
	}
}

func (e *encoder) byte(v byte)    { e.b = append(e.b, v) }
func (e *encoder) short(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) int(v int32)    { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) long(v int64)   { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

func (e *encoder) string(s string) {
	if len(s) > maxShort {
		e.fail("string of %d bytes exceeds the [string] limit of %d", len(s), maxShort)
		return
	}
	e.short(uint16(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) longString(s string) {
	if len(s) > maxInt {
		e.fail("string of %d bytes exceeds the [long string] limit", len(s))
		return
	}
	e.int(int32(len(s)))
	e.b = append(e.b, s...)
}

// bytes writes [bytes]; nil is null.
func (e *encoder) bytes(b []byte) {
	if b == nil {
		e.int(-1)
		return
	}
	if len(b) > maxInt {
		e.fail("value of %d bytes exceeds the [bytes] limit", len(b))
		return
	}
	e.int(int32(len(b)))
	e.b = append(e.b, b...)
}

func (e *encoder) shortBytes(b []byte) {
	if len(b) > maxShort {
		e.fail("value of %d bytes exceeds the [short bytes] limit", len(b))
		return
	}
	e.short(uint16(len(b)))
	e.b = append(e.b, b...)
}

func (e *encoder) value(v Value, unsetOK bool) {
	if v.Unset {
		if !unsetOK {
			e.fail("unset values need protocol v4")
			return
		}
		e.int(-2)
		return
	}
	e.bytes(v.Bytes)
}

// count writes a [short] count.
func (e *encoder) count(n int, what string) {
	if n > maxShort {
		e.fail("%d %s exceed the limit of %d", n, what, maxShort)
		return
	}
	e.short(uint16(n))
}

func (e *encoder) stringList(l []string) {
	e.count(len(l), "strings")
	for _, s := range l {
		e.string(s)
	}
}

// Maps are written in key order, so an encoding is deterministic.

func (e *encoder) stringMap(m map[string]string) {
	e.count(len(m), "map entries")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.string(k)
		e.string(m[k])
	}
}

func (e *encoder) stringMultimap(m map[string][]string) {
	e.count(len(m), "map entries")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.string(k)
		e.stringList(m[k])
	}
}

func (e *encoder) bytesMap(m map[string][]byte) {
	e.count(len(m), "map entries")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.string(k)
		e.bytes(m[k])
	}
}

func (e *encoder) inet(a netip.AddrPort) {
	ip := a.Addr().Unmap()
	if !ip.IsValid() {
		e.fail("cannot encode an invalid inet address")
		return
	}
	raw := ip.AsSlice()
	e.byte(byte(len(raw)))
	e.b = append(e.b, raw...)
	e.int(int32(a.Port()))
}

func (e *encoder) uuid(u UUID) { e.b = append(e.b, u[:]...) }

func (e *encoder) result(msg string) ([]byte, error) {
	if e.err != nil {
		return e.b, fmt.Errorf("cannot encode %s: %w", msg, e.err)
	}
	return e.b, nil
}
