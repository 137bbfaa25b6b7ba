package exec

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// Server-side DESCRIBE, as Cassandra 4.1's DescribeStatement answers it
// (what cqlsh prints it from): listings return keyspace_name, type, name; element
// descriptions add create_statement; DESCRIBE CLUSTER returns cluster,
// partitioner and snitch. Everything is text, under the table spec
// system.describe, and returned in one page.

type describePlan struct {
	d *parser.Describe
}

func (a *analyzer) analyzeDescribe(d *parser.Describe) (plan, error) {
	return describePlan{d: d}, nil
}

func describeSpecs(names ...string) []ColumnSpec {
	out := make([]ColumnSpec, len(names))
	for i, n := range names {
		out[i] = ColumnSpec{Keyspace: "system", Table: "describe", Name: n, Type: schema.TextType}
	}
	return out
}

var (
	listingSpecs = describeSpecs("keyspace_name", "type", "name")
	elementSpecs = describeSpecs("keyspace_name", "type", "name", "create_statement")
	clusterSpecs = describeSpecs("cluster", "partitioner", "snitch")
)

func textRow(vals ...string) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out
}

func (p describePlan) run(_ context.Context, e *Executor, s *Session, _ *bindEnv, o *QueryOptions) (Result, error) {
	cat := e.cfg.Schema.Catalog()
	d := describer{cat: cat, session: s.Keyspace(), internals: p.d.Internals}
	rows, specs, err := d.describe(p.d, e)
	if err != nil {
		return nil, err
	}
	return &RowsResult{Columns: specs, Rows: rows, NoMetadata: o.SkipMetadata}, nil
}

type describer struct {
	cat       *schema.Catalog
	session   string
	internals bool // WITH INTERNALS
}

// q quotes a name as Cassandra's DescribeStatement rows do
// (elementKeyspaceQuotedIfNeeded, elementNameQuotedIfNeeded).
func q(name string) string { return schema.QuoteIdent(name) }

// tableCQL is a table's CREATE statement, WITH INTERNALS when asked.
func (d describer) tableCQL(t *schema.Table) string {
	if d.internals {
		return t.CQLWithInternals()
	}
	return t.CQL()
}

func (d describer) describe(s *parser.Describe, e *Executor) ([][][]byte, []ColumnSpec, error) {
	switch s.Kind {
	case parser.DescribeCluster:
		return d.cluster(e)
	case parser.DescribeKeyspaces:
		return d.listKeyspaces(), listingSpecs, nil
	case parser.DescribeTables:
		return d.listElements("table"), listingSpecs, nil
	case parser.DescribeTypes:
		return d.listElements("type"), listingSpecs, nil
	case parser.DescribeFunctions, parser.DescribeAggregates:
		return nil, listingSpecs, nil
	case parser.DescribeSchema:
		return d.schema(s.Full), elementSpecs, nil
	case parser.DescribeKeyspace:
		rows, err := d.keyspace(s)
		return rows, elementSpecs, err
	case parser.DescribeTable:
		rows, err := d.table(s.Name)
		return rows, elementSpecs, err
	case parser.DescribeType:
		rows, err := d.userType(s.Name)
		return rows, elementSpecs, err
	case parser.DescribeName:
		rows, err := d.name(s.Name)
		return rows, elementSpecs, err
	case parser.DescribeIndex:
		rows, err := d.index(s.Name)
		return rows, elementSpecs, err
	}
	return nil, nil, invalidf("%s not found", describeWhat(s))
}

func describeWhat(s *parser.Describe) string {
	if s.Name == nil {
		return "object"
	}
	return "'" + s.Name.Name + "'"
}

// snitch is the snitch's class name as DESCRIBE CLUSTER prints it, the
// org.apache.cassandra.locator. package trimmed.
func (d describer) snitch(e *Executor) string {
	if len(e.dataCenters()) > 1 {
		return "GossipingPropertyFileSnitch"
	}
	return "SimpleSnitch"
}

// rangeOwnershipType is DESCRIBE CLUSTER's range_ownership column.
var rangeOwnershipType = schema.MapOf(schema.TextType, schema.ListOf(schema.TextType, false), false)

// cluster answers DESCRIBE CLUSTER as Cassandra 4.1 does: the cluster
// name, the partitioner and snitch class names without their package and,
// when the session uses a keyspace that is not a system one, the
// range_ownership of that keyspace: each range's end token with its
// replicas' addresses ("/10.0.0.1:7000").
func (d describer) cluster(e *Executor) ([][][]byte, []ColumnSpec, error) {
	row := textRow(e.cfg.Cluster.ClusterName(), strings.TrimPrefix(partitionerName, "org.apache.cassandra.dht."), d.snitch(e))
	k := d.cat.Keyspace(d.session)
	if d.session == "" || schema.IsSystemKeyspace(d.session) || k == nil {
		return [][][]byte{row}, clusterSpecs, nil
	}
	var entries []schema.MapEntry
	for _, r := range e.keyspaceRanges(k) {
		eps := make([]any, len(r.Replicas))
		for i, a := range r.Replicas {
			eps[i] = "/" + netip.AddrPortFrom(a, storagePort).String()
		}
		entries = append(entries, schema.MapEntry{Key: strconv.FormatInt(r.End, 10), Value: eps})
	}
	b, err := schema.Marshal(rangeOwnershipType, entries)
	if err != nil {
		return nil, nil, Errorf(CodeServerError, "cannot encode range ownership: %s", err).WithCause(err)
	}
	specs := append(slices.Clone(clusterSpecs), ColumnSpec{Keyspace: "system", Table: "describe", Name: "range_ownership", Type: rangeOwnershipType})
	return [][][]byte{append(row, b)}, specs, nil
}

func (d describer) listKeyspaces() [][][]byte {
	var rows [][][]byte
	for _, k := range d.cat.Keyspaces() {
		rows = append(rows, textRow(q(k.Name), "keyspace", q(k.Name)))
	}
	return rows
}

// listElements lists tables or types of the session's keyspace, or of
// every keyspace when none is in use.
func (d describer) listElements(kind string) [][][]byte {
	var rows [][][]byte
	for _, k := range d.cat.Keyspaces() {
		if d.session != "" && k.Name != d.session {
			continue
		}
		if kind == "table" {
			for _, n := range k.TableNames() {
				rows = append(rows, textRow(q(k.Name), "table", q(n)))
			}
			continue
		}
		for _, ut := range k.SortedTypes() {
			rows = append(rows, textRow(q(k.Name), "type", q(ut.Name)))
		}
	}
	return rows
}

// keyspaceRows describes a keyspace: itself, its types, then its tables.
func (d describer) keyspaceRows(k *schema.Keyspace, only bool) [][][]byte {
	rows := [][][]byte{textRow(q(k.Name), "keyspace", q(k.Name), k.CQL())}
	if only {
		return rows
	}
	for _, ut := range k.SortedTypes() {
		rows = append(rows, textRow(q(k.Name), "type", q(ut.Name), ut.CQL()))
	}
	for _, t := range k.SortedTables() {
		rows = append(rows, d.tableRows(t)...)
	}
	return rows
}

func (d describer) schema(full bool) [][][]byte {
	var rows [][][]byte
	for _, k := range d.cat.Keyspaces() {
		if !full && k.IsSystem() {
			continue
		}
		rows = append(rows, d.keyspaceRows(k, false)...)
	}
	return rows
}

func (d describer) keyspace(s *parser.Describe) ([][][]byte, error) {
	name := d.session
	if s.Name != nil {
		name = s.Name.Name
	}
	if name == "" {
		return nil, invalidf("No keyspace specified and no current keyspace")
	}
	k := d.cat.Keyspace(name)
	if k == nil {
		return nil, invalidf("'%s' not found in keyspaces", name)
	}
	return d.keyspaceRows(k, s.Only), nil
}

func (d describer) keyspaceOf(tn *parser.TableName) (string, error) {
	if tn.Keyspace != "" {
		return tn.Keyspace, nil
	}
	if d.session == "" {
		return "", invalidf("No keyspace specified and no current keyspace")
	}
	return d.session, nil
}

func (d describer) table(tn *parser.TableName) ([][][]byte, error) {
	ks, err := d.keyspaceOf(tn)
	if err != nil {
		return nil, err
	}
	if d.cat.Keyspace(ks) == nil {
		return nil, invalidf("'%s' not found in keyspaces", ks)
	}
	t := d.cat.Table(ks, tn.Name)
	if t == nil {
		return nil, invalidf("Table '%s' not found in keyspace '%s'", tn.Name, ks)
	}
	return d.tableRows(t), nil
}

func (d describer) userType(tn *parser.TableName) ([][][]byte, error) {
	ks, err := d.keyspaceOf(tn)
	if err != nil {
		return nil, err
	}
	if d.cat.Keyspace(ks) == nil {
		return nil, invalidf("'%s' not found in keyspaces", ks)
	}
	ut := d.cat.UserType(ks, tn.Name)
	if ut == nil {
		return nil, invalidf("User defined type '%s' not found in '%s'", tn.Name, ks)
	}
	return [][][]byte{textRow(q(ks), "type", q(ut.Name), ut.CQL())}, nil
}

// name describes whatever a bare name designates: a keyspace, else a
// table, else a user type.
func (d describer) name(tn *parser.TableName) ([][][]byte, error) {
	if tn.Keyspace == "" {
		if k := d.cat.Keyspace(tn.Name); k != nil {
			return d.keyspaceRows(k, false), nil
		}
	}
	ks, err := d.keyspaceOf(tn)
	if err != nil {
		return nil, invalidf("'%s' not found in keyspaces", tn.Name)
	}
	if d.cat.Table(ks, tn.Name) != nil {
		return d.table(tn)
	}
	if t, ix := d.cat.IndexOf(ks, tn.Name); ix != nil {
		return [][][]byte{indexRow(t, ix)}, nil
	}
	if d.cat.UserType(ks, tn.Name) != nil {
		return d.userType(tn)
	}
	return nil, invalidf("'%s' not found in keyspace '%s'", tn.Name, ks)
}
