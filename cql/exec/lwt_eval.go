package exec

import (
	"encoding/binary"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Evaluation of IF conditions against the rows a transaction read, as
// Cassandra's ColumnCondition bounds do it. An absent row and an absent
// cell are null: IF v = null holds on a row that does not exist.

// boundCond is a condition with the request's values bound.
type boundCond struct {
	c      *casCond
	op     parser.Operator // IN compares each value with =
	elem   []byte          // the element key or list index; nil when none
	values [][]byte        // nil entries are null
}

// bind evaluates the condition's terms (ColumnCondition.bind and the
// checks of its Bound constructors).
func (c *casCond) bind(env *bindEnv) (*boundCond, error) {
	b := &boundCond{c: c, op: c.op}
	if c.op == parser.OpIn {
		b.op = parser.OpEq
	}
	if c.elem != nil {
		v, unset, err := c.elem.eval(env)
		if err != nil {
			return nil, err
		}
		if unset {
			return nil, invalidf("Invalid 'unset' value in condition")
		}
		if v == nil {
			kind := "list"
			if c.col.Type.Kind == schema.KindMap {
				kind = "map"
			}
			return nil, invalidf("Invalid null value for %s element access", kind)
		}
		if c.col.Type.Kind == schema.KindList {
			if len(v) != 4 {
				return nil, invalidf("Invalid list index of %d bytes", len(v))
			}
			if idx := int32(binary.BigEndian.Uint32(v)); idx < 0 {
				return nil, invalidf("Invalid negative list index %d", idx)
			}
		}
		b.elem = v
	}
	var err error
	b.values, err = c.bindValues(env)
	return b, err
}

func (c *casCond) bindValues(env *bindEnv) ([][]byte, error) {
	if c.inList != nil {
		v, unset, err := c.inList.eval(env)
		if err != nil {
			return nil, err
		}
		if unset {
			return nil, invalidf("Invalid 'unset' value in condition")
		}
		if v == nil {
			return nil, invalidf("Invalid null list in IN condition")
		}
		return decodeElems(v)
	}
	out := make([][]byte, 0, len(c.values))
	for _, t := range c.values {
		v, unset, err := t.eval(env)
		if err != nil {
			return nil, err
		}
		if unset {
			// IN drops unset values (filterUnsetValuesIfNeeded); a single
			// value may not be unset.
			if c.op == parser.OpIn {
				continue
			}
			return nil, invalidf("Invalid 'unset' value in condition")
		}
		out = append(out, v)
	}
	return out, nil
}

// appliesTo reports whether the condition holds on row (nil: absent): at
// least one of its values satisfies it.
func (b *boundCond) appliesTo(row *liveRow) (bool, error) {
	c := b.c
	ct := c.col.Type
	switch {
	case b.elem != nil:
		v, err := b.elementValue(row)
		if err != nil {
			return false, err
		}
		// Cassandra 4.1 compares a map element's value with the map's key
		// type (ColumnCondition.ElementAccessBound.appliesTo): kept, so
		// that < and > answer as there.
		vt := ct.Elems[0]
		return b.anyValue(vt, v)
	case c.field >= 0:
		return b.anyValue(ct.Elems[c.field], fieldValue(c, row))
	case ct.IsMultiCell() && ct.IsCollection():
		return b.collectionAppliesTo(row.cellsOf(c.col.ID))
	case ct.IsMultiCell():
		var v []byte
		if cells := row.cellsOf(c.col.ID); len(cells) > 0 {
			v = (&rowCtx{row: row, static: row}).value(c.col)
		}
		return b.anyValue(ct, v)
	}
	var v []byte
	if cells := row.cellsOf(c.col.ID); len(cells) > 0 {
		v = cells[0].Value
	}
	return b.anyValue(ct, v)
}

// anyValue reports whether rowValue satisfies the operator with one of
// the values.
func (b *boundCond) anyValue(t *schema.Type, rowValue []byte) (bool, error) {
	for _, v := range b.values {
		ok, err := compareWithOperator(b.op, t, v, rowValue)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// compareWithOperator is Bound.compareWithOperator: rowValue op value,
// where null equals only null and differs from everything else.
func compareWithOperator(op parser.Operator, t *schema.Type, value, rowValue []byte) (bool, error) {
	if value == nil {
		switch op {
		case parser.OpEq:
			return rowValue == nil, nil
		case parser.OpNeq:
			return rowValue != nil, nil
		}
		return false, invalidf("Invalid comparison with null for operator \"%s\"", op.String())
	}
	if rowValue == nil {
		return op == parser.OpNeq, nil
	}
	return satisfies(op, compareValues(t, rowValue, value)), nil
}

// satisfies reports whether a comparison result cmp (row against value)
// satisfies op.
func satisfies(op parser.Operator, cmp int) bool {
	switch op {
	case parser.OpEq:
		return cmp == 0
	case parser.OpNeq:
		return cmp != 0
	case parser.OpLt:
		return cmp < 0
	case parser.OpLte:
		return cmp <= 0
	case parser.OpGt:
		return cmp > 0
	case parser.OpGte:
		return cmp >= 0
	}
	return false
}

// elementValue is the value of m[key] or l[index] in row (nil when
// absent).
func (b *boundCond) elementValue(row *liveRow) ([]byte, error) {
	c := b.c
	ct := c.col.Type
	cells := row.cellsOf(c.col.ID)
	if ct.Kind == schema.KindList {
		idx := int(int32(binary.BigEndian.Uint32(b.elem)))
		if ct.IsMultiCell() {
			if idx < len(cells) {
				return cells[idx].Value, nil
			}
			return nil, nil
		}
		if len(cells) == 0 {
			return nil, nil
		}
		elems, err := decodeElems(cells[0].Value)
		if err != nil || idx >= len(elems) {
			return nil, err
		}
		return elems[idx], nil
	}
	if ct.IsMultiCell() {
		for _, cell := range cells {
			k, _, err := schema.DecodeOrdered(cell.Path, ct.Elems[0], false)
			if err != nil {
				return nil, err
			}
			if compareValues(ct.Elems[0], k, b.elem) == 0 {
				return cell.Value, nil
			}
		}
		return nil, nil
	}
	if len(cells) == 0 {
		return nil, nil
	}
	keys, vals, err := decodeMap(cells[0].Value)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if compareValues(ct.Elems[0], k, b.elem) == 0 {
			return vals[i], nil
		}
	}
	return nil, nil
}

// fieldValue is the value of the UDT field a condition tests (nil when
// absent).
func fieldValue(c *casCond, row *liveRow) []byte {
	cells := row.cellsOf(c.col.ID)
	if c.col.Type.IsMultiCell() {
		for _, cell := range cells {
			if len(cell.Path) == 2 && int(cell.Path[0])<<8|int(cell.Path[1]) == c.field {
				return cell.Value
			}
		}
		return nil
	}
	if len(cells) == 0 {
		return nil
	}
	comps, err := decodeComponents(cells[0].Value, len(c.col.Type.Elems))
	if err != nil || c.field >= len(comps) {
		return nil
	}
	return comps[c.field]
}

// collectionAppliesTo is MultiCellCollectionBound.appliesTo: a non-frozen
// collection compared element by element with each value, where an empty
// collection is null.
func (b *boundCond) collectionAppliesTo(cells []schema.Cell) (bool, error) {
	ct := b.c.col.Type
	for _, v := range b.values {
		if v == nil {
			switch b.op {
			case parser.OpEq:
				if len(cells) == 0 {
					return true, nil
				}
				continue
			case parser.OpNeq:
				return len(cells) > 0, nil
			}
			return false, invalidf("Invalid comparison with null for operator \"%s\"", b.op.String())
		}
		ok, err := collectionValueApplies(ct, cells, v, b.op)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// collectionValueApplies compares the collection in cells with value:
// the first differing element (map: key, then value) decides; when one
// runs out first it is the smaller.
func collectionValueApplies(ct *schema.Type, cells []schema.Cell, value []byte, op parser.Operator) (bool, error) {
	var rowKeys, rowVals, keys, vals [][]byte
	var err error
	if ct.Kind == schema.KindMap {
		keys, vals, err = decodeMap(value)
	} else {
		keys, err = decodeElems(value)
	}
	if err != nil {
		return false, err
	}
	for _, cell := range cells {
		switch ct.Kind {
		case schema.KindList:
			rowKeys = append(rowKeys, cell.Value)
		default:
			k, _, err := schema.DecodeOrdered(cell.Path, ct.Elems[0], false)
			if err != nil {
				return false, err
			}
			rowKeys, rowVals = append(rowKeys, k), append(rowVals, cell.Value)
		}
	}
	for i := range rowKeys {
		if i >= len(keys) {
			return op == parser.OpGt || op == parser.OpGte || op == parser.OpNeq, nil
		}
		if c := compareValues(ct.Elems[0], rowKeys[i], keys[i]); c != 0 {
			return satisfiesUnequal(op, c), nil
		}
		if ct.Kind == schema.KindMap {
			if c := compareValues(ct.Elems[1], rowVals[i], vals[i]); c != 0 {
				return satisfiesUnequal(op, c), nil
			}
		}
	}
	if len(keys) > len(rowKeys) {
		return op == parser.OpLt || op == parser.OpLte || op == parser.OpNeq, nil
	}
	return op == parser.OpEq || op == parser.OpLte || op == parser.OpGte, nil
}

// satisfiesUnequal is evaluateComparisonWithOperator: op applied to a
// comparison that found a difference (cmp != 0).
func satisfiesUnequal(op parser.Operator, cmp int) bool {
	switch op {
	case parser.OpLt, parser.OpLte:
		return cmp < 0
	case parser.OpGt, parser.OpGte:
		return cmp > 0
	case parser.OpNeq:
		return true
	}
	return false
}
