package schema

// This file holds the keyspace changes; catalog_table.go and
// catalog_type.go hold the table and user type changes. Every change is
// copy-on-write: it returns a new *Catalog, or a typed error (see
// errors.go) and no catalog.

func (c *Catalog) userKeyspace(name string) (*Keyspace, error) {
	k := c.keyspaces[name]
	if k == nil {
		return nil, &NotFoundError{Kind: ObjectKeyspace, Keyspace: name}
	}
	if k.IsSystem() {
		return nil, &UnauthorizedError{Msg: name + " keyspace is not user-modifiable."}
	}
	return k, nil
}

// CreateKeyspace adds a keyspace. replication is validated and normalized
// by NormalizeReplication (without data center names; call it first with
// the cluster's data centers to expand or check them).
func (c *Catalog) CreateKeyspace(name string, replication map[string]string, durableWrites bool) (*Catalog, error) {
	if !validName(name) {
		return nil, invalidf("Keyspace name must not be empty, more than %d characters long, or contain non-alphanumeric-underscore characters (got \"%s\")", MaxNameLength, name)
	}
	if c.keyspaces[name] != nil {
		return nil, &AlreadyExistsError{Kind: ObjectKeyspace, Keyspace: name}
	}
	if IsSystemKeyspace(name) {
		return nil, &UnauthorizedError{Msg: name + " keyspace is not user-modifiable."}
	}
	repl, err := NormalizeReplication(replication, nil)
	if err != nil {
		return nil, err
	}
	return c.with(&Keyspace{
		Name: name, Replication: repl, DurableWrites: durableWrites,
		Tables: map[string]*Table{}, Types: map[string]*UserType{},
	}), nil
}

// AlterKeyspace changes a keyspace's replication (when replication is not
// nil) and durable_writes (when durableWrites is not nil).
//
// The replicated system keyspaces (IsReplicatedSystemKeyspace) may be
// altered too, as Cassandra allows, and the change persists through
// MarshalCatalog.
func (c *Catalog) AlterKeyspace(name string, replication map[string]string, durableWrites *bool) (*Catalog, error) {
	var k *Keyspace
	var err error
	if IsReplicatedSystemKeyspace(name) && c.keyspaces[name] != nil {
		k = c.keyspaces[name]
	} else if k, err = c.userKeyspace(name); err != nil {
		return nil, err
	}
	k = k.clone()
	if replication != nil {
		if k.Replication, err = NormalizeReplication(replication, nil); err != nil {
			return nil, err
		}
	}
	if durableWrites != nil {
		k.DurableWrites = *durableWrites
	}
	return c.with(k), nil
}

// DropKeyspace removes a keyspace with its tables and types.
func (c *Catalog) DropKeyspace(name string) (*Catalog, error) {
	if _, err := c.userKeyspace(name); err != nil {
		return nil, err
	}
	return c.without(name), nil
}
