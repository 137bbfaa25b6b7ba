package node

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// schemaChanges lists the SCHEMA_CHANGE events that turn catalog before
// into after, as Cassandra pushes them: a created keyspace, then its
// types and tables; changed or created types and tables; dropped tables
// and types; a dropped keyspace alone (its tables go with it). Every node
// pushes them to its own registered clients when it adopts a peer's
// schema, so a driver whose control connection is on any node hears of a
// DDL run anywhere.
func schemaChanges(before, after *schema.Catalog) []exec.SchemaChangeResult {
	var out []exec.SchemaChangeResult
	add := func(change, target, ks, name string) {
		out = append(out, exec.SchemaChangeResult{Change: change, Target: target, Keyspace: ks, Name: name})
	}
	for _, name := range after.KeyspaceNames() {
		ak, bk := after.Keyspace(name), before.Keyspace(name)
		if ak.Virtual {
			continue
		}
		switch {
		case bk == nil:
			add(exec.ChangeCreated, exec.TargetKeyspace, name, "")
			bk = &schema.Keyspace{}
		case !maps.Equal(ak.Replication, bk.Replication) || ak.DurableWrites != bk.DurableWrites:
			add(exec.ChangeUpdated, exec.TargetKeyspace, name, "")
		}
		for _, t := range slices.Sorted(maps.Keys(ak.Types)) {
			if old, ok := bk.Types[t]; !ok {
				add(exec.ChangeCreated, exec.TargetType, name, t)
			} else if !sameJSON(old, ak.Types[t]) {
				add(exec.ChangeUpdated, exec.TargetType, name, t)
			}
		}
		for _, t := range slices.Sorted(maps.Keys(ak.Tables)) {
			if old, ok := bk.Tables[t]; !ok {
				add(exec.ChangeCreated, exec.TargetTable, name, t)
			} else if !sameJSON(old, ak.Tables[t]) {
				add(exec.ChangeUpdated, exec.TargetTable, name, t)
			}
		}
		for _, t := range slices.Sorted(maps.Keys(bk.Tables)) {
			if _, ok := ak.Tables[t]; !ok {
				add(exec.ChangeDropped, exec.TargetTable, name, t)
			}
		}
		for _, t := range slices.Sorted(maps.Keys(bk.Types)) {
			if _, ok := ak.Types[t]; !ok {
				add(exec.ChangeDropped, exec.TargetType, name, t)
			}
		}
	}
	for _, name := range before.KeyspaceNames() {
		if after.Keyspace(name) == nil && !before.Keyspace(name).Virtual {
			add(exec.ChangeDropped, exec.TargetKeyspace, name, "")
		}
	}
	return out
}

// sameJSON compares two schema objects by their JSON form, which is how
// the catalog persists them: a catalog decoded from a peer shares no
// pointers with ours.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
