package schema

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Replication strategy class names, as stored.
const (
	SimpleStrategy          = "org.apache.cassandra.locator.SimpleStrategy"
	NetworkTopologyStrategy = "org.apache.cassandra.locator.NetworkTopologyStrategy"
	LocalStrategy           = "org.apache.cassandra.locator.LocalStrategy"
	locatorPackage          = "org.apache.cassandra.locator."
)

// Keyspace is a keyspace's definition. Keyspaces reached through a
// Catalog are immutable.
type Keyspace struct {
	Name string `json:"name"`
	// Replication holds "class" (a full class name) and the strategy's
	// options, as system_schema.keyspaces.replication shows them.
	Replication   map[string]string    `json:"replication"`
	DurableWrites bool                 `json:"durable_writes"`
	Tables        map[string]*Table    `json:"tables"`
	Types         map[string]*UserType `json:"types"`
	// Virtual marks keyspaces of virtual tables (system_virtual_schema,
	// system_views), listed in system_virtual_schema, not system_schema.
	Virtual bool `json:"virtual,omitempty"`
}

// Table returns the named table, or nil.
func (k *Keyspace) Table(name string) *Table { return k.Tables[name] }

// Type returns the named user type, or nil.
func (k *Keyspace) Type(name string) *UserType { return k.Types[name] }

// TableNames returns the table names, sorted.
func (k *Keyspace) TableNames() []string { return slices.Sorted(maps.Keys(k.Tables)) }

// SortedTables returns the tables sorted by name.
func (k *Keyspace) SortedTables() []*Table {
	out := make([]*Table, 0, len(k.Tables))
	for _, n := range k.TableNames() {
		out = append(out, k.Tables[n])
	}
	return out
}

// SortedTypes returns the user types in an order where every type comes
// after the types it uses, ties broken by name (DESCRIBE's order).
func (k *Keyspace) SortedTypes() []*UserType {
	names := slices.Sorted(maps.Keys(k.Types))
	done := make(map[string]bool, len(names))
	var out []*UserType
	var visit func(n string, depth int)
	visit = func(n string, depth int) {
		ut := k.Types[n]
		if done[n] || ut == nil || depth > len(names) {
			return
		}
		done[n] = true
		for _, ft := range ut.FieldTypes {
			for _, dep := range names {
				if ft.ReferencesUDT(k.Name, dep) {
					visit(dep, depth+1)
				}
			}
		}
		out = append(out, ut)
	}
	for _, n := range names {
		visit(n, 0)
	}
	return out
}

// IsSystem reports whether the keyspace is one of Cassandra's system
// keyspaces (read-only to users).
func (k *Keyspace) IsSystem() bool { return IsSystemKeyspace(k.Name) }

// ReplicationClass returns the short class name ("SimpleStrategy").
func (k *Keyspace) ReplicationClass() string {
	return strings.TrimPrefix(k.Replication["class"], locatorPackage)
}

func (k *Keyspace) clone() *Keyspace {
	c := *k
	c.Replication = maps.Clone(k.Replication)
	c.Tables = maps.Clone(k.Tables)
	c.Types = maps.Clone(k.Types)
	if c.Tables == nil {
		c.Tables = map[string]*Table{}
	}
	if c.Types == nil {
		c.Types = map[string]*UserType{}
	}
	return &c
}

// NormalizeReplication validates replication options and returns them as
// stored: the class as a full name, replication factors as decimal
// integers. Short ("SimpleStrategy") and full class names are accepted.
// SimpleStrategy needs replication_factor; NetworkTopologyStrategy takes
// data center: factor pairs. When dcs (the cluster's data centers) is
// given, a NetworkTopologyStrategy replication_factor expands to every
// data center and unknown data center names are rejected, as in
// Cassandra 4.x; with dcs nil, replication_factor is rejected and names
// are not checked. Errors are *ConfigError.
func NormalizeReplication(opts map[string]string, dcs []string) (map[string]string, error) {
	class := opts["class"]
	if class == "" {
		return nil, configf("Missing replication strategy class")
	}
	short := strings.TrimPrefix(class, locatorPackage)
	switch short {
	case "SimpleStrategy":
		return simpleReplication(opts)
	case "NetworkTopologyStrategy":
		return ntsReplication(opts, dcs)
	case "LocalStrategy", "EverywhereStrategy":
		return nil, configf("Unable to use given strategy class: %s is reserved for internal use.", short)
	}
	// FBUtilities.classForName's message, on the name as Cassandra
	// qualifies it (AbstractReplicationStrategy.getClass).
	if !strings.Contains(class, ".") {
		class = locatorPackage + class
	}
	return nil, configf("Unable to find replication strategy class '%s'", class)
}

func parseRF(v string) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return "", configf("Replication factor must be non-negative integer; found %s", v)
	}
	return strconv.Itoa(n), nil
}

func simpleReplication(opts map[string]string) (map[string]string, error) {
	out := map[string]string{"class": SimpleStrategy}
	for k, v := range opts {
		switch k {
		case "class":
		case "replication_factor":
			rf, err := parseRF(v)
			if err != nil {
				return nil, err
			}
			out[k] = rf
		default:
			return nil, configf("Unrecognized strategy option {%s} passed to SimpleStrategy", k)
		}
	}
	if _, ok := out["replication_factor"]; !ok {
		return nil, configf("SimpleStrategy requires a replication_factor strategy option.")
	}
	return out, nil
}

func ntsReplication(opts map[string]string, dcs []string) (map[string]string, error) {
	out := map[string]string{"class": NetworkTopologyStrategy}
	if v, ok := opts["replication_factor"]; ok {
		if dcs == nil {
			return nil, configf("replication_factor is only usable with NetworkTopologyStrategy when the data centers are known")
		}
		rf, err := parseRF(v)
		if err != nil {
			return nil, err
		}
		for _, dc := range dcs {
			out[dc] = rf
		}
	}
	for k, v := range opts {
		if k == "class" || k == "replication_factor" {
			continue
		}
		if dcs != nil && !slices.Contains(dcs, k) {
			return nil, configf("Unrecognized strategy option {%s} passed to NetworkTopologyStrategy", k)
		}
		rf, err := parseRF(v)
		if err != nil {
			return nil, err
		}
		out[k] = rf
	}
	return out, nil
}

// ReplicationFactor returns the total replication factor: the
// replication_factor of SimpleStrategy or the sum over data centers of
// NetworkTopologyStrategy; 1 for LocalStrategy.
func (k *Keyspace) ReplicationFactor() int {
	switch k.ReplicationClass() {
	case "SimpleStrategy":
		n, _ := strconv.Atoi(k.Replication["replication_factor"])
		return n
	case "NetworkTopologyStrategy":
		total := 0
		for dc, v := range k.Replication {
			if dc != "class" {
				n, _ := strconv.Atoi(v)
				total += n
			}
		}
		return total
	}
	return 1
}
