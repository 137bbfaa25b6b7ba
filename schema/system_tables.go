package schema

import (
	"maps"
	"slices"
	"strings"
)

// Names of the system keyspaces.
const (
	SystemKeyspace              = "system"
	SystemSchemaKeyspace        = "system_schema"
	SystemAuthKeyspace          = "system_auth"
	SystemDistributedKeyspace   = "system_distributed"
	SystemTracesKeyspace        = "system_traces"
	SystemVirtualSchemaKeyspace = "system_virtual_schema"
	SystemViewsKeyspace         = "system_views"
)

var systemKeyspaceNames = []string{
	SystemKeyspace, SystemSchemaKeyspace, SystemAuthKeyspace, SystemDistributedKeyspace,
	SystemTracesKeyspace, SystemVirtualSchemaKeyspace, SystemViewsKeyspace,
}

// IsSystemKeyspace reports whether name is one of Cassandra's system
// keyspaces, which users cannot change.
func IsSystemKeyspace(name string) bool { return slices.Contains(systemKeyspaceNames, name) }

// IsReplicatedSystemKeyspace reports whether name is one of the system
// keyspaces with a real replication strategy (system_auth,
// system_distributed, system_traces): as in Cassandra 4.1 (ClientState's
// preventSystemKSSchemaModification), users may ALTER KEYSPACE them, and
// change nothing else of theirs.
func IsReplicatedSystemKeyspace(name string) bool {
	return name == SystemAuthKeyspace || name == SystemDistributedKeyspace || name == SystemTracesKeyspace
}

// sysTableDef is a compact definition: "name type" pairs in key order,
// then the other columns.
type sysTableDef struct {
	name, comment string
	pk, ck        []string
	cols          string // "name type, name type, ..." for every column
	desc          bool   // clustering columns descending
}

// Cassandra 4.1's system tables that clients read: system.local, peers and
// peers_v2 (db/SystemKeyspace.java) and the system_schema tables (schema/SchemaKeyspace.java), with the deprecated
// read_repair_chance columns drivers still select.
var systemTables = []sysTableDef{
	{name: "local", comment: "information about the local node", pk: []string{"key"},
		cols: "key text, bootstrapped text, broadcast_address inet, broadcast_port int, cluster_name text, " +
			"cql_version text, data_center text, gossip_generation int, host_id uuid, listen_address inet, " +
			"listen_port int, native_protocol_version text, partitioner text, rack text, release_version text, " +
			"rpc_address inet, rpc_port int, schema_version uuid, tokens set<text>, truncated_at map<uuid, blob>"},
	{name: "peers", comment: "information about known peers in the cluster", pk: []string{"peer"},
		cols: "peer inet, data_center text, host_id uuid, preferred_ip inet, rack text, release_version text, " +
			"rpc_address inet, schema_version uuid, tokens set<text>"},
	{name: "peers_v2", comment: "information about known peers in the cluster", pk: []string{"peer"}, ck: []string{"peer_port"},
		cols: "peer inet, peer_port int, data_center text, host_id uuid, native_address inet, native_port int, " +
			"preferred_ip inet, preferred_port int, rack text, release_version text, schema_version uuid, tokens set<text>"},
	{name: "size_estimates", comment: "per-table primary range size estimates, table is deprecated in favor of table_estimates",
		pk: []string{"keyspace_name"}, ck: []string{"table_name", "range_start", "range_end"},
		cols: "keyspace_name text, table_name text, range_start text, range_end text, mean_partition_size bigint, partitions_count bigint"},
}

// Cassandra 4.1's system_views tables that Sibyl computes
// (db/virtual/ClientsTable.java).
var viewsTables = []sysTableDef{
	{name: "clients", comment: "currently connected clients", pk: []string{"address"}, ck: []string{"port"},
		cols: "address inet, port int, client_options map<text, text>, connection_stage text, driver_name text, " +
			"driver_version text, hostname text, protocol_version int, request_count bigint, ssl_cipher_suite text, " +
			"ssl_enabled boolean, ssl_protocol text, username text"},
}

const tableOptionColumns = "additional_write_policy text, bloom_filter_fp_chance double, caching frozen<map<text, text>>, " +
	"cdc boolean, comment text, compaction frozen<map<text, text>>, compression frozen<map<text, text>>, " +
	"crc_check_chance double, dclocal_read_repair_chance double, default_time_to_live int, " +
	"extensions frozen<map<text, blob>>, gc_grace_seconds int, id uuid, max_index_interval int, " +
	"memtable_flush_period_in_ms int, min_index_interval int, read_repair text, read_repair_chance double, " +
	"speculative_retry text"

var schemaTables = []sysTableDef{
	{name: "keyspaces", comment: "keyspace definitions", pk: []string{"keyspace_name"},
		cols: "keyspace_name text, durable_writes boolean, replication frozen<map<text, text>>"},
	{name: "tables", comment: "table definitions", pk: []string{"keyspace_name"}, ck: []string{"table_name"},
		cols: "keyspace_name text, table_name text, flags frozen<set<text>>, " + tableOptionColumns},
	{name: "columns", comment: "column definitions", pk: []string{"keyspace_name"}, ck: []string{"table_name", "column_name"},
		cols: "keyspace_name text, table_name text, column_name text, clustering_order text, " +
			"column_name_bytes blob, kind text, position int, type text"},
	{name: "dropped_columns", comment: "dropped column registry", pk: []string{"keyspace_name"}, ck: []string{"table_name", "column_name"},
		cols: "keyspace_name text, table_name text, column_name text, dropped_time timestamp, kind text, type text"},
	{name: "triggers", comment: "trigger definitions", pk: []string{"keyspace_name"}, ck: []string{"table_name", "trigger_name"},
		cols: "keyspace_name text, table_name text, trigger_name text, options frozen<map<text, text>>"},
	{name: "views", comment: "view definitions", pk: []string{"keyspace_name"}, ck: []string{"view_name"},
		cols: "keyspace_name text, view_name text, base_table_id uuid, base_table_name text, " +
			"include_all_columns boolean, where_clause text, " + tableOptionColumns},
	{name: "types", comment: "user defined type definitions", pk: []string{"keyspace_name"}, ck: []string{"type_name"},
		cols: "keyspace_name text, type_name text, field_names frozen<list<text>>, field_types frozen<list<text>>"},
	{name: "functions", comment: "user defined function definitions", pk: []string{"keyspace_name"}, ck: []string{"function_name", "argument_types"},
		cols: "keyspace_name text, function_name text, argument_types frozen<list<text>>, " +
			"argument_names frozen<list<text>>, body text, called_on_null_input boolean, language text, return_type text"},
	{name: "aggregates", comment: "user defined aggregate definitions", pk: []string{"keyspace_name"}, ck: []string{"aggregate_name", "argument_types"},
		cols: "keyspace_name text, aggregate_name text, argument_types frozen<list<text>>, final_func text, " +
			"initcond text, return_type text, state_func text, state_type text"},
	{name: "indexes", comment: "secondary index definitions", pk: []string{"keyspace_name"}, ck: []string{"table_name", "index_name"},
		cols: "keyspace_name text, table_name text, index_name text, kind text, options frozen<map<text, text>>"},
}

var virtualSchemaTables = []sysTableDef{
	{name: "keyspaces", comment: "virtual keyspace definitions", pk: []string{"keyspace_name"},
		cols: "keyspace_name text"},
	{name: "tables", comment: "virtual table definitions", pk: []string{"keyspace_name"}, ck: []string{"table_name"},
		cols: "keyspace_name text, table_name text, comment text"},
	{name: "columns", comment: "virtual column definitions", pk: []string{"keyspace_name"}, ck: []string{"table_name", "column_name"},
		cols: "keyspace_name text, table_name text, column_name text, clustering_order text, " +
			"column_name_bytes blob, kind text, position int, type text"},
}

var authTables = []sysTableDef{
	{name: "roles", comment: "role definitions", pk: []string{"role"},
		cols: "role text, can_login boolean, is_superuser boolean, member_of set<text>, salted_hash text"},
	{name: "role_members", comment: "role memberships lookup table", pk: []string{"role"}, ck: []string{"member"},
		cols: "role text, member text"},
	{name: "role_permissions", comment: "permissions granted to db roles", pk: []string{"role"}, ck: []string{"resource"},
		cols: "role text, resource text, permissions set<text>"},
	{name: "resource_role_permissons_index", comment: "index of db roles with permissions granted on a resource", pk: []string{"resource"}, ck: []string{"role"},
		cols: "resource text, role text"},
	{name: "network_permissions", comment: "user network permissions", pk: []string{"role"},
		cols: "role text, dcs frozen<set<text>>"},
}

var distributedTables = []sysTableDef{
	{name: "repair_history", comment: "Repair history", pk: []string{"keyspace_name", "columnfamily_name"}, ck: []string{"id"},
		cols: "keyspace_name text, columnfamily_name text, id timeuuid, coordinator inet, coordinator_port int, " +
			"exception_message text, exception_stacktrace text, finished_at timestamp, parent_id timeuuid, " +
			"participants set<inet>, participants_v2 set<text>, range_begin text, range_end text, started_at timestamp, status text"},
	{name: "parent_repair_history", comment: "Repair history", pk: []string{"parent_id"},
		cols: "parent_id timeuuid, columnfamily_names set<text>, exception_message text, exception_stacktrace text, " +
			"finished_at timestamp, keyspace_name text, options map<text, text>, requested_ranges set<text>, " +
			"started_at timestamp, successful_ranges set<text>"},
	{name: "view_build_status", comment: "Materialized View build status", pk: []string{"keyspace_name", "view_name"}, ck: []string{"host_id"},
		cols: "keyspace_name text, view_name text, host_id uuid, status text"},
}

var tracesTables = []sysTableDef{
	{name: "sessions", comment: "tracing sessions", pk: []string{"session_id"},
		cols: "session_id uuid, client inet, command text, coordinator inet, coordinator_port int, duration int, " +
			"parameters map<text, text>, request text, started_at timestamp"},
	{name: "events", comment: "tracing events", pk: []string{"session_id"}, ck: []string{"event_id"},
		cols: "session_id uuid, event_id timeuuid, activity text, source inet, source_elapsed int, source_port int, thread text"},
}

// SystemKeyspaces returns fresh definitions of the system keyspaces as
// Cassandra 4.1 has them: system (local, peers, peers_v2), system_schema,
// system_auth, system_distributed, system_traces, and the virtual
// system_virtual_schema and system_views. Every call builds new values,
// so callers may own the result.
func SystemKeyspaces() []*Keyspace {
	local := map[string]string{"class": LocalStrategy}
	specs := []struct {
		name    string
		repl    map[string]string
		tables  []sysTableDef
		virtual bool
	}{
		{SystemKeyspace, local, systemTables, false},
		{SystemSchemaKeyspace, local, schemaTables, false},
		{SystemAuthKeyspace, simple(1), authTables, false},
		{SystemDistributedKeyspace, simple(3), distributedTables, false},
		{SystemTracesKeyspace, simple(2), tracesTables, false},
		{SystemVirtualSchemaKeyspace, local, virtualSchemaTables, true},
		{SystemViewsKeyspace, local, viewsTables, true},
	}
	taken := map[TableID]bool{}
	out := make([]*Keyspace, 0, len(specs))
	for _, s := range specs {
		k := &Keyspace{Name: s.name, Replication: maps.Clone(s.repl), DurableWrites: true,
			Tables: map[string]*Table{}, Types: map[string]*UserType{}, Virtual: s.virtual}
		for _, d := range s.tables {
			t := d.build(s.name, s.virtual)
			t.TableID = deriveTableID(t.ID, func(id TableID) bool { return taken[id] })
			taken[t.TableID] = true
			k.Tables[t.Name] = t
		}
		out = append(out, k)
	}
	return out
}

func simple(rf int) map[string]string {
	return map[string]string{"class": SimpleStrategy, "replication_factor": string(rune('0' + rf))}
}

// build turns a compact definition into a table. The definitions are
// constants of this file, checked by tests, so a parse error here is a
// programming error; it yields a column of type blob rather than a panic.
func (d sysTableDef) build(ks string, virtual bool) *Table {
	t := &Table{Keyspace: ks, Name: d.name, ID: SystemTableUUID(ks, d.name), NextColumnID: 1, Virtual: virtual}
	t.Options = DefaultTableOptions()
	t.Options.Comment = d.comment
	for _, spec := range splitColumnSpecs(d.cols) {
		name, typ, _ := strings.Cut(spec, " ")
		ct, err := ParseType(typ, nil)
		if err != nil {
			ct = BlobType
		}
		col := &Column{Name: name, Type: ct, Kind: Regular, Position: -1}
		if i := slices.Index(d.pk, name); i >= 0 {
			col.Kind, col.Position = PartitionKey, i
		} else if i := slices.Index(d.ck, name); i >= 0 {
			col.Kind, col.Position, col.Desc = Clustering, i, d.desc
		} else {
			col.ID = t.NextColumnID
			t.NextColumnID++
		}
		t.Columns = append(t.Columns, col)
	}
	t.index()
	return t
}

// splitColumnSpecs splits "a int, b map<text, int>" at the commas that are
// not inside angle brackets.
func splitColumnSpecs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
