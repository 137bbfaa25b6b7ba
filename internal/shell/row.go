package shell

import "github.com/gocql/gocql"

// rowDest holds the scan destinations of one result row. gocql scans a
// tuple column into one destination per element, so a tuple's elements
// are received separately and serialized again here; a tuple whose
// elements are all null reads as null (gocql gives no way to tell the two
// apart).
type rowDest struct {
	cols  []gocql.ColumnInfo
	vals  []rawValue
	dest  []any
	start []int // index in vals of each column's first slot
}

func newRowDest(cols []gocql.ColumnInfo) *rowDest {
	r := &rowDest{cols: cols, start: make([]int, len(cols))}
	n := 0
	for i, c := range cols {
		r.start[i] = n
		n += slots(c.TypeInfo)
	}
	r.vals = make([]rawValue, n)
	r.dest = make([]any, n)
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	return r
}

// slots is how many scan destinations gocql wants for a column.
func slots(info gocql.TypeInfo) int {
	if t, ok := info.(gocql.TupleTypeInfo); ok {
		return len(t.Elems)
	}
	return 1
}

// value returns column i's type and serialized value, nil for null.
func (r *rowDest) value(i int) (gocql.TypeInfo, []byte) {
	info := r.cols[i].TypeInfo
	t, ok := info.(gocql.TupleTypeInfo)
	if !ok {
		v := r.vals[r.start[i]]
		if v.null {
			return info, nil
		}
		return info, nonNil(v.data)
	}
	var out []byte
	allNull := true
	for j := range t.Elems {
		v := r.vals[r.start[i]+j]
		if v.null {
			out = appendItem(out, nil)
			continue
		}
		allNull = false
		out = appendItem(out, nonNil(v.data))
	}
	if allNull {
		return info, nil
	}
	return info, out
}

// format renders column i for display.
func (r *rowDest) format(i int, st style) string {
	info, data := r.value(i)
	return formatValue(info, data, st)
}
