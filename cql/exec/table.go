package exec

import (
	"encoding/binary"
	"sort"

	"github.com/sibyldb/sibyl/schema"
)

// colKind is a column's role in its table, spelled as system_schema.columns
// spells it.
type colKind uint8

const (
	kindPartition colKind = iota
	kindClustering
	kindStatic
	kindRegular
)

func (k colKind) String() string {
	switch k {
	case kindPartition:
		return "partition_key"
	case kindClustering:
		return "clustering"
	case kindStatic:
		return "static"
	}
	return "regular"
}

// colInfo is what the executor needs to know about one column.
type colInfo struct {
	Name     string
	Type     *schema.Type
	Kind     colKind
	Position int             // index in the partition or clustering key; -1 otherwise
	ID       schema.ColumnID // regular and static columns
	Desc     bool            // clustering column in descending order
}

func (c *colInfo) isKey() bool { return c.Kind == kindPartition || c.Kind == kindClustering }

// tableInfo is the executor's view of a table (a user table from the
// catalog, or a virtual system table).
type tableInfo struct {
	Keyspace, Name string
	ID             schema.TableID
	Partition      []*colInfo
	Clustering     []*colInfo
	// Columns is every column in SELECT * order: partition key, clustering
	// key, then the static columns by name, then the regular ones by name
	// (Cassandra's RegularAndStaticColumns.selectOrderIterator).
	Columns    []*colInfo
	byName     map[string]*colInfo
	byID       map[schema.ColumnID]*colInfo // regular and static columns
	DefaultTTL int32
	// hasDropped: the table has dropped columns, whose cells may still be
	// stored.
	hasDropped bool
	// virtual is set for system tables computed on read.
	virtual virtualTable
	// encodeClustering returns the order-preserving encoding of a
	// clustering prefix (the values of the first len(vals) columns).
	encodeClustering func(vals [][]byte) ([]byte, error)
	// decodeClustering splits an encoded clustering key into its values.
	decodeClustering func(enc []byte) ([][]byte, error)
	// indexes are the table's secondary indexes (index_select.go).
	indexes []*schema.Index
}

func (t *tableInfo) column(name string) *colInfo { return t.byName[name] }

// hasColumnID reports whether id is one of t's regular or static columns.
func (t *tableInfo) hasColumnID(id schema.ColumnID) bool {
	_, ok := t.byID[id]
	return ok
}

// newTableInfo indexes cols (in any order) into a tableInfo.
func newTableInfo(ks, name string, cols []*colInfo) *tableInfo {
	t := &tableInfo{Keyspace: ks, Name: name, byName: make(map[string]*colInfo, len(cols)), byID: make(map[schema.ColumnID]*colInfo)}
	var others []*colInfo
	for _, c := range cols {
		t.byName[c.Name] = c
		switch c.Kind {
		case kindPartition:
			t.Partition = append(t.Partition, c)
		case kindClustering:
			t.Clustering = append(t.Clustering, c)
		default:
			others = append(others, c)
			t.byID[c.ID] = c
		}
	}
	sort.Slice(t.Partition, func(i, j int) bool { return t.Partition[i].Position < t.Partition[j].Position })
	sort.Slice(t.Clustering, func(i, j int) bool { return t.Clustering[i].Position < t.Clustering[j].Position })
	sort.Slice(others, func(i, j int) bool {
		if si, sj := others[i].Kind == kindStatic, others[j].Kind == kindStatic; si != sj {
			return si
		}
		return others[i].Name < others[j].Name
	})
	t.Columns = append(append(append([]*colInfo{}, t.Partition...), t.Clustering...), others...)
	return t
}

// partitionKey serializes partition key values in the routing-key form
// drivers hash: the value itself for one column, else [u16 len][bytes][0]
// per component (Cassandra's CompositeType).
func partitionKey(vals [][]byte) []byte {
	if len(vals) == 1 {
		return vals[0]
	}
	var b []byte
	for _, v := range vals {
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
		b = append(b, 0)
	}
	return b
}

// splitPartitionKey is the inverse of partitionKey for n components.
func splitPartitionKey(key []byte, n int) ([][]byte, error) {
	if n == 1 {
		return [][]byte{key}, nil
	}
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		if len(key) < 2 {
			return nil, invalidf("malformed composite partition key")
		}
		l := int(binary.BigEndian.Uint16(key))
		if len(key) < 3+l {
			return nil, invalidf("malformed composite partition key")
		}
		out = append(out, key[2:2+l])
		key = key[3+l:]
	}
	if len(key) != 0 {
		return nil, invalidf("malformed composite partition key")
	}
	return out, nil
}
