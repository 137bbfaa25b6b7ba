package exec

import (
	"github.com/sibyldb/sibyl/schema"
)

// tableInfoOf builds the executor's view of a catalog table.
func tableInfoOf(st *schema.Table) *tableInfo {
	cols := make([]*colInfo, 0, len(st.Columns))
	for _, c := range st.Columns {
		cols = append(cols, &colInfo{
			Name:     c.Name,
			Type:     c.Type,
			Kind:     colKindOf(c.Kind),
			Position: c.Position,
			ID:       c.ID,
			Desc:     c.Desc,
		})
	}
	t := newTableInfo(st.Keyspace, st.Name, cols)
	t.ID = st.TableID
	t.DefaultTTL = st.Options.DefaultTimeToLive
	t.hasDropped = len(st.DroppedColumns) > 0
	t.encodeClustering = st.EncodeClustering
	t.decodeClustering = st.DecodeClustering
	t.indexes = st.Indexes
	return t
}

func colKindOf(k schema.ColumnKind) colKind {
	switch k {
	case schema.PartitionKey:
		return kindPartition
	case schema.Clustering:
		return kindClustering
	case schema.Static:
		return kindStatic
	}
	return kindRegular
}
