package exec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decoding JSON text into the values Cassandra's Jackson ObjectMapper
// hands to fromJSONObject: null, Boolean, String, a number (Integer,
// Long or BigInteger for integral literals by size, Double otherwise),
// ArrayList, and LinkedHashMap (an object, keys in order, a repeated key
// keeping its first place and its last value). What the type then
// accepts, and every error message, depends on that Java class, so the
// decoder keeps it (jsonNumber.class).
//
// As Jackson's readValue, only the first JSON value of the text is read;
// what follows it is ignored.

// jsonNumber is a JSON number with the Java class Jackson gives it.
type jsonNumber struct {
	text  string // as written
	class string // Integer, Long, BigInteger or Double
	i     *big.Int
	f     float64
}

// jsonObject is a JSON object with its keys in order.
type jsonObject struct {
	keys []string
	vals map[string]any
}

func (o *jsonObject) put(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *jsonObject) remove(k string) (any, bool) {
	v, ok := o.vals[k]
	if !ok {
		return nil, false
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
	return v, true
}

// maxJSONDepth bounds the nesting of a decoded document, so a crafted
// one cannot exhaust the stack of the type-directed conversion.
const maxJSONDepth = 256

// errNoJSONContent is a document of nothing but whitespace.
var errNoJSONContent = errors.New("no content")

// decodeJSON reads the first JSON value of s.
func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if isJSONWhitespace(s) {
		return nil, errNoJSONContent
	}
	v, err := decodeJSONValue(d, 0)
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	return v, err
}

func decodeJSONValue(d *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("document nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '[':
			list := []any{}
			for d.More() {
				v, err := decodeJSONValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return list, nil
		case '{':
			obj := &jsonObject{vals: map[string]any{}}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string) // the decoder only yields string keys
				v, err := decodeJSONValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				obj.put(k, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		}
		return nil, errors.New("unexpected " + x.String())
	case json.Number:
		return newJSONNumber(string(x)), nil
	}
	return tok, nil // nil, bool or string
}

// newJSONNumber classifies a JSON number literal as Jackson does.
func newJSONNumber(s string) jsonNumber {
	if !strings.ContainsAny(s, ".eE") {
		i, _ := new(big.Int).SetString(s, 10) // valid JSON integer
		n := jsonNumber{text: s, i: i, class: "BigInteger"}
		switch {
		case i.IsInt64() && i.Int64() >= math.MinInt32 && i.Int64() <= math.MaxInt32:
			n.class = "Integer"
		case i.IsInt64():
			n.class = "Long"
		}
		n.f, _ = new(big.Float).SetInt(i).Float64()
		return n
	}
	f, _ := strconv.ParseFloat(s, 64) // out of range: ±Inf, as Java's
	return jsonNumber{text: s, class: "Double", f: f}
}

// javaString is Java's toString of the decoded value, which Cassandra's
// messages print.
func javaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	case jsonNumber:
		if x.class == "Double" {
			return javaDoubleString(x.f, 64)
		}
		return x.i.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = javaString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *jsonObject:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = k + "=" + javaString(x.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// javaClass is the simple name of the decoded value's Java class.
func javaClass(v any) string {
	switch x := v.(type) {
	case bool:
		return "Boolean"
	case string:
		return "String"
	case jsonNumber:
		return x.class
	case []any:
		return "ArrayList"
	case *jsonObject:
		return "LinkedHashMap"
	}
	return "Object"
}

// jsonSyntaxMessage describes a decoding error without Go's package
// prefixes.
func jsonSyntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at offset " + strconv.FormatInt(se.Offset, 10)
	}
	// Jackson's words for the two ways a document ends too soon.
	if errors.Is(err, errNoJSONContent) {
		return "No content to map due to end-of-input"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "Unexpected end-of-input"
	}
	return err.Error()
}

// isJSONWhitespace reports whether s holds nothing but JSON whitespace.
func isJSONWhitespace(s string) bool {
	return len(bytes.TrimLeft([]byte(s), " \t\r\n")) == 0
}
