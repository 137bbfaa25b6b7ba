package protocol

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

var versions = []Version{Version3, Version4}

func varchar() *TypeOption { return &TypeOption{ID: TypeVarchar} }

// sampleMessages returns one or more representative values of every
// message, for protocol version v.
func sampleMessages(v Version) []Message {
	uuidType := &TypeOption{ID: TypeUUID}
	udt := &TypeOption{ID: TypeUDT, Keyspace: "ks", Name: "addr",
		FieldNames: []string{"street", "zip"}, Elems: []*TypeOption{varchar(), {ID: TypeInt}}}
	cols := []ColumnSpec{
		{Keyspace: "ks", Table: "t", Name: "k", Type: varchar()},
		{Keyspace: "ks", Table: "t", Name: "m", Type: &TypeOption{ID: TypeMap, Elems: []*TypeOption{varchar(), {ID: TypeList, Elems: []*TypeOption{uuidType}}}}},
		{Keyspace: "ks", Table: "t", Name: "a", Type: udt},
		{Keyspace: "ks", Table: "t", Name: "tup", Type: &TypeOption{ID: TypeTuple, Elems: []*TypeOption{{ID: TypeBigint}, {ID: TypeCustom, Custom: DurationClass}}}},
	}
	mixed := []ColumnSpec{cols[0], {Keyspace: "ks2", Table: "u", Name: "x", Type: &TypeOption{ID: TypeSet, Elems: []*TypeOption{{ID: TypeBoolean}}}}}
	values := []Value{{Bytes: []byte("a")}, {Bytes: nil}, {Bytes: []byte{}}}
	if v >= Version4 {
		values = append(values, Value{Unset: true})
	}
	names := make([]string, len(values))
	for i := range names {
		names[i] = string(rune('a' + i))
	}
	return []Message{
		&Startup{Options: map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"}},
		&Startup{Options: map[string]string{}},
		&AuthResponse{Token: []byte("\x00user\x00pass")},
		&AuthResponse{Token: nil},
		&Options{},
		&Query{Query: "SELECT * FROM system.local", Params: QueryParams{Version: v, Consistency: 1}},
		&Query{Query: "INSERT INTO t (a, b, c) VALUES (?, ?, ?)", Params: QueryParams{
			Version: v, Consistency: 4, HasValues: true, Values: values, SkipMetadata: true,
			HasPageSize: true, PageSize: 5000, PagingState: []byte{1, 2, 3},
			HasSerialConsistency: true, SerialConsistency: 9, HasTimestamp: true, Timestamp: 1700000000000000}},
		&Query{Query: "x", Params: QueryParams{Version: v, Consistency: 10, HasValues: true, Values: values, Names: names}},
		&Prepare{Query: "SELECT a FROM ks.t WHERE k = ?"},
		&Execute{ID: []byte{0xde, 0xad}, Params: QueryParams{Version: v, Consistency: 1, HasValues: true, Values: values, PagingState: []byte{}}},
		&Batch{Version: v, Type: BatchUnlogged, Consistency: 4, Statements: []BatchStatement{
			{Query: "INSERT INTO t (a) VALUES (?)", Values: values},
			{ID: []byte{1, 2}, Values: []Value{}},
		}, HasTimestamp: true, Timestamp: -5, HasSerialConsistency: true, SerialConsistency: 8},
		&Batch{Version: v, Type: BatchLogged, Statements: []BatchStatement{}},
		&Register{EventTypes: []string{EventTopologyChange, EventStatusChange, EventSchemaChange}},
		&Error{Code: CodeServerError, Message: "boom"},
		&Error{Code: CodeProtocolError, Message: "Invalid or unsupported protocol version (5); supported versions are (3/v3, 4/v4)"},
		&Error{Code: CodeUnavailable, Message: "u", Consistency: 4, Required: 2, Alive: 1},
		&Error{Code: CodeWriteTimeout, Message: "w", Consistency: 1, Received: 0, BlockFor: 1, WriteType: "SIMPLE"},
		&Error{Code: CodeReadTimeout, Message: "r", Consistency: 1, Received: 1, BlockFor: 2, DataPresent: true},
		&Error{Code: CodeReadFailure, Message: "rf", Consistency: 5, Received: 1, BlockFor: 3, NumFailures: 2},
		&Error{Code: CodeWriteFailure, Message: "wf", Consistency: 5, Received: 1, BlockFor: 3, NumFailures: 2, WriteType: "BATCH"},
		&Error{Code: CodeFunctionFailure, Message: "ff", Keyspace: "ks", Function: "f", ArgTypes: []string{"int"}},
		&Error{Code: CodeAlreadyExists, Message: "exists", Keyspace: "ks", Table: ""},
		&Error{Code: CodeUnprepared, Message: "unprepared", UnpreparedID: []byte{9, 9}},
		&Ready{},
		&Authenticate{Authenticator: PasswordAuthenticator},
		&Supported{Options: map[string][]string{"CQL_VERSION": {"3.4.5"}, "COMPRESSION": {}}},
		&Result{Version: v, Kind: ResultVoid},
		&Result{Version: v, Kind: ResultRows, Rows: &Rows{Metadata: RowsMetadata{Columns: cols, PagingState: []byte("next")},
			Rows: [][][]byte{{[]byte("k1"), nil, {}, []byte{1}}, {[]byte("k2"), {1}, {2}, {3}}}}},
		&Result{Version: v, Kind: ResultRows, Rows: &Rows{Metadata: RowsMetadata{Columns: mixed}, Rows: [][][]byte{}}},
		&Result{Version: v, Kind: ResultRows, Rows: &Rows{Metadata: RowsMetadata{NoMetadata: true, ColumnCount: 2}, Rows: [][][]byte{{{1}, nil}}}},
		&Result{Version: v, Kind: ResultSetKeyspace, Keyspace: "ks"},
		&Result{Version: v, Kind: ResultPrepared, Prepared: &Prepared{ID: []byte{1, 2, 3}, Bind: cols[:2],
			PKIndexes: pkIndexes(v, 0), Result: RowsMetadata{Columns: mixed}}},
		&Result{Version: v, Kind: ResultPrepared, Prepared: &Prepared{ID: []byte{}, Bind: []ColumnSpec{}, PKIndexes: pkIndexes(v),
			Result: RowsMetadata{NoMetadata: true}}},
		&Result{Version: v, Kind: ResultSchemaChange, SchemaChange: &SchemaChange{Change: "CREATED", Target: TargetKeyspace, Keyspace: "ks"}},
		&Result{Version: v, Kind: ResultSchemaChange, SchemaChange: &SchemaChange{Change: "DROPPED", Target: TargetTable, Keyspace: "ks", Name: "t"}},
		&Result{Version: v, Kind: ResultSchemaChange, SchemaChange: &SchemaChange{Change: "UPDATED", Target: TargetFunction, Keyspace: "ks", Name: "f", ArgTypes: []string{"int", "text"}}},
		&Event{Type: EventTopologyChange, Change: "NEW_NODE", Addr: netip.MustParseAddrPort("127.0.0.2:9042")},
		&Event{Type: EventStatusChange, Change: "DOWN", Addr: netip.MustParseAddrPort("[::1]:9042")},
		&Event{Type: EventSchemaChange, SchemaChange: &SchemaChange{Change: "CREATED", Target: TargetType, Keyspace: "ks", Name: "addr"}},
		&AuthChallenge{Token: []byte("challenge")},
		&AuthSuccess{Token: nil},
		&AuthSuccess{Token: []byte{}},
		&Error{Code: CodeCASWriteUnknown, Message: "cas", Consistency: 8, Received: 1, BlockFor: 2},
	}
}

func pkIndexes(v Version, idx ...uint16) []uint16 {
	if v < Version4 {
		return nil
	}
	if idx == nil {
		return []uint16{}
	}
	return idx
}

func decodeAny(op Opcode, v Version, body []byte) (Message, error) {
	if NewRequest(op) != nil {
		return DecodeRequest(op, v, body)
	}
	return DecodeResponse(op, v, body)
}

// TestRoundTrip encodes every sample message in every version, decodes it
// back, and checks that the result is deeply equal and re-encodes to the
// same bytes.
func TestRoundTrip(t *testing.T) {
	for _, v := range versions {
		for i, m := range sampleMessages(v) {
			body, err := m.Encode(nil)
			if err != nil {
				t.Fatalf("v%d #%d %s: encode: %v", v, i, m.Opcode(), err)
			}
			got, err := decodeAny(m.Opcode(), v, body)
			if err != nil {
				t.Fatalf("v%d #%d %s: decode: %v", v, i, m.Opcode(), err)
			}
			normalize(m)
			if !reflect.DeepEqual(got, m) {
				t.Errorf("v%d #%d %s: round trip\n got %#v\nwant %#v", v, i, m.Opcode(), got, m)
			}
			again, err := got.Encode(nil)
			if err != nil || string(again) != string(body) {
				t.Errorf("v%d #%d %s: re-encoding differs (%v)\n%x\n%x", v, i, m.Opcode(), err, again, body)
			}
			// Every strict prefix of a body must fail cleanly.
			for n := range body {
				if _, err := decodeAny(m.Opcode(), v, body[:n]); err == nil && !emptyOK(m, n) {
					t.Errorf("v%d #%d %s: prefix of %d bytes decoded without error", v, i, m.Opcode(), n)
				} else if err != nil && !errors.Is(err, ErrMalformed) {
					t.Errorf("v%d #%d %s: prefix error %v does not wrap ErrMalformed", v, i, m.Opcode(), err)
				}
			}
		}
	}
}

// emptyOK reports whether a truncated body of n bytes may legitimately be
// a complete message (only bodies that are empty anyway).
func emptyOK(m Message, n int) bool {
	_, ready := m.(*Ready)
	_, opts := m.(*Options)
	return (ready || opts) && n == 0
}

// normalize turns a sample into the form a decoder produces: the decoder
// sets HasValues when values are present, and a Prepared result without
// columns is encoded as No_metadata.
func normalize(m Message) {
	switch m := m.(type) {
	case *Query:
		m.Params.HasValues = m.Params.HasValues || len(m.Params.Values) > 0
	case *Execute:
		m.Params.HasValues = m.Params.HasValues || len(m.Params.Values) > 0
	case *Result:
		if m.Prepared != nil && len(m.Prepared.Result.Columns) == 0 {
			m.Prepared.Result = RowsMetadata{NoMetadata: true}
		}
	}
}

func TestUnsetNeedsV4(t *testing.T) {
	q := &Query{Query: "x", Params: QueryParams{Version: Version3, Values: []Value{{Unset: true}}}}
	if _, err := q.Encode(nil); err == nil {
		t.Fatal("v3 encoded an unset value")
	}
	q.Params.Version = Version4
	body, err := q.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeRequest(OpQuery, Version3, body); !errors.Is(err, ErrMalformed) {
		t.Fatalf("v3 decoded an unset value: %v", err)
	}
}

func TestTrailingBytesRejected(t *testing.T) {
	body, _ := (&Prepare{Query: "x"}).Encode(nil)
	if _, err := DecodeRequest(OpPrepare, Version4, append(body, 0)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte accepted: %v", err)
	}
}

func TestUnknownOpcode(t *testing.T) {
	for _, op := range []Opcode{0x04, OpReady, OpResult, 0x11, 0xff} {
		if _, err := DecodeRequest(op, Version4, nil); !errors.Is(err, ErrUnknownOpcode) {
			t.Errorf("request opcode %s: %v", op, err)
		}
	}
	if _, err := DecodeResponse(OpQuery, Version4, nil); !errors.Is(err, ErrUnknownOpcode) {
		t.Errorf("response opcode QUERY: %v", err)
	}
}

func TestNamedBatchRefused(t *testing.T) {
	body := []byte{0, 0, 0, 0, 1, 0x40}
	if _, err := DecodeRequest(OpBatch, Version4, body); !errors.Is(err, ErrMalformed) {
		t.Fatalf("named batch accepted: %v", err)
	}
}

func TestTypeDepthBounded(t *testing.T) {
	var body []byte
	for range 1000 {
		body = append(body, 0, byte(TypeList))
	}
	body = append(body, 0, byte(TypeInt))
	d := decoder{b: body}
	d.typeOption(0)
	if !errors.Is(d.err, ErrMalformed) {
		t.Fatalf("deep nesting accepted: %v", d.err)
	}
}

func TestHugeCountsDoNotAllocate(t *testing.T) {
	// A Rows result claiming 2^31-1 rows of 2^31-1 columns in a few bytes.
	body := []byte{0, 0, 0, 2, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff}
	if _, err := DecodeResponse(OpResult, Version4, body); !errors.Is(err, ErrMalformed) {
		t.Fatalf("huge counts accepted: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = DecodeResponse(OpResult, Version4, body)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("%d bytes allocated decoding a forged count", n)
	}
}

func TestShortestBatchStatement(t *testing.T) {
	// One prepared statement with an empty id and no values, consistency
	// ONE, no flags: 5 bytes of statement.
	body := []byte{1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0}
	m, err := DecodeRequest(OpBatch, Version4, body)
	if err != nil {
		t.Fatal(err)
	}
	if b := m.(*Batch); len(b.Statements) != 1 || b.Statements[0].ID == nil || len(b.Statements[0].Values) != 0 {
		t.Fatalf("got %+v", b)
	}
}

// TestUnknownConsistencyRefused checks that QUERY, EXECUTE and BATCH with
// a consistency or serial consistency code the protocol does not define
// are malformed (Cassandra answers them with a ProtocolError), and that
// every defined code, ANY to LOCAL_ONE, decodes.
func TestUnknownConsistencyRefused(t *testing.T) {
	params := func(cl, serial Consistency) QueryParams {
		return QueryParams{Version: Version4, Consistency: cl, HasSerialConsistency: true, SerialConsistency: serial}
	}
	msgs := func(cl, serial Consistency) []Message {
		return []Message{
			&Query{Query: "SELECT * FROM system.local", Params: params(cl, serial)},
			&Execute{ID: []byte("id"), Params: params(cl, serial)},
			&Batch{Version: Version4, Statements: []BatchStatement{{Query: "INSERT"}}, Consistency: cl,
				HasSerialConsistency: true, SerialConsistency: serial},
		}
	}
	for cl := Consistency(0); cl <= 0x000A; cl++ {
		for _, m := range msgs(cl, 0x0008) {
			body, err := m.Encode(nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeRequest(m.Opcode(), Version4, body); err != nil {
				t.Errorf("%s with consistency %d: %v", m.Opcode(), cl, err)
			}
		}
	}
	for _, bad := range []Consistency{0x000B, 0x00FF, 0xFFFF} {
		for _, pair := range [][2]Consistency{{bad, 0x0008}, {0x0001, bad}} {
			for _, m := range msgs(pair[0], pair[1]) {
				body, err := m.Encode(nil)
				if err != nil {
					t.Fatal(err)
				}
				_, err = DecodeRequest(m.Opcode(), Version4, body)
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), fmt.Sprintf("unknown code %d for a consistency level", bad)) {
					t.Errorf("%s with consistency %d, serial %d: %v", m.Opcode(), pair[0], pair[1], err)
				}
			}
		}
	}
}
