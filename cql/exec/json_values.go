package exec

import (
	"encoding/hex"
	"math"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sibyldb/sibyl/schema"
)

// Conversion of decoded JSON (json_decode.go) into serialized values of a
// CQL type, as Cassandra 4.1's fromJSONObject of each type: which JSON
// shapes a type accepts (numbers as JSON numbers or strings, everything
// else as strings, collections and tuples as arrays, maps and user types
// as objects, and for collections, tuples and user types also a string
// holding their JSON: the form a non-text map key takes) and the
// messages of its MarshalExceptions.

// fromJSON serializes v, which is not nil, as a value of t.
func fromJSON(t *schema.Type, v any) ([]byte, error) {
	return fromJSONAt(t, v, 0)
}

func fromJSONAt(t *schema.Type, v any, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, invalidf("JSON value nested too deeply")
	}
	switch t.Kind {
	case schema.KindASCII, schema.KindVarchar:
		return jsonText(t, v)
	case schema.KindBigint, schema.KindCounter, schema.KindInt, schema.KindSmallint, schema.KindTinyint, schema.KindVarint:
		return jsonInteger(t, v)
	case schema.KindFloat, schema.KindDouble, schema.KindDecimal:
		return jsonFloat(t, v)
	case schema.KindBoolean:
		return jsonBoolean(v)
	case schema.KindBlob:
		return jsonBlob(v)
	case schema.KindList, schema.KindSet:
		return jsonList(t, v, depth)
	case schema.KindMap:
		return jsonMap(t, v, depth)
	case schema.KindTuple:
		return jsonTuple(t, v, depth)
	case schema.KindUDT:
		return jsonUDT(t, v, depth)
	case schema.KindCustom:
		return nil, invalidf("JSON is not supported for the custom type %s", t)
	}
	return jsonStringTyped(t, v)
}

func expectedGot(what string, v any) *Error {
	return invalidf("Expected %s, but got a %s: %s", what, javaClass(v), javaString(v))
}

func jsonText(t *schema.Type, v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		if t.Kind == schema.KindASCII {
			return nil, expectedGot("an ascii string", v)
		}
		return nil, expectedGot("a UTF-8 string", v)
	}
	return stringLiteral(s, t)
}

// jsonInteger: bigint and int take a string (their fromString) or an
// integral number that fits (Integer, and Long for bigint); smallint and
// tinyint parse the text of either; varint parses the text of anything.
func jsonInteger(t *schema.Type, v any) ([]byte, error) {
	n, isNum := v.(jsonNumber)
	s, isStr := v.(string)
	switch t.Kind {
	case schema.KindVarint:
		text := javaString(v)
		i, ok := new(big.Int).SetString(text, 10)
		if !ok || (!isNum && !isStr) {
			return nil, invalidf("Value '%s' is not a valid representation of a varint value", text)
		}
		return varintBytes(i), nil
	case schema.KindSmallint, schema.KindTinyint:
		// ShortType and ByteType: the text of a string or any number,
		// read by Short/Byte.parseShort/parseByte (the empty string is
		// the empty value).
		bits, name := 16, "short"
		if t.Kind == schema.KindTinyint {
			bits, name = 8, "byte"
		}
		if !isNum && !isStr {
			return nil, expectedGot("a "+name+" value", v)
		}
		text := javaString(v)
		if text == "" {
			return []byte{}, nil
		}
		i, err := strconv.ParseInt(text, 10, bits)
		if err != nil {
			return nil, invalidf("Unable to make %s from '%s'", name, text)
		}
		if bits == 8 {
			return []byte{byte(i)}, nil
		}
		return []byte{byte(i >> 8), byte(i)}, nil
	}
	what, bits, name := "a bigint value", 64, "long"
	if t.Kind == schema.KindInt {
		what, bits, name = "an int value", 32, "int"
	}
	switch {
	case isStr:
		if s == "" {
			return []byte{}, nil
		}
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, invalidf("Unable to make %s from '%s'", name, s)
		}
		return jsonIntBytes(i, bits), nil
	case isNum && (n.class == "Integer" || (n.class == "Long" && bits == 64)):
		return jsonIntBytes(n.i.Int64(), bits), nil
	}
	return nil, expectedGot(what, v)
}

func jsonIntBytes(i int64, bits int) []byte {
	if bits == 32 {
		return be32(uint32(i))
	}
	return be64(i)
}

// jsonFloat: float and double take a string (their fromString) or any
// number, converted as Java's floatValue/doubleValue; decimal parses the
// Java text of whatever it is given.
func jsonFloat(t *schema.Type, v any) ([]byte, error) {
	if t.Kind == schema.KindDecimal {
		text := javaString(v)
		_, isNum := v.(jsonNumber)
		if _, isStr := v.(string); (!isNum && !isStr) || text == "" {
			return nil, invalidf("Value '%s' is not a valid representation of a decimal value", text)
		}
		b, err := decimalFromString(text)
		if err != nil || !decimalScaleFits(text) {
			return nil, invalidf("Value '%s' is not a valid representation of a decimal value", text)
		}
		return b, nil
	}
	name := "float"
	if t.Kind == schema.KindDouble {
		name = "double"
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return []byte{}, nil
		}
		f, err := parseJavaFloat(x, t.Kind == schema.KindFloat)
		if err != nil {
			return nil, invalidf("Unable to make %s from '%s'", name, x)
		}
		return floatBytes(f, t.Kind == schema.KindFloat), nil
	case jsonNumber:
		return floatBytes(x.f, t.Kind == schema.KindFloat), nil
	}
	return nil, expectedGot("a "+name+" value", v)
}

func floatBytes(f float64, single bool) []byte {
	if single {
		return be32(math.Float32bits(float32(f)))
	}
	return be64(int64(math.Float64bits(f)))
}

// parseJavaFloat reads a number as Java's Float/Double.parseFloat: the
// text trimmed, NaN and [+-]Infinity spelled exactly, an optional f/F/d/D
// suffix.
func parseJavaFloat(s string, single bool) (float64, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	if n := len(s); n > 1 && strings.ContainsRune("fFdD", rune(s[n-1])) {
		s = s[:n-1]
	}
	if s == "" || strings.ContainsAny(s, "_xXpPnNiI") {
		return 0, strconv.ErrSyntax
	}
	bits := 64
	if single {
		bits = 32
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil && !isRangeErr(err) {
		return 0, err
	}
	return f, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func jsonBoolean(v any) ([]byte, error) {
	switch x := v.(type) {
	case bool:
		return []byte{boolByte(x)}, nil
	case string:
		switch strings.ToLower(x) {
		case "":
			return []byte{}, nil
		case "true":
			return []byte{1}, nil
		case "false":
			return []byte{0}, nil
		}
		return nil, invalidf("Unable to make boolean from '%s'", x)
	}
	return nil, expectedGot("a boolean value", v)
}

func jsonBlob(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, invalidf("Value '%s' is not a valid blob representation: expected a string, but got a %s", javaString(v), javaClass(v))
	}
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return nil, invalidf("Value '%s' is not a valid blob representation: String representation of blob is missing 0x prefix: %s", s, s)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, invalidf("Value '%s' is not a valid blob representation: cannot parse '%s' as hex bytes", s, h)
	}
	return b, nil
}

// jsonStringTyped converts the types that only take a string: uuid,
// timeuuid, inet, date, time, duration, and timestamp (which also takes
// milliseconds as an integral number).
func jsonStringTyped(t *schema.Type, v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		if n, isNum := v.(jsonNumber); isNum && t.Kind == schema.KindTimestamp && (n.class == "Integer" || n.class == "Long") {
			return be64(n.i.Int64()), nil
		}
		return nil, expectedGot(stringTypedWhat(t), v)
	}
	switch t.Kind {
	case schema.KindUUID, schema.KindTimeUUID:
		b, err := parseUUID(s)
		if err != nil {
			return nil, invalidf("Unable to make UUID from '%s'", s)
		}
		if t.Kind == schema.KindTimeUUID && b[6]>>4 != 1 {
			return nil, invalidf("TimeUUID supports only version 1 UUIDs")
		}
		return b, nil
	case schema.KindInet:
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, invalidf("Unable to make inet address from '%s'", s)
		}
		return a.AsSlice(), nil
	}
	return stringLiteral(s, t) // timestamp, date, time, duration
}

func stringTypedWhat(t *schema.Type) string {
	switch t.Kind {
	case schema.KindUUID:
		return "a string representation of a uuid"
	case schema.KindTimeUUID:
		return "a string representation of a timeuuid"
	case schema.KindInet:
		return "a string representation of an inet value"
	case schema.KindDate:
		return "a string representation of a date value"
	case schema.KindTime:
		return "a string representation of a time value"
	case schema.KindDuration:
		return "a string representation of a duration"
	case schema.KindTimestamp:
		return "a long or a datestring representation of a timestamp value"
	}
	return "a string representation of a " + t.String() + " value"
}

// nestedJSON decodes a string holding a collection's, tuple's or user
// type's JSON (a map key can only be a string); other values pass.
func nestedJSON(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	d, err := decodeJSON(s)
	if err != nil {
		return nil, invalidf("Error decoding JSON string: %s", jsonSyntaxMessage(err))
	}
	return d, nil
}

func jsonList(t *schema.Type, v any, depth int) ([]byte, error) {
	v, err := nestedJSON(v)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	kind := "list"
	if t.Kind == schema.KindSet {
		kind = "set"
	}
	if !ok {
		if t.Kind == schema.KindSet {
			return nil, expectedGot("a list (representing a set)", v)
		}
		return nil, expectedGot("a list", v)
	}
	vals := make([][]byte, 0, len(list))
	for _, e := range list {
		if e == nil {
			return nil, invalidf("Invalid null element in %s", kind)
		}
		b, err := fromJSONAt(t.Elems[0], e, depth+1)
		if err != nil {
			return nil, err
		}
		vals = append(vals, b)
	}
	if t.Kind == schema.KindSet {
		vals = sortUnique(t.Elems[0], vals)
	}
	return encodeElems(vals), nil
}

func jsonMap(t *schema.Type, v any, depth int) ([]byte, error) {
	v, err := nestedJSON(v)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(*jsonObject)
	if !ok {
		return nil, expectedGot("a map", v)
	}
	type kv struct{ k, v []byte }
	entries := make([]kv, 0, len(obj.keys))
	for _, k := range obj.keys {
		val := obj.vals[k]
		if val == nil {
			return nil, invalidf("Invalid null value in map")
		}
		kb, err := fromJSONAt(t.Elems[0], k, depth+1)
		if err != nil {
			return nil, err
		}
		vb, err := fromJSONAt(t.Elems[1], val, depth+1)
		if err != nil {
			return nil, err
		}
		entries = append(entries, kv{kb, vb})
	}
	kt := t.Elems[0]
	slices.SortStableFunc(entries, func(a, b kv) int { return compareValues(kt, a.k, b.k) })
	keys := make([][]byte, 0, len(entries))
	vals := make([][]byte, 0, len(entries))
	for i, e := range entries {
		if i+1 < len(entries) && compareValues(kt, e.k, entries[i+1].k) == 0 {
			continue // two spellings of one key ("1", "01"): the last wins
		}
		keys, vals = append(keys, e.k), append(vals, e.v)
	}
	return encodeMap(keys, vals), nil
}

func jsonTuple(t *schema.Type, v any, depth int) ([]byte, error) {
	v, err := nestedJSON(v)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, expectedGot("a list representation of a tuple", v)
	}
	if len(list) > len(t.Elems) {
		return nil, invalidf("Tuple contains extra items (expected %d): %s", len(t.Elems), javaString(list))
	}
	if len(list) < len(t.Elems) {
		return nil, invalidf("Tuple is missing items (expected %d): %s", len(t.Elems), javaString(list))
	}
	comps := make([][]byte, len(t.Elems))
	for i, e := range list {
		if e == nil {
			continue
		}
		b, err := fromJSONAt(t.Elems[i], e, depth+1)
		if err != nil {
			return nil, err
		}
		comps[i] = b
	}
	return encodeComponents(comps), nil
}

func jsonUDT(t *schema.Type, v any, depth int) ([]byte, error) {
	v, err := nestedJSON(v)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(*jsonObject)
	if !ok {
		return nil, expectedGot("a map", v)
	}
	fields := caseFolded(obj)
	comps := make([][]byte, len(t.Elems))
	for i, name := range t.FieldNames {
		val, ok := fields.remove(name)
		if !ok || val == nil {
			continue
		}
		b, err := fromJSONAt(t.Elems[i], val, depth+1)
		if err != nil {
			return nil, err
		}
		comps[i] = b
	}
	if len(fields.keys) > 0 {
		return nil, invalidf("Unknown field '%s' in value of user defined type %s", fields.keys[0], t.Name)
	}
	return encodeComponents(comps), nil
}

// caseFolded applies Cassandra's Json.handleCaseSensitivity to an
// object's keys: a key in double quotes is the name inside them, exactly;
// any other key is folded to lower case.
func caseFolded(obj *jsonObject) *jsonObject {
	out := &jsonObject{vals: make(map[string]any, len(obj.keys))}
	for _, k := range obj.keys {
		name := k
		if len(k) >= 2 && strings.HasPrefix(k, `"`) && strings.HasSuffix(k, `"`) {
			name = k[1 : len(k)-1]
		} else {
			name = strings.ToLower(k)
		}
		out.put(name, obj.vals[k])
	}
	return out
}

// decimalScaleFits reports whether the scale of the decimal text (its
// fraction digits less its exponent) fits the 32-bit scale a decimal
// stores, as Java's BigDecimal requires; decimalFromString alone would
// wrap it.
func decimalScaleFits(s string) bool {
	exp := int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err != nil {
			return false
		}
		exp, s = e, s[:i]
	}
	frac := int64(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac = int64(len(s) - i - 1)
	}
	scale := frac - exp
	return scale >= math.MinInt32 && scale <= math.MaxInt32
}
