package schema

// IndexRead turns a range ReadCommand into a secondary index lookup: the
// replica finds candidate rows through the entries of index Index of the
// command's table (storage/index.go) instead of scanning the range, and
// reads those rows with the command's selection, limits and paging. The
// rows are candidates: an entry may be stale (the cell changed since), so
// the caller re-checks its restrictions on every row, as Cassandra does.
// A replica that has no usable entries for the index (unknown or not yet
// built there) answers the command as the plain range read it also is, so
// the answer never depends on the index.
type IndexRead struct {
	Index uint32 // Index.ID within the command's table
	// Eq holds the value(s) of an equality term (=, CONTAINS, CONTAINS
	// KEY: one value; m[k] = v on an entries() index: the key, then the
	// value), as CQL serializes them. Nil for a range.
	Eq [][]byte
	// Lo and Hi bound a range term (SAI); nil is unbounded.
	Lo, Hi *IndexBound
}

// IndexBound is one end of an index range term.
type IndexBound struct {
	Value     []byte
	Inclusive bool
}

// appendIndexRead appends the optional index section of a read command:
// absent (nothing at all) for a plain read, so commands without an index
// encode as before.
func appendIndexRead(dst []byte, ir *IndexRead) []byte {
	if ir == nil {
		return dst
	}
	dst = append(dst, 1)
	dst = appendUvarint32(dst, ir.Index)
	dst = appendUvarint32(dst, uint32(len(ir.Eq)))
	for _, v := range ir.Eq {
		dst = appendOptBytes(dst, v)
	}
	for _, b := range []*IndexBound{ir.Lo, ir.Hi} {
		if b == nil {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, 1)
		dst = appendOptBytes(dst, b.Value)
		dst = appendBool(dst, b.Inclusive)
	}
	return dst
}

func appendUvarint32(dst []byte, v uint32) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// indexRead decodes what appendIndexRead wrote; nil when the input ends.
func (d *decoder) indexRead() *IndexRead {
	if d.err != nil || len(d.buf) == 0 {
		return nil
	}
	if v := d.byte("index read flag"); d.err == nil && v != 1 {
		d.fail("index read flag")
		return nil
	}
	ir := &IndexRead{Index: d.uint32("index id")}
	if n := d.count("index term count", 1); n > 0 {
		ir.Eq = make([][]byte, n)
		for i := range ir.Eq {
			ir.Eq[i] = d.optBytes("index term")
		}
	}
	bound := func() *IndexBound {
		if !d.bool("index bound flag") {
			return nil
		}
		return &IndexBound{Value: d.optBytes("index bound"), Inclusive: d.bool("index bound inclusive")}
	}
	ir.Lo = bound()
	ir.Hi = bound()
	if d.err != nil {
		return nil
	}
	return ir
}
