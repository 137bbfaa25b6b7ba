package schema

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidValue is wrapped by every error Validate, Unmarshal and
// Marshal return for a value that does not fit its type.
var ErrInvalidValue = errors.New("schema: invalid value")

// fixedWidth is the serialized size of the fixed-width types; ok is false
// for the others. A switch, not a map: it runs for every bound value.
func fixedWidth(k Kind) (w int, ok bool) {
	switch k {
	case KindBoolean, KindTinyint:
		return 1, true
	case KindSmallint:
		return 2, true
	case KindFloat, KindInt, KindDate:
		return 4, true
	case KindBigint, KindCounter, KindDouble, KindTimestamp, KindTime:
		return 8, true
	case KindUUID, KindTimeUUID:
		return 16, true
	}
	return 0, false
}

// Validate checks that b is a valid serialized value of t (native
// protocol v3+ form). A nil b (null) and an empty b (Cassandra's "empty
// value") are valid for every type. Errors wrap ErrInvalidValue and read
// like "invalid int value: expected 4 bytes, got 3".
func Validate(t *Type, b []byte) error {
	if t == nil {
		return fmt.Errorf("%w: no type", ErrInvalidValue)
	}
	if len(b) == 0 {
		return nil
	}
	if err := validate(t, b, 0); err != nil {
		return fmt.Errorf("%w: invalid %s value: %w", ErrInvalidValue, t, err)
	}
	return nil
}

// validate checks a non-empty value; nested values may be empty.
func validate(t *Type, b []byte, depth int) error {
	if depth > maxTypeDepth {
		return errors.New("type nested too deeply")
	}
	if t == nil {
		return errors.New("no type")
	}
	if w, ok := fixedWidth(t.Kind); ok {
		if len(b) != w {
			return fmt.Errorf("expected %d bytes, got %d", w, len(b))
		}
		return validateFixed(t.Kind, b)
	}
	switch t.Kind {
	case KindASCII:
		for i, c := range b {
			if c > 127 {
				return fmt.Errorf("non-ASCII byte 0x%02x at offset %d", c, i)
			}
		}
	case KindVarchar:
		if !utf8.Valid(b) {
			return errors.New("invalid UTF-8")
		}
	case KindDecimal:
		if len(b) < 4 {
			return fmt.Errorf("expected at least 4 bytes, got %d", len(b))
		}
	case KindInet:
		if len(b) != 4 && len(b) != 16 {
			return fmt.Errorf("expected 4 or 16 bytes, got %d", len(b))
		}
	case KindDuration:
		_, err := decodeDuration(b)
		return err
	case KindList, KindSet:
		return validateElems(t.Elems, b, 1, depth)
	case KindMap:
		return validateElems(t.Elems, b, 2, depth)
	case KindTuple, KindUDT:
		return validateFields(t, b, depth)
	case KindBlob, KindVarint, KindCustom:
		// Any bytes.
	default:
		return fmt.Errorf("unknown type kind 0x%04x", uint16(t.Kind))
	}
	return nil
}

func validateFixed(k Kind, b []byte) error {
	switch k {
	case KindTimeUUID:
		if b[6]>>4 != 1 {
			return fmt.Errorf("expected a version 1 UUID, got version %d", b[6]>>4)
		}
	case KindTime:
		v := int64(uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
			uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7]))
		if v < 0 || v >= int64(MaxTime) {
			return fmt.Errorf("time %d out of range 0..86399999999999", v)
		}
	}
	return nil
}

func validateElems(types []*Type, b []byte, per, depth int) error {
	if len(types) != per {
		return errors.New("malformed collection type")
	}
	elems, err := splitCollection(b, per)
	if err != nil {
		return err
	}
	for i, e := range elems {
		et := types[i%per]
		if len(e) == 0 {
			continue
		}
		if err := validate(et, e, depth+1); err != nil {
			return fmt.Errorf("element %d: invalid %s value: %w", i/per, et, err)
		}
	}
	return nil
}

func validateFields(t *Type, b []byte, depth int) error {
	fields, err := splitFields(b, len(t.Elems))
	if err != nil {
		return err
	}
	for i, f := range fields {
		if len(f) == 0 {
			continue
		}
		if err := validate(t.Elems[i], f, depth+1); err != nil {
			return fmt.Errorf("%s: invalid %s value: %w", fieldLabel(t, i), t.Elems[i], err)
		}
	}
	return nil
}

func fieldLabel(t *Type, i int) string {
	if t.Kind == KindUDT && i < len(t.FieldNames) {
		return "field " + QuoteIdent(t.FieldNames[i])
	}
	return fmt.Sprintf("component %d", i)
}
