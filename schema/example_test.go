package schema_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sibyldb/sibyl/schema"
)

// A table's clustering keys encode so that byte order is CQL order, DESC
// columns included, and a prefix encodes to a byte prefix.
func ExampleTable_EncodeClustering() {
	c := schema.NewCatalog()
	c, _ = c.CreateKeyspace("ks", map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true)
	c, err := c.CreateTable(schema.TableDef{
		Keyspace:     "ks",
		Name:         "events",
		PartitionKey: []schema.ColumnDef{{Name: "id", Type: schema.UUIDType}},
		Clustering: []schema.ColumnDef{
			{Name: "day", Type: schema.DateType},
			{Name: "seq", Type: schema.IntType, Desc: true},
		},
		Columns: []schema.ColumnDef{{Name: "payload", Type: schema.BlobType}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	t := c.Table("ks", "events")
	day, _ := schema.Marshal(schema.DateType, schema.Date(19000))
	one, _ := schema.Marshal(schema.IntType, int32(1))
	two, _ := schema.Marshal(schema.IntType, int32(2))
	k1, _ := t.EncodeClustering([][]byte{day, one})
	k2, _ := t.EncodeClustering([][]byte{day, two})
	prefix, _ := t.EncodeClustering([][]byte{day})
	fmt.Println(bytes.Compare(k2, k1) < 0) // seq is DESC: 2 sorts first
	fmt.Println(bytes.HasPrefix(k1, prefix))
	ddl := t.CQL()
	fmt.Println(ddl[:strings.Index(ddl, "\n)")]) // the column list
	// Output:
	// true
	// true
	// CREATE TABLE ks.events (
	//     id uuid,
	//     day date,
	//     seq int,
	//     payload blob,
	//     PRIMARY KEY (id, day, seq)
}

// ParseType reads CQL type syntax; String writes it the way
// system_schema.columns.type shows it.
func ExampleParseType() {
	t, err := schema.ParseType("map<varchar, frozen<list<tuple<int, text>>>>", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t)
	v, _ := schema.Marshal(t, []schema.MapEntry{{Key: "k", Value: []any{[]any{int32(1), "a"}}}})
	fmt.Println(schema.FormatValue(t, v))
	// Output:
	// map<text, frozen<list<frozen<tuple<int, text>>>>>
	// {'k': [(1, 'a')]}
}
