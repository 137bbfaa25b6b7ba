package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenFrames pins the exact bytes of a few frames, written by hand
// from the v4 spec, so an encoder that is merely self-consistent cannot
// pass.
func TestGoldenFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Header
		m    Message
		hex  string
	}{
		{"OPTIONS", Header{Version: Version4}, &Options{}, "04 00 0000 05 00000000"},
		{"READY", Header{Version: Version4, Response: true, Stream: 1}, &Ready{}, "84 00 0001 02 00000000"},
		{"STARTUP", Header{Version: Version4, Stream: 1}, &Startup{Options: map[string]string{"CQL_VERSION": "3.0.0"}},
			"04 00 0001 01 00000016 0001 000b 43514c5f56455253494f4e 0005 332e302e30"},
		{"QUERY v3", Header{Version: Version3, Stream: 0x0102}, &Query{Query: "SELECT 1", Params: QueryParams{Consistency: 1}},
			"03 00 0102 07 0000000f 00000008 53454c4543542031 0001 00"},
		{"ERROR protocol", Header{Version: Version4, Response: true}, &Error{Code: CodeProtocolError, Message: "hello"},
			"84 00 0000 00 0000000b 0000000a 0005 68656c6c6f"},
		{"ERROR v2 (8-byte header)", Header{Version: 2, Response: true, Stream: 3}, &Error{Code: CodeProtocolError, Message: "hello"},
			"82 00 03 00 0000000b 0000000a 0005 68656c6c6f"},
		{"ERROR v1 (8-byte header)", Header{Version: 1, Response: true}, &Error{Code: CodeProtocolError, Message: "hello"},
			"81 00 00 00 0000000b 0000000a 0005 68656c6c6f"},
		{"ERROR unavailable", Header{Version: Version4, Response: true, Stream: 7}, &Error{Code: CodeUnavailable, Message: "u", Consistency: 4, Required: 2, Alive: 1},
			"84 00 0007 00 00000011 00001000 0001 75 0004 00000002 00000001"},
		{"RESULT void", Header{Version: Version4, Response: true, Stream: -1}, &Result{Kind: ResultVoid}, "84 00 ffff 08 00000004 00000001"},
		{"RESULT set_keyspace", Header{Version: Version4, Response: true}, &Result{Kind: ResultSetKeyspace, Keyspace: "ks"},
			"84 00 0000 08 00000008 00000003 0002 6b73"},
		{"RESULT rows", Header{Version: Version4, Response: true}, &Result{Kind: ResultRows, Rows: &Rows{
			Metadata: RowsMetadata{Columns: []ColumnSpec{{Keyspace: "ks", Table: "t", Name: "k", Type: varchar()}}},
			Rows:     [][][]byte{{[]byte("a")}}}},
			"84 00 0000 08 00000021 00000002 00000001 00000001 0002 6b73 0001 74 0001 6b 000d 00000001 00000001 61"},
		{"RESULT prepared v4", Header{Version: Version4, Response: true}, &Result{Kind: ResultPrepared, Prepared: &Prepared{
			ID: []byte{0xab}, Bind: []ColumnSpec{{Keyspace: "ks", Table: "t", Name: "k", Type: &TypeOption{ID: TypeInt}}}, PKIndexes: []uint16{0}}},
			"84 00 0000 08 00000029 00000004 0001 ab 00000001 00000001 00000001 0000 0002 6b73 0001 74 0001 6b 0009 00000004 00000000"},
	} {
		got, err := AppendFrame(nil, tc.h, tc.m, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := mustHex(t, tc.hex); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", tc.name, got, want)
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	raw := mustHex(t, "84 08 fffe 0c 00000010")
	h, err := DecodeHeader(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Version: Version4, Response: true, Flags: FlagWarning, Stream: -2, Opcode: OpEvent, Length: 16}
	if h != want {
		t.Fatalf("got %+v want %+v", h, want)
	}
	if got := h.Encode(nil); !bytes.Equal(got, raw) {
		t.Fatalf("re-encoded %x", got)
	}
}

func TestDecodeHeaderVersions(t *testing.T) {
	for _, tc := range []struct {
		first, flags byte
		ok           bool
	}{
		{0x03, 0, true}, {0x04, 0, true}, {0x83, 0, true},
		{0x01, 0, false}, {0x02, 0, false}, {0x05, 0, false}, {0x06, 0, false},
		{0x41, 0, false}, {0x42, 0, false}, {0x00, 0, false}, {0x05, byte(FlagBeta), false},
		// Bits v3 and v4 do not define are ignored, as Cassandra ignores them.
		{0x04, byte(FlagBeta), true}, {0x03, 0xf0, true}, {0x04, 0xff, true},
	} {
		h, err := DecodeHeader([]byte{tc.first, tc.flags, 0, 3, 5, 0, 0, 0, 0}, 0)
		if tc.ok != (err == nil) {
			t.Errorf("version byte 0x%02x flags 0x%02x: %v", tc.first, tc.flags, err)
		}
		var ve *VersionError
		if !tc.ok {
			if !errors.As(err, &ve) || ve.Version != tc.first&0x7f || h.Stream != 3 {
				t.Errorf("version byte 0x%02x: got %v, header %+v", tc.first, err, h)
			}
			if !strings.Contains(err.Error(), "Invalid or unsupported protocol version") {
				t.Errorf("message %q lacks the negotiation text", err)
			}
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for b := 0; b < 256; b++ {
		err := CheckVersion(byte(b))
		var ve *VersionError
		switch v := byte(b) & 0x7f; v {
		case 3, 4:
			if err != nil {
				t.Errorf("0x%02x: %v", b, err)
			}
		default:
			if !errors.As(err, &ve) || ve.Version != v {
				t.Errorf("0x%02x: %v", b, err)
			}
		}
	}
	want := "Invalid or unsupported protocol version (5); supported versions are (3/v3, 4/v4)"
	if got := CheckVersion(5).Error(); got != want {
		t.Errorf("message %q, want Cassandra's %q", got, want)
	}
}

func TestDecodeHeaderLimits(t *testing.T) {
	if _, err := DecodeHeader([]byte{4, 0, 0}, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("short header: %v", err)
	}
	raw := mustHex(t, "04 00 0001 07 00000401")
	if _, err := DecodeHeader(raw, 1024); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("over limit: %v", err)
	}
	if _, err := DecodeHeader(raw, 1025); err != nil {
		t.Errorf("at limit: %v", err)
	}
	if _, err := DecodeHeader(mustHex(t, "04 00 0001 07 10000001"), 0); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("over the default limit: %v", err)
	}
}

func TestPrefixes(t *testing.T) {
	id := UUID{1, 2, 3}
	p := ResponsePrefix{TracingID: &id, Warnings: []string{"careful"}, CustomPayload: map[string][]byte{"k": {1}}}
	b, err := p.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, 0, 0, 0, 1)
	got, rest, err := SplitResponseBody(p.Flags(), b)
	if err != nil || *got.TracingID != id || got.Warnings[0] != "careful" || got.CustomPayload["k"][0] != 1 || len(rest) != 4 {
		t.Fatalf("got %+v %x %v", got, rest, err)
	}
	b, _ = AppendRequestPayload(nil, map[string][]byte{"x": nil})
	b = append(b, 9)
	payload, rest, err := SplitRequestBody(Header{Version: Version4, Flags: FlagCustomPayload | FlagTracing}, b)
	if err != nil || len(payload) != 1 || !bytes.Equal(rest, []byte{9}) {
		t.Fatalf("got %v %x %v", payload, rest, err)
	}
	if _, _, err := SplitRequestBody(Header{Version: Version4, Flags: FlagCustomPayload}, []byte{0, 5}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated payload: %v", err)
	}
	_, _, err = SplitRequestBody(Header{Version: Version3, Flags: FlagCustomPayload}, b)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "CUSTOM_PAYLOAD flag (0x04) in a protocol v3 frame") {
		t.Fatalf("custom payload in v3: %v", err)
	}
}

func TestCompressedFrame(t *testing.T) {
	for _, c := range []Compressor{LZ4{}, Snappy{}} {
		m := &Query{Query: strings.Repeat("SELECT * FROM ks.t; ", 100), Params: QueryParams{Consistency: 1}}
		frame, err := AppendFrame([]byte("prefix"), Header{Version: Version4, Stream: 5}, m, c)
		if err != nil {
			t.Fatal(err)
		}
		frame = frame[len("prefix"):]
		h, err := DecodeHeader(frame, 0)
		if err != nil || h.Flags&FlagCompression == 0 || int(h.Length) != len(frame)-HeaderSize {
			t.Fatalf("%s: header %+v %v", c.Name(), h, err)
		}
		body, err := c.Decompress(nil, frame[HeaderSize:], DefaultMaxFrameSize)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRequest(h.Opcode, h.Version, body)
		if err != nil || got.(*Query).Query != m.Query {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		// An empty body is sent uncompressed.
		frame, _ = AppendFrame(nil, Header{Version: Version4}, &Ready{}, c)
		if frame[1] != 0 {
			t.Fatalf("%s: empty body flagged compressed", c.Name())
		}
	}
}

func TestCompressionVectors(t *testing.T) {
	// A literal-only lz4 block (token 0x50) after Cassandra's length prefix,
	// and a snappy literal (tag (5-1)<<2).
	for _, tc := range []struct {
		c   Compressor
		hex string
	}{
		{LZ4{}, "00000005 50 68656c6c6f"},
		{Snappy{}, "05 10 68656c6c6f"},
	} {
		got, err := tc.c.Decompress(nil, mustHex(t, tc.hex), 100)
		if err != nil || string(got) != "hello" {
			t.Errorf("%s: %q %v", tc.c.Name(), got, err)
		}
		if _, err := tc.c.Decompress(nil, mustHex(t, tc.hex), 4); !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("%s: limit not enforced: %v", tc.c.Name(), err)
		}
		for n := range len(mustHex(t, tc.hex)) {
			if _, err := tc.c.Decompress(nil, mustHex(t, tc.hex)[:n], 100); err == nil {
				t.Errorf("%s: truncated input of %d bytes accepted", tc.c.Name(), n)
			}
		}
	}
	got, err := LZ4{}.Decompress([]byte("x"), []byte{0, 0, 0, 0}, 10)
	if err != nil || string(got) != "x" {
		t.Errorf("lz4 empty body: %q %v", got, err)
	}
	if c := CompressorByName("zstd"); c != nil {
		t.Errorf("zstd is not implemented, got %v", c)
	}
}
