package shell

import (
	"encoding/binary"
	"strings"

	"github.com/gocql/gocql"
)

// elements splits a serialized list or set body, or the keys and values of
// a map, into the serialized items: [int n] then n times [int len][bytes],
// where a negative length is a null item.
func elements(data []byte, perEntry int) ([][]byte, error) {
	if len(data) < 4 {
		return nil, errShortValue
	}
	n := int64(int32(binary.BigEndian.Uint32(data)))
	rest := data[4:]
	if n < 0 || n*int64(perEntry)*4 > int64(len(rest)) {
		return nil, errShortValue
	}
	out := make([][]byte, 0, n*int64(perEntry))
	for i := int64(0); i < n*int64(perEntry); i++ {
		item, next, err := readItem(rest)
		if err != nil {
			return nil, err
		}
		out, rest = append(out, item), next
	}
	if len(rest) != 0 {
		return nil, errShortValue
	}
	return out, nil
}

// readItem reads one [int len][bytes] item; null is a nil slice.
func readItem(data []byte) (item, rest []byte, err error) {
	if len(data) < 4 {
		return nil, nil, errShortValue
	}
	n := int64(int32(binary.BigEndian.Uint32(data)))
	data = data[4:]
	if n < 0 {
		return nil, data, nil
	}
	if n > int64(len(data)) {
		return nil, nil, errShortValue
	}
	return data[:n:n], data[n:], nil
}

func formatCollection(info gocql.TypeInfo, data []byte, st style) (string, error) {
	c, ok := info.(gocql.CollectionType)
	if !ok {
		return "", errShortValue
	}
	if c.Type() == gocql.TypeMap {
		return formatMap(c, data, st)
	}
	items, err := elements(data, 1)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(items))
	for i, it := range items {
		if parts[i], err = formatElement(c.Elem, it, st); err != nil {
			return "", err
		}
	}
	if c.Type() == gocql.TypeList {
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

func formatMap(c gocql.CollectionType, data []byte, st style) (string, error) {
	items, err := elements(data, 2)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(items)/2)
	for i := 0; i+1 < len(items); i += 2 {
		k, err := formatElement(c.Key, items[i], st)
		if err != nil {
			return "", err
		}
		v, err := formatElement(c.Elem, items[i+1], st)
		if err != nil {
			return "", err
		}
		parts = append(parts, k+": "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// formatNested formats an element of a collection, tuple or user type;
// an element that does not decode fails the whole value, which is then
// shown in hex, so every text the shell prints for a value reads back.
func formatNested(info gocql.TypeInfo, data []byte, st style) (string, error) {
	if data == nil {
		return "null", nil
	}
	return formatTyped(info, data, st)
}

// formatElement formats an element of a list, set or map, where Cassandra
// has no nulls.
func formatElement(info gocql.TypeInfo, data []byte, st style) (string, error) {
	if data == nil {
		return "", errShortValue
	}
	return formatTyped(info, data, st)
}

// fields splits a tuple or user type value into at most n serialized
// fields; trailing fields may be missing, and read as null.
func fields(data []byte, n int) ([][]byte, error) {
	out := make([][]byte, n)
	for i := 0; i < n && len(data) > 0; i++ {
		item, rest, err := readItem(data)
		if err != nil {
			return nil, err
		}
		out[i], data = item, rest
	}
	if len(data) != 0 {
		return nil, errShortValue
	}
	return out, nil
}

func formatTuple(info gocql.TypeInfo, data []byte, st style) (string, error) {
	t, ok := info.(gocql.TupleTypeInfo)
	if !ok {
		return "", errShortValue
	}
	items, err := fields(data, len(t.Elems))
	if err != nil {
		return "", err
	}
	parts := make([]string, len(items))
	for i, it := range items {
		if parts[i], err = formatNested(t.Elems[i], it, st); err != nil {
			return "", err
		}
	}
	return "(" + strings.Join(parts, ", ") + ")", nil
}

func formatUDT(info gocql.TypeInfo, data []byte, st style) (string, error) {
	u, ok := info.(gocql.UDTTypeInfo)
	if !ok {
		return "", errShortValue
	}
	items, err := fields(data, len(u.Elements))
	if err != nil {
		return "", err
	}
	parts := make([]string, len(items))
	for i, it := range items {
		v, err := formatNested(u.Elements[i].Type, it, st)
		if err != nil {
			return "", err
		}
		parts[i] = quoteName(u.Elements[i].Name) + ": " + v
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// quoteName double-quotes an identifier unless it is a plain lower-case
// name, as cqlsh's protect_name does.
func quoteName(name string) string {
	if isPlainName(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func isPlainName(name string) bool {
	if name == "" || !(name[0] >= 'a' && name[0] <= 'z') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
