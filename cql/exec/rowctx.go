package exec

import (
	"github.com/sibyldb/sibyl/schema"
)

// rowCtx is one candidate result row: a clustering row (or a partition's
// static-only row) with everything selectors and filters read from it.
type rowCtx struct {
	key    []byte   // serialized partition key
	pk     [][]byte // partition key values
	ck     [][]byte // clustering values; nil for a static-only row
	ckEnc  []byte   // encoded clustering; nil for a static-only row
	static *liveRow
	row    *liveRow // nil for a static-only row
	token  int64
	now    int64
	// virtual holds the values of a virtual table's row by column name.
	virtual map[string][]byte
	env     *bindEnv
}

// value returns the serialized value of column c in this row (nil for
// null; an empty multi-cell collection is null too).
func (r *rowCtx) value(c *colInfo) []byte {
	if r.virtual != nil {
		return r.virtual[c.Name]
	}
	switch c.Kind {
	case kindPartition:
		if c.Position < len(r.pk) {
			return r.pk[c.Position]
		}
		return nil
	case kindClustering:
		if c.Position < len(r.ck) {
			return r.ck[c.Position]
		}
		return nil
	}
	cells := r.cells(c)
	if len(cells) == 0 {
		return nil
	}
	if !c.Type.IsMultiCell() {
		return cells[0].Value
	}
	v, err := collectionValue(c.Type, cells)
	if err != nil {
		return nil
	}
	return v
}

// cells returns the live cells of a regular or static column.
func (r *rowCtx) cells(c *colInfo) []schema.Cell {
	if c.Kind == kindStatic {
		return r.static.cellsOf(c.ID)
	}
	if c.Kind == kindRegular {
		return r.row.cellsOf(c.ID)
	}
	return nil
}

// collectionValue serializes a multi-cell column from its element cells
// (in path order, which is element order).
func collectionValue(t *schema.Type, cells []schema.Cell) ([]byte, error) {
	switch t.Kind {
	case schema.KindList:
		vals := make([][]byte, len(cells))
		for i, c := range cells {
			vals[i] = c.Value
		}
		return encodeElems(vals), nil
	case schema.KindSet:
		vals := make([][]byte, 0, len(cells))
		for _, c := range cells {
			v, _, err := schema.DecodeOrdered(c.Path, t.Elems[0], false)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
		return encodeElems(vals), nil
	case schema.KindMap:
		keys := make([][]byte, 0, len(cells))
		vals := make([][]byte, 0, len(cells))
		for _, c := range cells {
			k, _, err := schema.DecodeOrdered(c.Path, t.Elems[0], false)
			if err != nil {
				return nil, err
			}
			keys, vals = append(keys, k), append(vals, c.Value)
		}
		return encodeMap(keys, vals), nil
	case schema.KindUDT:
		fields := make([][]byte, len(t.Elems))
		for _, c := range cells {
			if len(c.Path) == 2 {
				if i := int(c.Path[0])<<8 | int(c.Path[1]); i < len(fields) {
					fields[i] = c.Value
				}
			}
		}
		// Every field, null or not (UserType.serializeForNativeProtocol).
		return encodeComponents(fields), nil
	}
	return nil, invalidf("not a multi-cell type: %s", t)
}
