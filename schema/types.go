package schema

import (
	"strings"
)

// Kind identifies a CQL type. The values are the native protocol's option
// ids (native_protocol_v4.spec section 4.2.5.2), so a Kind can be written to
// the wire as it is. Text has no kind of its own: Cassandra reports every
// text column as varchar (0x000D), and so do we.
type Kind uint16

// The CQL type kinds, numbered as native-protocol option ids.
const (
	KindCustom    Kind = 0x0000
	KindASCII     Kind = 0x0001
	KindBigint    Kind = 0x0002
	KindBlob      Kind = 0x0003
	KindBoolean   Kind = 0x0004
	KindCounter   Kind = 0x0005
	KindDecimal   Kind = 0x0006
	KindDouble    Kind = 0x0007
	KindFloat     Kind = 0x0008
	KindInt       Kind = 0x0009
	KindTimestamp Kind = 0x000B
	KindUUID      Kind = 0x000C
	KindVarchar   Kind = 0x000D
	KindVarint    Kind = 0x000E
	KindTimeUUID  Kind = 0x000F
	KindInet      Kind = 0x0010
	KindDate      Kind = 0x0011
	KindTime      Kind = 0x0012
	KindSmallint  Kind = 0x0013
	KindTinyint   Kind = 0x0014
	KindDuration  Kind = 0x0015
	KindList      Kind = 0x0020
	KindMap       Kind = 0x0021
	KindSet       Kind = 0x0022
	KindUDT       Kind = 0x0030
	KindTuple     Kind = 0x0031

	// KindText is an alias of KindVarchar: CQL's text and varchar are one
	// type.
	KindText = KindVarchar
)

// DurationClass is the class name under which protocol v4 (which has no
// duration option id) carries duration values as a Custom type.
const DurationClass = "org.apache.cassandra.db.marshal.DurationType"

var nativeNames = map[Kind]string{
	KindASCII:     "ascii",
	KindBigint:    "bigint",
	KindBlob:      "blob",
	KindBoolean:   "boolean",
	KindCounter:   "counter",
	KindDecimal:   "decimal",
	KindDouble:    "double",
	KindFloat:     "float",
	KindInt:       "int",
	KindTimestamp: "timestamp",
	KindUUID:      "uuid",
	KindVarchar:   "text",
	KindVarint:    "varint",
	KindTimeUUID:  "timeuuid",
	KindInet:      "inet",
	KindDate:      "date",
	KindTime:      "time",
	KindSmallint:  "smallint",
	KindTinyint:   "tinyint",
	KindDuration:  "duration",
}

// String returns the CQL name of a native kind ("int", "text"), or the
// name of the type constructor ("list", "map", "set", "frozen<udt>" is
// not a kind: "udt"; "tuple", "custom").
func (k Kind) String() string {
	if n, ok := nativeNames[k]; ok {
		return n
	}
	switch k {
	case KindCustom:
		return "custom"
	case KindList:
		return "list"
	case KindMap:
		return "map"
	case KindSet:
		return "set"
	case KindUDT:
		return "udt"
	case KindTuple:
		return "tuple"
	}
	return "unknown"
}

// IsNative reports whether k is one of the native (non-parameterized,
// non-custom) types.
func (k Kind) IsNative() bool {
	_, ok := nativeNames[k]
	return ok
}

// Type is a CQL type. Types are values: once built (by ParseType, the
// constructors below or the catalog) they must not be modified, and may be
// shared by any number of goroutines.
type Type struct {
	Kind Kind `json:"kind"`
	// Elems holds the parameters: for list and set [elem]; for map [key,
	// value]; for tuple the component types; for a UDT the field types.
	Elems []*Type `json:"elems,omitempty"`
	// Frozen is set for frozen collections and UDTs. Tuples are always
	// frozen. Inside a frozen type every nested type is frozen too.
	Frozen bool `json:"frozen,omitempty"`
	// Keyspace and Name name a UDT.
	Keyspace string `json:"keyspace,omitempty"`
	Name     string `json:"name,omitempty"`
	// FieldNames are a UDT's field names, parallel to Elems.
	FieldNames []string `json:"field_names,omitempty"`
	// Custom is the Java class name of a custom type.
	Custom string `json:"custom,omitempty"`
}

// The native types, shared. Never modify them.
var (
	ASCIIType     = &Type{Kind: KindASCII}
	BigintType    = &Type{Kind: KindBigint}
	BlobType      = &Type{Kind: KindBlob}
	BooleanType   = &Type{Kind: KindBoolean}
	CounterType   = &Type{Kind: KindCounter}
	DecimalType   = &Type{Kind: KindDecimal}
	DoubleType    = &Type{Kind: KindDouble}
	FloatType     = &Type{Kind: KindFloat}
	IntType       = &Type{Kind: KindInt}
	TimestampType = &Type{Kind: KindTimestamp}
	UUIDType      = &Type{Kind: KindUUID}
	TextType      = &Type{Kind: KindVarchar}
	VarintType    = &Type{Kind: KindVarint}
	TimeUUIDType  = &Type{Kind: KindTimeUUID}
	InetType      = &Type{Kind: KindInet}
	DateType      = &Type{Kind: KindDate}
	TimeType      = &Type{Kind: KindTime}
	SmallintType  = &Type{Kind: KindSmallint}
	TinyintType   = &Type{Kind: KindTinyint}
	DurationType  = &Type{Kind: KindDuration}
)

// Native returns the shared type of a native kind, or nil if k is not
// native.
func Native(k Kind) *Type {
	switch k {
	case KindASCII:
		return ASCIIType
	case KindBigint:
		return BigintType
	case KindBlob:
		return BlobType
	case KindBoolean:
		return BooleanType
	case KindCounter:
		return CounterType
	case KindDecimal:
		return DecimalType
	case KindDouble:
		return DoubleType
	case KindFloat:
		return FloatType
	case KindInt:
		return IntType
	case KindTimestamp:
		return TimestampType
	case KindUUID:
		return UUIDType
	case KindVarchar:
		return TextType
	case KindVarint:
		return VarintType
	case KindTimeUUID:
		return TimeUUIDType
	case KindInet:
		return InetType
	case KindDate:
		return DateType
	case KindTime:
		return TimeType
	case KindSmallint:
		return SmallintType
	case KindTinyint:
		return TinyintType
	case KindDuration:
		return DurationType
	}
	return nil
}

// ListOf returns list<elem> (frozen<list<elem>> when frozen).
func ListOf(elem *Type, frozen bool) *Type {
	return &Type{Kind: KindList, Elems: []*Type{elem}, Frozen: frozen}
}

// SetOf returns set<elem> (frozen<set<elem>> when frozen).
func SetOf(elem *Type, frozen bool) *Type {
	return &Type{Kind: KindSet, Elems: []*Type{elem}, Frozen: frozen}
}

// MapOf returns map<key, value> (frozen<map<key, value>> when frozen).
func MapOf(key, value *Type, frozen bool) *Type {
	return &Type{Kind: KindMap, Elems: []*Type{key, value}, Frozen: frozen}
}

// TupleOf returns tuple<elems...>. Tuples are always frozen.
func TupleOf(elems ...*Type) *Type {
	return &Type{Kind: KindTuple, Elems: elems, Frozen: true}
}

// CustomOf returns the custom type of a Java class name; DurationClass
// (how protocol v4 carries durations) yields DurationType.
func CustomOf(class string) *Type {
	if class == DurationClass {
		return DurationType
	}
	return &Type{Kind: KindCustom, Custom: class}
}

// UDTOf returns a user type. names and types are parallel.
func UDTOf(keyspace, name string, names []string, types []*Type, frozen bool) *Type {
	return &Type{Kind: KindUDT, Keyspace: keyspace, Name: name, FieldNames: names, Elems: types, Frozen: frozen}
}

// IsCollection reports whether t is a list, set or map (frozen or not).
func (t *Type) IsCollection() bool {
	return t.Kind == KindList || t.Kind == KindSet || t.Kind == KindMap
}

// IsMultiCell reports whether values of t are stored as several cells (one
// per element or field): non-frozen collections and non-frozen UDTs.
func (t *Type) IsMultiCell() bool {
	return !t.Frozen && (t.IsCollection() || t.Kind == KindUDT)
}

// IsCounter reports whether t is counter.
func (t *Type) IsCounter() bool { return t.Kind == KindCounter }

// CanBeKey reports whether values of t may be part of a primary key (and
// so have an order-preserving encoding): every native type except counter
// and duration, and frozen collections, tuples and UDTs whose components
// can be keys. Custom types are compared as raw bytes and may be keys.
func (t *Type) CanBeKey() bool {
	switch t.Kind {
	case KindCounter, KindDuration:
		return false
	case KindList, KindSet, KindMap, KindUDT, KindTuple:
		if !t.Frozen {
			return false
		}
		for _, e := range t.Elems {
			if !e.CanBeKey() {
				return false
			}
		}
	}
	return true
}

// Contains reports whether t is or contains (at any depth) a type for
// which pred holds.
func (t *Type) Contains(pred func(*Type) bool) bool {
	if pred(t) {
		return true
	}
	for _, e := range t.Elems {
		if e.Contains(pred) {
			return true
		}
	}
	return false
}

// ReferencesUDT reports whether t uses the user type ks.name.
func (t *Type) ReferencesUDT(ks, name string) bool {
	return t.Contains(func(x *Type) bool {
		return x.Kind == KindUDT && x.Keyspace == ks && x.Name == name
	})
}

// Freeze returns t frozen, with every nested type frozen too, as Cassandra
// freezes the inside of a frozen type. Native types are returned as they
// are.
func (t *Type) Freeze() *Type {
	if len(t.Elems) == 0 && t.Kind != KindList && t.Kind != KindSet && t.Kind != KindMap && t.Kind != KindUDT && t.Kind != KindTuple {
		return t
	}
	c := *t
	c.Frozen = true
	c.Elems = make([]*Type, len(t.Elems))
	for i, e := range t.Elems {
		c.Elems[i] = e.Freeze()
	}
	return &c
}

// Unfrozen returns t with its top-level Frozen flag cleared (tuples stay
// frozen).
func (t *Type) Unfrozen() *Type {
	if !t.Frozen || t.Kind == KindTuple {
		return t
	}
	c := *t
	c.Frozen = false
	return &c
}

// Equal reports whether t and o are the same type, frozenness included.
// UDTs are equal when keyspace, name, field names and field types match.
func (t *Type) Equal(o *Type) bool {
	if t == o {
		return true
	}
	if t == nil || o == nil {
		return false
	}
	if t.Kind != o.Kind || t.Frozen != o.Frozen || t.Keyspace != o.Keyspace ||
		t.Name != o.Name || t.Custom != o.Custom ||
		len(t.Elems) != len(o.Elems) || len(t.FieldNames) != len(o.FieldNames) {
		return false
	}
	for i := range t.FieldNames {
		if t.FieldNames[i] != o.FieldNames[i] {
			return false
		}
	}
	for i := range t.Elems {
		if !t.Elems[i].Equal(o.Elems[i]) {
			return false
		}
	}
	return true
}

// String returns t in the CQL form Cassandra writes in
// system_schema.columns.type: "text", "map<text, int>",
// "frozen<list<int>>", "frozen<tuple<int, text>>", "frozen<address>",
// "address" for a non-frozen UDT, "'class.Name'" for a custom type.
func (t *Type) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t *Type) write(b *strings.Builder) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	if n, ok := nativeNames[t.Kind]; ok {
		b.WriteString(n)
		return
	}
	if t.Frozen {
		b.WriteString("frozen<")
		defer b.WriteByte('>')
	}
	switch t.Kind {
	case KindCustom:
		b.WriteString(QuoteString(t.Custom))
	case KindUDT:
		b.WriteString(QuoteIdent(t.Name))
	default:
		b.WriteString(t.Kind.String())
		b.WriteByte('<')
		for i, e := range t.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.write(b)
		}
		b.WriteByte('>')
	}
}

// FieldIndex returns the index of a UDT field, or -1.
func (t *Type) FieldIndex(name string) int {
	for i, n := range t.FieldNames {
		if n == name {
			return i
		}
	}
	return -1
}
