package shell

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/gocql/gocql"
)

// splitTop splits s at sep where sep is outside quotes and brackets.
func splitTop(s string, sep byte) ([]string, error) {
	var out []string
	depth, start := 0, 0
	var inQuote byte // the quote character of the string or name we are in
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0 // a doubled quote reopens at the next byte
			}
		case c == '\'' || c == '"':
			inQuote = c
		case c == '[' || c == '{' || c == '(':
			depth++
		case c == ']' || c == '}' || c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("shell: unbalanced %q in %q", c, s)
			}
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if inQuote != 0 || depth != 0 {
		return nil, fmt.Errorf("shell: unterminated literal %q", s)
	}
	return append(out, s[start:]), nil
}

// inner strips the open and close brackets around a literal and splits
// its items at top-level commas; an empty literal has no items.
func inner(s string, open, closing byte) ([]string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != open || s[len(s)-1] != closing {
		return nil, fmt.Errorf("shell: %q is not enclosed in %c%c", s, open, closing)
	}
	body := s[1 : len(s)-1]
	if strings.TrimSpace(body) == "" {
		return nil, nil
	}
	return splitTop(body, ',')
}

// appendItem appends [int len][bytes], or -1 for null.
func appendItem(out, item []byte) []byte {
	if item == nil {
		return binary.BigEndian.AppendUint32(out, 0xffffffff)
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(item)))
	return append(out, item...)
}

func parseListOrSet(info gocql.TypeInfo, s string) ([]byte, error) {
	c, ok := info.(gocql.CollectionType)
	if !ok {
		return nil, fmt.Errorf("shell: no element type for %q", s)
	}
	open, closing := byte('['), byte(']')
	if c.Type() == gocql.TypeSet {
		open, closing = '{', '}'
	}
	items, err := inner(s, open, closing)
	if err != nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(items)))
	for _, it := range items {
		b, err := parseValue(c.Elem, it, true)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, fmt.Errorf("shell: null inside collection %q", s)
		}
		out = appendItem(out, b)
	}
	return out, nil
}

func parseMap(info gocql.TypeInfo, s string) ([]byte, error) {
	c, ok := info.(gocql.CollectionType)
	if !ok {
		return nil, fmt.Errorf("shell: no key type for %q", s)
	}
	items, err := inner(s, '{', '}')
	if err != nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(items)))
	for _, it := range items {
		kv, err := splitTop(it, ':')
		if err != nil || len(kv) != 2 {
			return nil, fmt.Errorf("shell: map entry %q is not key: value", it)
		}
		k, err := parseValue(c.Key, kv[0], true)
		if err != nil {
			return nil, err
		}
		v, err := parseValue(c.Elem, kv[1], true)
		if err != nil {
			return nil, err
		}
		if k == nil || v == nil {
			return nil, fmt.Errorf("shell: null inside map %q", s)
		}
		out = appendItem(appendItem(out, k), v)
	}
	return out, nil
}

func parseTuple(info gocql.TypeInfo, s string) ([]byte, error) {
	t, ok := info.(gocql.TupleTypeInfo)
	if !ok {
		return nil, fmt.Errorf("shell: no element types for %q", s)
	}
	items, err := inner(s, '(', ')')
	if err != nil {
		return nil, err
	}
	if len(items) > len(t.Elems) {
		return nil, fmt.Errorf("shell: tuple %q has %d elements, want %d", s, len(items), len(t.Elems))
	}
	var out []byte
	for i, it := range items {
		b, err := parseValue(t.Elems[i], it, true)
		if err != nil {
			return nil, err
		}
		out = appendItem(out, b)
	}
	for range len(t.Elems) - len(items) {
		out = appendItem(out, nil) // missing trailing elements are null
	}
	return nonNil(out), nil
}

func parseUDT(info gocql.TypeInfo, s string) ([]byte, error) {
	u, ok := info.(gocql.UDTTypeInfo)
	if !ok {
		return nil, fmt.Errorf("shell: no fields for %q", s)
	}
	items, err := inner(s, '{', '}')
	if err != nil {
		return nil, err
	}
	given := map[string]string{}
	for _, it := range items {
		kv, err := splitTop(it, ':')
		if err != nil || len(kv) != 2 {
			return nil, fmt.Errorf("shell: field %q is not name: value", it)
		}
		given[unquoteName(strings.TrimSpace(kv[0]))] = kv[1]
	}
	var out []byte
	for _, f := range u.Elements {
		text, ok := given[f.Name]
		if !ok {
			out = appendItem(out, nil)
			continue
		}
		delete(given, f.Name)
		b, err := parseValue(f.Type, text, true)
		if err != nil {
			return nil, err
		}
		out = appendItem(out, b)
	}
	for name := range given {
		return nil, fmt.Errorf("shell: unknown field %q in %q", name, s)
	}
	return nonNil(out), nil
}

// nonNil keeps an empty value distinct from null.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
