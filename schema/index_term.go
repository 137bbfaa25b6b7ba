package schema

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Index terms are what storage keeps an index entry under: the
// order-preserving encoding (AppendOrdered) of the indexed part of a
// cell, so that equal values give equal terms and, for SAI ranges, byte
// order is value order. A collection element's Path is already that
// encoding of its key (set element, map key).

// indexID derives an index's storage id from its table's UUID and seed
// (its name and the catalog version it was created in): every node that
// applies the same CREATE INDEX to the same catalog derives the same id.
func indexID(table UUID, seed string) uint32 {
	h := sha256.New()
	h.Write(table[:])
	h.Write([]byte(seed))
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

// IndexCellTerm returns the term a cell of the indexed column contributes
// to index ix (col is the column, of the index's table), and false when
// the cell contributes none (a list or map cell to a keys() index, a cell
// without a value).
func IndexCellTerm(ix *Index, col *Column, c *Cell) ([]byte, bool) {
	t := col.Type
	switch ix.Target {
	case TargetSimple, TargetFull:
		if c.Path != nil || c.Value == nil {
			return nil, false
		}
		return orderedTerm(nil, t, c.Value)
	case TargetValues:
		switch t.Kind {
		case KindSet:
			return c.Path, c.Path != nil
		case KindList:
			return orderedTerm(nil, t.Elems[0], c.Value)
		case KindMap:
			return orderedTerm(nil, t.Elems[1], c.Value)
		}
	case TargetKeys:
		if t.Kind == KindMap && c.Path != nil {
			return c.Path, true
		}
	case TargetEntries:
		if t.Kind == KindMap && c.Path != nil {
			return orderedTerm(append([]byte(nil), c.Path...), t.Elems[1], c.Value)
		}
	}
	return nil, false
}

func orderedTerm(dst []byte, t *Type, v []byte) ([]byte, bool) {
	if v == nil {
		return nil, false
	}
	out, err := AppendOrdered(dst, t, v, false)
	return out, err == nil
}

// IndexQueryTerm encodes the value(s) of a query restriction as the term
// index ix keeps entries under: one value (the column's value, a
// collection element, a map key), or two for an entries() index (the map
// key, then the value).
func IndexQueryTerm(ix *Index, col *Column, vals [][]byte) ([]byte, error) {
	t := col.Type
	var elem *Type
	switch {
	case ix.Target == TargetSimple || ix.Target == TargetFull:
		elem = t
	case ix.Target == TargetValues && (t.Kind == KindSet || t.Kind == KindList):
		elem = t.Elems[0]
	case ix.Target == TargetValues && t.Kind == KindMap:
		elem = t.Elems[1]
	case ix.Target == TargetKeys && t.Kind == KindMap:
		elem = t.Elems[0]
	case ix.Target == TargetEntries && t.Kind == KindMap:
		if len(vals) != 2 {
			return nil, fmt.Errorf("index %s: an entries() term needs a key and a value", ix.Name)
		}
		k, err := AppendOrdered(nil, t.Elems[0], vals[0], false)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.Name, err)
		}
		return AppendOrdered(k, t.Elems[1], vals[1], false)
	default:
		return nil, fmt.Errorf("index %s: target %q does not apply to %s", ix.Name, ix.Target, t)
	}
	if len(vals) != 1 {
		return nil, fmt.Errorf("index %s: a term needs one value", ix.Name)
	}
	return AppendOrdered(nil, elem, vals[0], false)
}

// IndexByID returns the index of t with storage id id, or nil.
func (t *Table) IndexByID(id uint32) *Index {
	for _, ix := range t.Indexes {
		if ix.ID == id {
			return ix
		}
	}
	return nil
}
