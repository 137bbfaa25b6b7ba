package schema

import (
	"math"
	"slices"
	"strings"
)

// ColumnDef describes a column to create or add.
type ColumnDef struct {
	Name   string
	Type   *Type
	Desc   bool // clustering columns: descending order
	Static bool // non-key columns: static
}

// TableDef describes a table to create.
type TableDef struct {
	Keyspace, Name string
	// ID is the table's UUID; zero means derive one from the keyspace,
	// the name and the current catalog version (so a table dropped and
	// created again gets a new id, and every node applying the same change
	// to the same catalog gets the same one).
	ID           UUID
	PartitionKey []ColumnDef
	Clustering   []ColumnDef
	Columns      []ColumnDef // regular and static columns
	// Options, nil for the defaults.
	Options *TableOptions
}

// CreateTable adds a table.
func (c *Catalog) CreateTable(def TableDef) (*Catalog, error) {
	k, err := c.userKeyspace(def.Keyspace)
	if err != nil {
		return nil, err
	}
	if !wordChars(def.Name) {
		return nil, configf("Table name must not be empty or contain non-alphanumeric-underscore characters (got \"%s\")", def.Name)
	}
	if len(def.Name) > MaxTableNameLength {
		return nil, invalidf("Table name is too long, it needs to fit %d characters (got table name of %d chars for %s.%s)", MaxTableNameLength, len(def.Name), def.Keyspace, def.Name)
	}
	if k.Tables[def.Name] != nil {
		return nil, &AlreadyExistsError{Kind: ObjectTable, Keyspace: def.Keyspace, Table: def.Name}
	}
	t, err := c.newTable(def)
	if err != nil {
		return nil, err
	}
	k = k.clone()
	k.Tables[t.Name] = t
	return c.with(k), nil
}

func (c *Catalog) newTable(def TableDef) (*Table, error) {
	t := &Table{Keyspace: def.Keyspace, Name: def.Name, ID: def.ID, NextColumnID: 1}
	if t.ID == (UUID{}) {
		v := c.version
		t.ID = NameUUID([]byte(def.Keyspace + "\x00" + def.Name + "\x00" + v.String()))
	}
	t.Options = DefaultTableOptions()
	if def.Options != nil {
		t.Options = def.Options.Clone()
	}
	if err := t.Options.Validate(); err != nil {
		return nil, err
	}
	if len(def.PartitionKey) == 0 {
		return nil, invalidf("No PRIMARY KEY specified for table '%s' (exactly one required)", def.Name)
	}
	for i, d := range def.PartitionKey {
		t.Columns = append(t.Columns, &Column{Name: d.Name, Type: d.Type, Kind: PartitionKey, Position: i})
	}
	for i, d := range def.Clustering {
		t.Columns = append(t.Columns, &Column{Name: d.Name, Type: d.Type, Kind: Clustering, Position: i, Desc: d.Desc})
	}
	for _, d := range def.Columns {
		if err := t.addColumn(d); err != nil {
			return nil, err
		}
	}
	t.index()
	if err := c.checkTable(t); err != nil {
		return nil, err
	}
	t.TableID = deriveTableID(t.ID, func(id TableID) bool { return c.byID[id] != nil })
	return t, nil
}

// addColumn appends a regular or static column with the next column id.
func (t *Table) addColumn(d ColumnDef) error {
	if t.NextColumnID == math.MaxUint16 {
		return invalidf("Table %s has used up its %d column ids", t.QualifiedName(), math.MaxUint16-1)
	}
	kind := Regular
	if d.Static {
		kind = Static
	}
	t.Columns = append(t.Columns, &Column{Name: d.Name, Type: d.Type, Kind: kind, Position: -1, ID: t.NextColumnID})
	t.NextColumnID++
	return nil
}

// checkTable enforces Cassandra's rules on a table definition.
func (c *Catalog) checkTable(t *Table) error {
	seen := make(map[string]bool, len(t.Columns))
	counters, nonCounters := 0, 0
	for _, col := range t.Columns {
		if col.Name == "" {
			return invalidf("Column names must not be empty")
		}
		if seen[col.Name] {
			return invalidf("Duplicate column '%s' declaration for table %s", col.Name, t.QualifiedName())
		}
		seen[col.Name] = true
		if err := c.checkColumnType(t, col); err != nil {
			return err
		}
		if !col.IsPrimaryKey() {
			if col.Type.IsCounter() {
				counters++
			} else {
				nonCounters++
			}
		}
	}
	if counters > 0 && nonCounters > 0 {
		return invalidf("Cannot mix counter and non counter columns in the same table")
	}
	if len(t.Clustering) == 0 && t.HasStatic() {
		return invalidf("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
	}
	if counters > 0 && t.Options.DefaultTimeToLive != 0 {
		return invalidf("Cannot set default_time_to_live on a table with counters")
	}
	return nil
}

func (c *Catalog) checkColumnType(t *Table, col *Column) error {
	ct := col.Type
	if ct == nil {
		return invalidf("Column '%s' has no type", col.Name)
	}
	if err := checkTypeShape(ct, 0); err != nil {
		return invalidCause(err, "Column '%s'", col.Name)
	}
	if err := c.checkUDTRefs(t.Keyspace, ct); err != nil {
		return err
	}
	if col.IsPrimaryKey() {
		switch {
		case ct.IsCounter():
			return invalidf("counter type is not supported for PRIMARY KEY column '%s'", col.Name)
		case ct.Contains(func(x *Type) bool { return x.Kind == KindDuration }):
			return invalidf("duration type is not supported for PRIMARY KEY column '%s'", col.Name)
		case ct.IsMultiCell():
			return invalidf("Invalid non-frozen collection type %s for PRIMARY KEY component %s", ct, col.Name)
		case !ct.CanBeKey():
			return invalidf("Invalid type %s for PRIMARY KEY component %s", ct, col.Name)
		}
	}
	return nil
}

// checkUDTRefs checks that every user type t uses exists in keyspace ks
// with the definition t carries.
func (c *Catalog) checkUDTRefs(ks string, t *Type) error {
	var err error
	t.Contains(func(x *Type) bool {
		if x.Kind != KindUDT || err != nil {
			return false
		}
		if x.Keyspace != ks {
			err = invalidf("Statement on keyspace %s cannot refer to a user type in keyspace %s; user types can only be used in the keyspace they are defined in", ks, x.Keyspace)
			return true
		}
		ut := c.UserType(x.Keyspace, x.Name)
		if ut == nil {
			err = &NotFoundError{Kind: ObjectType, Keyspace: x.Keyspace, Name: x.Name}
			return true
		}
		if !slices.Equal(ut.FieldNames, x.FieldNames) || !typesEqual(ut.FieldTypes, x.Elems) {
			err = invalidf("Type %s does not match the definition of user type %s", x, ut.QualifiedName())
			return true
		}
		return false
	})
	return err
}

func typesEqual(a, b []*Type) bool {
	return slices.EqualFunc(a, b, func(x, y *Type) bool { return x.Equal(y) })
}

// checkTypeShape checks that a type is well formed: known kind, the right
// number of parameters, UDT names and fields consistent, bounded depth.
func checkTypeShape(t *Type, depth int) error {
	if t == nil {
		return invalidf("missing type")
	}
	if depth > maxTypeDepth {
		return invalidf("type nested too deeply")
	}
	want := -1
	switch {
	case t.Kind.IsNative():
		want = 0
	case t.Kind == KindCustom:
		if t.Custom == "" {
			return invalidf("custom type without a class name")
		}
		want = 0
	case t.Kind == KindList || t.Kind == KindSet:
		want = 1
	case t.Kind == KindMap:
		want = 2
	case t.Kind == KindTuple:
		if len(t.Elems) == 0 || !t.Frozen {
			return invalidf("tuples must be frozen and have components")
		}
	case t.Kind == KindUDT:
		if t.Name == "" || len(t.FieldNames) != len(t.Elems) || len(t.Elems) == 0 {
			return invalidf("malformed user type %q", t.Name)
		}
	default:
		return invalidf("unknown type kind 0x%04x", uint16(t.Kind))
	}
	if want >= 0 && len(t.Elems) != want {
		return invalidf("type %s has %d parameters", t.Kind, len(t.Elems))
	}
	for _, e := range t.Elems {
		if err := checkTypeShape(e, depth+1); err != nil {
			return err
		}
		if t.IsCollection() && e.IsMultiCell() {
			return invalidf("non-frozen collections and UDTs are not allowed inside collections")
		}
		if t.Frozen && (e.IsCollection() || e.Kind == KindUDT) && !e.Frozen {
			return invalidf("types nested in a frozen type must be frozen")
		}
	}
	return nil
}

// Rename is one rename of a column or field.
type Rename struct{ From, To string }

// withTable returns a catalog in which t replaces the table of its name.
func (c *Catalog) withTable(t *Table) *Catalog {
	k := c.keyspaces[t.Keyspace].clone()
	k.Tables[t.Name] = t
	return c.with(k)
}

func (c *Catalog) userTable(ks, name string) (*Table, error) {
	k, err := c.userKeyspace(ks)
	if err != nil {
		return nil, err
	}
	t := k.Tables[name]
	if t == nil {
		return nil, &NotFoundError{Kind: ObjectTable, Keyspace: ks, Name: name}
	}
	return t, nil
}

// DropTable removes a table.
func (c *Catalog) DropTable(ks, name string) (*Catalog, error) {
	if _, err := c.userTable(ks, name); err != nil {
		return nil, err
	}
	k := c.keyspaces[ks].clone()
	delete(k.Tables, name)
	return c.with(k), nil
}

// AddColumns adds regular or static columns (ALTER TABLE ... ADD). A
// column of a dropped column's name may be added back only with the same
// type; it gets a new id.
func (c *Catalog) AddColumns(ks, table string, cols []ColumnDef) (*Catalog, error) {
	old, err := c.userTable(ks, table)
	if err != nil {
		return nil, err
	}
	t := old.clone()
	for _, d := range cols {
		if t.Column(d.Name) != nil {
			return nil, invalidf("Column with name '%s' already exists", d.Name)
		}
		if len(t.Clustering) == 0 && d.Static {
			return nil, invalidf("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
		}
		if dc, ok := t.Dropped(d.Name); ok && d.Type != nil {
			if dc.Type.String() != expandUDTs(d.Type).String() {
				return nil, invalidf("Cannot re-add previously dropped column '%s' of type %s, incompatible with previous type %s", d.Name, d.Type, dc.Type)
			}
			if (dc.Kind == Static) != d.Static {
				kind, prev := "REGULAR", "REGULAR"
				if d.Static {
					kind = "STATIC"
				}
				if dc.Kind == Static {
					prev = "STATIC"
				}
				return nil, invalidf("Cannot re-add previously dropped column '%s' of kind %s, incompatible with previous kind %s", d.Name, kind, prev)
			}
		}
		if err := t.addColumn(d); err != nil {
			return nil, err
		}
		t.index()
	}
	if err := c.checkTable(t); err != nil {
		return nil, err
	}
	return c.withTable(t), nil
}

// DropColumns drops regular or static columns (ALTER TABLE ... DROP),
// recording each in DroppedColumns with droppedAt (microseconds).
func (c *Catalog) DropColumns(ks, table string, names []string, droppedAt int64) (*Catalog, error) {
	old, err := c.userTable(ks, table)
	if err != nil {
		return nil, err
	}
	t := old.clone()
	for _, n := range names {
		col := t.Column(n)
		switch {
		case col == nil:
			// AlterTableStatement.DropColumns's message.
			return nil, invalidf("Column %s was not found in table '%s'", n, t.QualifiedName())
		case col.IsPrimaryKey():
			return nil, invalidf("Cannot drop PRIMARY KEY column %s", n)
		case col.Type.Kind == KindUDT && col.Type.IsMultiCell():
			return nil, invalidf("Cannot drop non-frozen column %s of user type %s", n, col.Type)
		case len(t.IndexesOn(n)) > 0:
			return nil, invalidf("Cannot drop column %s because it has dependent secondary indexes (%s)", n, strings.Join(t.IndexesOn(n), ", "))
		}
		t.DroppedColumns = append(t.DroppedColumns, DroppedColumn{Name: n, Type: expandUDTs(col.Type), Kind: col.Kind, DroppedAt: droppedAt, ID: col.ID})
		t.Columns = slices.DeleteFunc(t.Columns, func(x *Column) bool { return x.Name == n })
		t.index()
	}
	return c.withTable(t), nil
}

// RenameColumns renames primary key columns (ALTER TABLE ... RENAME);
// Cassandra does not allow renaming other columns.
func (c *Catalog) RenameColumns(ks, table string, renames []Rename) (*Catalog, error) {
	old, err := c.userTable(ks, table)
	if err != nil {
		return nil, err
	}
	t := old.clone()
	for _, r := range renames {
		col := t.Column(r.From)
		switch {
		case col == nil:
			return nil, &NotFoundError{Kind: ObjectColumn, Keyspace: ks, Table: table, Name: r.From}
		case !col.IsPrimaryKey():
			return nil, invalidf("Cannot rename non PRIMARY KEY column %s", QuoteIdent(r.From))
		case t.Column(r.To) != nil:
			return nil, invalidf("Cannot rename column %s to %s in table '%s'; another column with that name already exists", r.From, r.To, table)
		case r.To == "":
			return nil, invalidf("Column names must not be empty")
		case len(t.IndexesOn(r.From)) > 0:
			return nil, invalidf("Cannot rename column %s because it has dependent secondary indexes (%s)", r.From, strings.Join(t.IndexesOn(r.From), ", "))
		}
		col.Name = r.To
		t.index()
	}
	return c.withTable(t), nil
}

// SetTableOptions replaces a table's options (ALTER TABLE ... WITH).
func (c *Catalog) SetTableOptions(ks, table string, opts TableOptions) (*Catalog, error) {
	old, err := c.userTable(ks, table)
	if err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	t := old.clone()
	t.Options = opts.Clone()
	if t.IsCounter() && t.Options.DefaultTimeToLive != 0 {
		return nil, invalidf("Cannot set default_time_to_live on a table with counters")
	}
	return c.withTable(t), nil
}
