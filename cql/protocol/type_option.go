package protocol

import (
	"fmt"
	"strings"
)

// TypeID is the id of an [option] describing a column type (spec section
// 4.2.5.2).
type TypeID uint16

// Type ids. Text (0x000A) is legacy: Cassandra sends every text column as
// Varchar, and so should callers. Duration has no id before v5; on v3 and
// v4 it is Custom DurationClass.
const (
	TypeCustom    TypeID = 0x0000
	TypeAscii     TypeID = 0x0001
	TypeBigint    TypeID = 0x0002
	TypeBlob      TypeID = 0x0003
	TypeBoolean   TypeID = 0x0004
	TypeCounter   TypeID = 0x0005
	TypeDecimal   TypeID = 0x0006
	TypeDouble    TypeID = 0x0007
	TypeFloat     TypeID = 0x0008
	TypeInt       TypeID = 0x0009
	TypeText      TypeID = 0x000A
	TypeTimestamp TypeID = 0x000B
	TypeUUID      TypeID = 0x000C
	TypeVarchar   TypeID = 0x000D
	TypeVarint    TypeID = 0x000E
	TypeTimeUUID  TypeID = 0x000F
	TypeInet      TypeID = 0x0010
	TypeDate      TypeID = 0x0011 // v4
	TypeTime      TypeID = 0x0012 // v4
	TypeSmallint  TypeID = 0x0013 // v4
	TypeTinyint   TypeID = 0x0014 // v4
	TypeList      TypeID = 0x0020
	TypeMap       TypeID = 0x0021
	TypeSet       TypeID = 0x0022
	TypeUDT       TypeID = 0x0030
	TypeTuple     TypeID = 0x0031
)

// DurationClass is the Custom class name of duration on v3 and v4.
const DurationClass = "org.apache.cassandra.db.marshal.DurationType"

// maxTypeDepth bounds the nesting of decoded type options, so hostile
// input cannot recurse without limit. CQL types nest far less.
const maxTypeDepth = 64

// TypeOption describes a column type as an [option].
type TypeOption struct {
	ID TypeID
	// Custom is the class name of a Custom type.
	Custom string
	// Elems are the element types: one for list and set, key and value for
	// map, the components of a tuple, the field types of a UDT.
	Elems []*TypeOption
	// Keyspace, Name and FieldNames (one per Elems) describe a UDT.
	Keyspace   string
	Name       string
	FieldNames []string
}

func (t *TypeOption) String() string {
	var sb strings.Builder
	t.format(&sb)
	return sb.String()
}

func (t *TypeOption) format(sb *strings.Builder) {
	if t == nil {
		sb.WriteString("<nil>")
		return
	}
	switch t.ID {
	case TypeCustom:
		fmt.Fprintf(sb, "custom(%s)", t.Custom)
		return
	case TypeUDT:
		fmt.Fprintf(sb, "udt(%s.%s", t.Keyspace, t.Name)
	default:
		fmt.Fprintf(sb, "0x%04x", uint16(t.ID))
		if len(t.Elems) == 0 {
			return
		}
		sb.WriteString("(")
	}
	for i, el := range t.Elems {
		if t.ID == TypeUDT {
			sb.WriteString(" ")
			if i < len(t.FieldNames) {
				sb.WriteString(t.FieldNames[i])
			}
			sb.WriteString(":")
		} else if i > 0 {
			sb.WriteString(",")
		}
		el.format(sb)
	}
	sb.WriteString(")")
}

func isSimpleType(id TypeID) bool {
	return id >= TypeAscii && id <= TypeTinyint
}

func (e *encoder) typeOption(t *TypeOption) {
	if t == nil {
		e.fail("missing type option")
		return
	}
	e.short(uint16(t.ID))
	switch {
	case t.ID == TypeCustom:
		e.string(t.Custom)
	case isSimpleType(t.ID):
	case t.ID == TypeList || t.ID == TypeSet:
		e.elems(t, 1)
	case t.ID == TypeMap:
		e.elems(t, 2)
	case t.ID == TypeTuple:
		e.count(len(t.Elems), "tuple components")
		e.elems(t, len(t.Elems))
	case t.ID == TypeUDT:
		e.udt(t)
	default:
		e.fail("unknown type id 0x%04x", uint16(t.ID))
	}
}

func (e *encoder) elems(t *TypeOption, n int) {
	if len(t.Elems) != n {
		e.fail("type 0x%04x needs %d element types, has %d", uint16(t.ID), n, len(t.Elems))
		return
	}
	for _, el := range t.Elems {
		e.typeOption(el)
	}
}

func (e *encoder) udt(t *TypeOption) {
	if len(t.FieldNames) != len(t.Elems) {
		e.fail("udt %s.%s has %d field names for %d types", t.Keyspace, t.Name, len(t.FieldNames), len(t.Elems))
		return
	}
	e.string(t.Keyspace)
	e.string(t.Name)
	e.count(len(t.Elems), "udt fields")
	for i, el := range t.Elems {
		e.string(t.FieldNames[i])
		e.typeOption(el)
	}
}

func (d *decoder) typeOption(depth int) *TypeOption {
	if depth > maxTypeDepth {
		d.fail("type options nest too deep")
		return nil
	}
	t := &TypeOption{ID: TypeID(d.short("type id"))}
	switch {
	case d.err != nil:
		return nil
	case t.ID == TypeCustom:
		t.Custom = d.string("custom type")
	case isSimpleType(t.ID):
	case t.ID == TypeList || t.ID == TypeSet:
		t.Elems = d.typeOptions(1, depth)
	case t.ID == TypeMap:
		t.Elems = d.typeOptions(2, depth)
	case t.ID == TypeTuple:
		t.Elems = d.typeOptions(d.count("tuple components", 2), depth)
	case t.ID == TypeUDT:
		d.udt(t, depth)
	default:
		d.fail(fmt.Sprintf("unknown type id 0x%04x", uint16(t.ID)))
	}
	return t
}

func (d *decoder) typeOptions(n, depth int) []*TypeOption {
	l := make([]*TypeOption, 0, n)
	for range n {
		l = append(l, d.typeOption(depth+1))
	}
	return l
}

func (d *decoder) udt(t *TypeOption, depth int) {
	t.Keyspace = d.string("udt keyspace")
	t.Name = d.string("udt name")
	n := d.count("udt fields", 4)
	t.FieldNames = make([]string, 0, n)
	t.Elems = make([]*TypeOption, 0, n)
	for range n {
		t.FieldNames = append(t.FieldNames, d.string("udt field name"))
		t.Elems = append(t.Elems, d.typeOption(depth+1))
	}
}
