package node

import (
	"bytes"
	"testing"

	"github.com/sibyldb/sibyl/schema"
)

// TestSilentRead checks which rows a silent replica is asked for: only the
// live rows it did not return, as ascending point slices whatever the read
// order, and a static-only partition with the command's own selection.
func TestSilentRead(t *testing.T) {
	row := func(ck string) schema.Row {
		return schema.Row{Clustering: []byte(ck), Marker: schema.Liveness{Timestamp: 1, ExpiresAt: schema.NoExpiry}}
	}
	cmd := &schema.ReadCommand{Table: 7, Static: true, Columns: []schema.ColumnID{1}, NowSeconds: 100,
		Slices: []schema.Slice{schema.FullSlice}, Limit: 50}
	part := &schema.Partition{Table: 7, Key: []byte("k"), Token: 42, Rows: []schema.Row{row("a"), row("b"), row("c")}}
	_, live := schema.LiveRows(part, cmd.NowSeconds)

	if sub := silentRead(cmd, part, live, map[string]bool{"a": true, "b": true, "c": true}, true); sub != nil {
		t.Errorf("a replica that returned every row is asked again: %+v", sub)
	}
	sub := silentRead(cmd, part, live, map[string]bool{"b": true}, true)
	if sub == nil || !bytes.Equal(sub.Key, part.Key) || sub.Token != part.Token || sub.Index != nil || !sub.Static || len(sub.Columns) != 1 {
		t.Fatalf("silent on a and c: %+v", sub)
	}
	if len(sub.Slices) != 2 || string(sub.Slices[0].Start.Prefix) != "a" || string(sub.Slices[1].End.Prefix) != "c" ||
		!sub.Slices[0].Contains([]byte("a")) || sub.Slices[0].Contains([]byte("b")) {
		t.Errorf("silent on a and c: slices %+v", sub.Slices)
	}

	rev := *cmd
	rev.Reversed = true
	rpart := &schema.Partition{Table: 7, Key: []byte("k"), Token: 42, Rows: []schema.Row{row("c"), row("b"), row("a")}}
	_, rlive := schema.LiveRows(rpart, rev.NowSeconds)
	sub = silentRead(&rev, rpart, rlive, nil, false)
	if sub == nil || len(sub.Slices) != 3 || string(sub.Slices[0].Start.Prefix) != "a" || string(sub.Slices[2].Start.Prefix) != "c" {
		t.Errorf("reversed read, silent on the whole partition: %+v", sub)
	}

	static := &schema.Partition{Table: 7, Key: []byte("s"), Token: 43,
		Static: &schema.Row{Cells: []schema.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: schema.NoExpiry, Value: []byte("x")}}}}
	sub = silentRead(cmd, static, nil, nil, false)
	if sub == nil || len(sub.Slices) != 1 || sub.PerPartitionLimit != cmd.Limit {
		t.Errorf("static-only partition: %+v", sub)
	}
	if sub := silentRead(cmd, static, nil, map[string]bool{}, true); sub != nil {
		t.Errorf("a replica that returned the static-only partition is asked again: %+v", sub)
	}
}
