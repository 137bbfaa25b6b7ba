package schema

import "fmt"

// Normalize returns the canonical serialization of a valid value of t:
// set elements and map entries sorted by Compare with duplicates removed
// (the last duplicate map entry wins, as when a map literal repeats a key),
// recursively inside collections, tuples and UDTs. Cassandra keeps sets
// and maps sorted, so values from clients (which may send them in any
// order) must be normalized before they are stored, compared for equality
// or used in a key. Other values are returned as they are. The result may
// alias b.
func Normalize(t *Type, b []byte) ([]byte, error) {
	if err := Validate(t, b); err != nil {
		return nil, err
	}
	return normalizeValue(t, b), nil
}

// normalizeValue works on a validated value.
func normalizeValue(t *Type, b []byte) []byte {
	if len(b) == 0 || !needsNormalize(t) {
		return b
	}
	switch t.Kind {
	case KindList, KindSet, KindMap:
		per := len(t.Elems)
		elems, _ := splitCollection(b, per) // validated
		for i, e := range elems {
			elems[i] = normalizeValue(t.Elems[i%per], e)
		}
		if t.Kind != KindList {
			elems = sortUnique(t.Elems[0], elems, per)
		}
		return buildCollection(len(elems)/per, elems)
	case KindTuple, KindUDT:
		fields, _ := splitFields(b, len(t.Elems)) // validated
		out := make([]byte, 0, len(b))
		for i, f := range fields {
			if f != nil {
				f = normalizeValue(t.Elems[i], f)
			}
			out = appendValue(out, f)
		}
		return out
	}
	return b
}

// needsNormalize reports whether t contains a set or a map.
func needsNormalize(t *Type) bool {
	return t.Contains(func(x *Type) bool { return x.Kind == KindSet || x.Kind == KindMap })
}

// IsNormalized reports whether b is already in the form Normalize returns.
func IsNormalized(t *Type, b []byte) (bool, error) {
	n, err := Normalize(t, b)
	if err != nil {
		return false, fmt.Errorf("cannot normalize: %w", err)
	}
	return string(n) == string(b), nil
}
