package protocol

import "fmt"

// Prepared is the body of a Prepared result (spec section 4.2.5.4).
type Prepared struct {
	ID []byte
	// Bind describes the bind variables. PKIndexes (v4) gives, for each
	// partition key column in key order, the index of its bind variable;
	// drivers route by it.
	Bind      []ColumnSpec
	PKIndexes []uint16
	// Result is the metadata of the rows the statement returns; encoded
	// with No_metadata when it has no columns.
	Result RowsMetadata
}

func (p *Prepared) encode(e *encoder, v Version) {
	e.shortBytes(p.ID)
	global := globalSpec(p.Bind)
	var flags int32
	if global {
		flags |= metaGlobalTablesSpec
	}
	e.int(flags)
	e.int(int32(len(p.Bind)))
	if v >= Version4 {
		e.int(int32(len(p.PKIndexes)))
		for _, i := range p.PKIndexes {
			e.short(i)
		}
	}
	e.columnSpecs(p.Bind, global)
	res := p.Result
	if len(res.Columns) == 0 {
		res.NoMetadata, res.Columns, res.ColumnCount = true, nil, 0
	}
	e.rowsMetadata(&res)
}

func (p *Prepared) decode(d *decoder, v Version) {
	*p = Prepared{}
	p.ID = d.shortBytes("id")
	flags := d.int("prepared metadata flags")
	if d.err == nil && flags&^metaGlobalTablesSpec != 0 {
		d.fail(fmt.Sprintf("unknown prepared metadata flags 0x%x", flags))
	}
	n := d.intCount("bind variables", 4)
	if v >= Version4 {
		pk := d.intCount("pk indexes", 2)
		if d.err == nil {
			p.PKIndexes = make([]uint16, 0, pk)
		}
		for range pk {
			p.PKIndexes = append(p.PKIndexes, d.short("pk index"))
		}
	}
	p.Bind = d.columnSpecs(n, flags&metaGlobalTablesSpec != 0)
	d.rowsMetadata(&p.Result)
}
