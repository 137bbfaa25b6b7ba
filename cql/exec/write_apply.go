package exec

import (
	"encoding/binary"

	"github.com/sibyldb/sibyl/schema"
)

// apply adds op's effect on one row to b. current holds the row's live
// cells of op's column when op.needsRead().
func (op *colOp) apply(env *bindEnv, wc *writeCtx, b *rowBuilder, current []schema.Cell) error {
	switch op.kind {
	case opDelete:
		if op.col.Type.IsMultiCell() {
			b.deleteColumn(op.col, wc.deletion(wc.ts))
		} else {
			b.add(wc.tombstone(op.col, nil))
		}
		return nil
	case opDeleteField:
		b.add(wc.tombstone(op.col, fieldPath(op.field)))
		return nil
	case opDeleteElem:
		return op.deleteElem(env, wc, b, current)
	}
	v, unset, err := op.value.eval(env)
	if err != nil || unset {
		return err
	}
	switch op.kind {
	case opSet:
		return op.set(wc, b, v)
	case opSetField:
		if v == nil {
			b.add(wc.tombstone(op.col, fieldPath(op.field)))
		} else {
			b.add(wc.cell(op.col, fieldPath(op.field), v))
		}
		return nil
	case opSetElem:
		return op.setElem(env, wc, b, v, current)
	case opAppend, opPrepend:
		return op.add(wc, b, v)
	case opRemove:
		return op.remove(wc, b, v, current)
	case opCounterAdd, opCounterSub:
		return op.addCounter(wc, b, v)
	}
	return invalidf("Unsupported operation on column %s", op.col.Name)
}

// set writes a whole value. A multi-cell value overwrites: its column is
// deleted just before the write (timestamp - 1), then its elements are
// written, as Cassandra does.
func (op *colOp) set(wc *writeCtx, b *rowBuilder, v []byte) error {
	t := op.col.Type
	if !t.IsMultiCell() {
		if v == nil {
			b.add(wc.tombstone(op.col, nil))
		} else {
			b.add(wc.cell(op.col, nil, v))
		}
		return nil
	}
	b.deleteColumn(op.col, wc.deletion(wc.ts-1))
	if v == nil {
		return nil
	}
	return op.add(wc, b, v)
}

// add writes the elements of v: list append (or prepend), set union, map
// put, or every field of a UDT.
func (op *colOp) add(wc *writeCtx, b *rowBuilder, v []byte) error {
	if v == nil {
		if op.kind == opSet {
			return nil
		}
		return invalidf("Invalid null value for collection operation on %s", op.col.Name)
	}
	t := op.col.Type
	switch t.Kind {
	case schema.KindList:
		return op.addList(wc, b, v)
	case schema.KindSet:
		elems, err := decodeElems(v)
		if err != nil {
			return err
		}
		for _, e := range elems {
			p, err := elementPath(t.Elems[0], e)
			if err != nil {
				return err
			}
			b.add(wc.cell(op.col, p, nil))
		}
		return nil
	case schema.KindMap:
		keys, vals, err := decodeMap(v)
		if err != nil {
			return err
		}
		for i, k := range keys {
			p, err := elementPath(t.Elems[0], k)
			if err != nil {
				return err
			}
			b.add(wc.cell(op.col, p, vals[i]))
		}
		return nil
	case schema.KindUDT:
		fields, err := decodeComponents(v, len(t.Elems))
		if err != nil {
			return err
		}
		for i, f := range fields {
			if f != nil {
				b.add(wc.cell(op.col, fieldPath(i), f))
			}
		}
		return nil
	}
	return invalidf("Invalid operation on non-collection column %s", op.col.Name)
}

func (op *colOp) addList(wc *writeCtx, b *rowBuilder, v []byte) error {
	elems, err := decodeElems(v)
	if err != nil {
		return err
	}
	var paths [][]byte
	if op.kind == opPrepend {
		paths = wc.prependPaths(len(elems))
	} else {
		paths = wc.appendPaths(len(elems))
	}
	for i, e := range elems {
		b.add(wc.cell(op.col, paths[i], e))
	}
	return nil
}

// remove deletes elements: set elements and map keys by path; list values
// by finding the cells that hold them.
func (op *colOp) remove(wc *writeCtx, b *rowBuilder, v []byte, current []schema.Cell) error {
	if v == nil {
		return invalidf("Invalid null value for collection removal on %s", op.col.Name)
	}
	t := op.col.Type
	elems, err := decodeElems(v)
	if err != nil {
		return err
	}
	switch t.Kind {
	case schema.KindList:
		for _, c := range current {
			for _, e := range elems {
				if compareValues(t.Elems[0], c.Value, e) == 0 {
					b.add(wc.tombstone(op.col, c.Path))
					break
				}
			}
		}
		return nil
	case schema.KindSet, schema.KindMap:
		for _, e := range elems {
			p, err := elementPath(t.Elems[0], e)
			if err != nil {
				return err
			}
			b.add(wc.tombstone(op.col, p))
		}
		return nil
	}
	return invalidf("Invalid operation on non-collection column %s", op.col.Name)
}

// setElem is c[k] = v: a map put, or a list set-by-index on the current
// list.
func (op *colOp) setElem(env *bindEnv, wc *writeCtx, b *rowBuilder, v []byte, current []schema.Cell) error {
	k, unset, err := op.key.eval(env)
	if err != nil || unset {
		return err
	}
	if k == nil {
		return invalidf("Invalid null value for %s element key", op.col.Name)
	}
	t := op.col.Type
	if t.Kind == schema.KindList {
		i, err := listIndex(k, current)
		if err != nil {
			return err
		}
		if v == nil {
			b.add(wc.tombstone(op.col, current[i].Path))
		} else {
			b.add(wc.cell(op.col, current[i].Path, v))
		}
		return nil
	}
	p, err := elementPath(t.Elems[0], k)
	if err != nil {
		return err
	}
	if v == nil {
		b.add(wc.tombstone(op.col, p))
	} else {
		b.add(wc.cell(op.col, p, v))
	}
	return nil
}

func (op *colOp) deleteElem(env *bindEnv, wc *writeCtx, b *rowBuilder, current []schema.Cell) error {
	k, unset, err := op.key.eval(env)
	if err != nil || unset {
		return err
	}
	t := op.col.Type
	if k == nil && t.Kind == schema.KindSet {
		return invalidf("Invalid null set element")
	}
	if k == nil {
		return invalidf("Invalid null value for %s element key", op.col.Name)
	}
	if t.Kind == schema.KindList {
		i, err := listIndex(k, current)
		if err != nil {
			return err
		}
		b.add(wc.tombstone(op.col, current[i].Path))
		return nil
	}
	p, err := elementPath(t.Elems[0], k)
	if err != nil {
		return err
	}
	b.add(wc.tombstone(op.col, p))
	return nil
}

func listIndex(k []byte, current []schema.Cell) (int, error) {
	if len(k) != 4 {
		return 0, invalidf("Invalid list index")
	}
	i := int(int32(binary.BigEndian.Uint32(k)))
	if i < 0 || i >= len(current) {
		return 0, invalidf("List index %d out of bound, list has size %d", i, len(current))
	}
	return i, nil
}
