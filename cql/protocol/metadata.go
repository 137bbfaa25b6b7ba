package protocol

// Metadata flags (spec section 4.2.5.2).
const (
	metaGlobalTablesSpec = 0x0001
	metaHasMorePages     = 0x0002
	metaNoMetadata       = 0x0004
	metaFlagsKnown       = 0x0007
)

// ColumnSpec names and types one column of a result, or one bind
// variable of a prepared statement.
type ColumnSpec struct {
	Keyspace string
	Table    string
	Name     string
	Type     *TypeOption
}

// RowsMetadata is the <metadata> of a Rows result, and the result
// metadata of a Prepared result.
type RowsMetadata struct {
	// Columns are the column specs. The encoder uses the global table spec
	// when every column has the same keyspace and table, and the decoder
	// fills each column's keyspace and table from it.
	Columns []ColumnSpec
	// NoMetadata omits the specs (the client asked to skip them);
	// ColumnCount then gives the number of columns when Columns is nil.
	NoMetadata  bool
	ColumnCount int
	// PagingState is set when more pages follow (Has_more_pages).
	PagingState []byte
}

// columnCount is the number of columns a row has.
func (md *RowsMetadata) columnCount() int {
	if md.NoMetadata && md.Columns == nil {
		return md.ColumnCount
	}
	return len(md.Columns)
}

// globalSpec reports whether all columns share one keyspace and table.
func globalSpec(cols []ColumnSpec) bool {
	if len(cols) == 0 {
		return false
	}
	for _, c := range cols[1:] {
		if c.Keyspace != cols[0].Keyspace || c.Table != cols[0].Table {
			return false
		}
	}
	return true
}

func (e *encoder) rowsMetadata(md *RowsMetadata) {
	var flags int32
	global := !md.NoMetadata && globalSpec(md.Columns)
	if global {
		flags |= metaGlobalTablesSpec
	}
	if md.PagingState != nil {
		flags |= metaHasMorePages
	}
	if md.NoMetadata {
		flags |= metaNoMetadata
	}
	e.int(flags)
	e.int(int32(md.columnCount()))
	if md.PagingState != nil {
		e.bytes(md.PagingState)
	}
	if !md.NoMetadata {
		e.columnSpecs(md.Columns, global)
	}
}

func (e *encoder) columnSpecs(cols []ColumnSpec, global bool) {
	if global {
		e.string(cols[0].Keyspace)
		e.string(cols[0].Table)
	}
	for i := range cols {
		c := &cols[i]
		if !global {
			e.string(c.Keyspace)
			e.string(c.Table)
		}
		e.string(c.Name)
		e.typeOption(c.Type)
	}
}

func (d *decoder) rowsMetadata(md *RowsMetadata) {
	*md = RowsMetadata{}
	flags := d.int("metadata flags")
	if d.err == nil && flags&^metaFlagsKnown != 0 {
		d.fail("unknown metadata flags")
	}
	n := d.intCount("columns", 0)
	if flags&metaHasMorePages != 0 {
		if md.PagingState = d.bytes("paging state"); md.PagingState == nil {
			md.PagingState = []byte{}
		}
	}
	if flags&metaNoMetadata != 0 {
		md.NoMetadata = true
		md.ColumnCount = n
		return
	}
	md.Columns = d.columnSpecs(n, flags&metaGlobalTablesSpec != 0)
}

func (d *decoder) columnSpecs(n int, global bool) []ColumnSpec {
	var ks, table string
	if global {
		ks = d.string("keyspace")
		table = d.string("table")
	}
	if d.err != nil || int64(n)*4 > int64(len(d.b)) {
		d.fail("column count exceeds the body")
		return nil
	}
	cols := make([]ColumnSpec, 0, n)
	for range n {
		c := ColumnSpec{Keyspace: ks, Table: table}
		if !global {
			c.Keyspace = d.string("keyspace")
			c.Table = d.string("table")
		}
		c.Name = d.string("column name")
		c.Type = d.typeOption(0)
		cols = append(cols, c)
	}
	return cols
}
