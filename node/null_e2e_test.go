package node_test

import (
	"testing"

	"github.com/sibyldb/sibyl/node"
)

// TestGocqlNullBackend drives `--backend null` with gocql: the same server,
// protocol, executor and coordinator, writes acknowledged and dropped,
// point reads answered with a synthetic row of the table's shape.
func TestGocqlNullBackend(t *testing.T) {
	tn := startNode(t, func(c *node.Config) { c.Backend = node.BackendNull })
	s := newKeyspace(t, tn, "nullks")
	mustExec(t, s, "CREATE TABLE t (p bigint, c int, v blob, n int, PRIMARY KEY (p, c))")
	for i := range 100 {
		mustExec(t, s, "INSERT INTO t (p, c, v, n) VALUES (?, ?, ?, ?)", int64(i), i, []byte("value"), i)
	}
	var c, n int
	var v []byte
	if err := s.Query("SELECT c, v, n FROM t WHERE p = ? AND c = ?", int64(42), 7).Scan(&c, &v, &n); err != nil {
		t.Fatalf("point read on the null backend: %v", err)
	}
	if c != 7 {
		t.Fatalf("the synthetic row has c = %d, want the key asked for (7)", c)
	}
	var rows int
	iter := s.Query("SELECT p, c FROM t WHERE p = ?", int64(3)).Iter()
	for iter.Scan(new(int64), new(int)) {
		rows++
	}
	if err := iter.Close(); err != nil || rows != 1 {
		t.Fatalf("partition read: %d rows, %v; want the one synthetic row", rows, err)
	}
}
