package protocol

import (
	"bytes"
	"testing"
)

// Fuzz targets: every decoder must return an error or a value, never
// panic; a decoded message must encode, and encoding is a fixpoint after
// one decode (encode(decode(encode(decode(x)))) == encode(decode(x))).
// Crashers found go in testdata/fuzz/<FuzzName>/ as regression cases.

func addMessageSeeds(f *testing.F, keep func(Message) bool) {
	for _, v := range versions {
		for _, m := range sampleMessages(v) {
			if !keep(m) {
				continue
			}
			body, err := m.Encode(nil)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(m.Opcode()), byte(v), body)
		}
	}
}

func checkFixpoint(t *testing.T, decode func([]byte) (Message, error), m Message) {
	b1, err := m.Encode(nil)
	if err != nil {
		t.Fatalf("decoded %T does not encode: %v", m, err)
	}
	m2, err := decode(b1)
	if err != nil {
		t.Fatalf("re-encoded %T does not decode: %v\n%x", m, err, b1)
	}
	b2, err := m2.Encode(nil)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("%T encoding is not a fixpoint (%v)\n%x\n%x", m, err, b1, b2)
	}
}

func fuzzVersion(v byte) Version { return Version(3 + v%2) }

func FuzzDecodeRequest(f *testing.F) {
	addMessageSeeds(f, func(m Message) bool { return NewRequest(m.Opcode()) != nil })
	f.Fuzz(func(t *testing.T, op, v byte, body []byte) {
		ver := fuzzVersion(v)
		m, err := DecodeRequest(Opcode(op), ver, body)
		if err != nil {
			return
		}
		checkFixpoint(t, func(b []byte) (Message, error) { return DecodeRequest(Opcode(op), ver, b) }, m)
	})
}

func FuzzDecodeResponse(f *testing.F) {
	addMessageSeeds(f, func(m Message) bool { return NewResponse(m.Opcode()) != nil })
	f.Fuzz(func(t *testing.T, op, v byte, body []byte) {
		ver := fuzzVersion(v)
		m, err := DecodeResponse(Opcode(op), ver, body)
		if err != nil {
			return
		}
		checkFixpoint(t, func(b []byte) (Message, error) { return DecodeResponse(Opcode(op), ver, b) }, m)
	})
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add([]byte{0x04, 0, 0, 1, 1, 0, 0, 0, 0x16})
	f.Add([]byte{0x84, 0x0f, 0xff, 0xff, 0x0c, 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0x42, 0, 0, 0, 5, 0, 0, 0, 0})
	f.Add([]byte{0x04, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := DecodeHeader(raw, 1<<20)
		if err != nil {
			return
		}
		if got := h.Encode(nil); !bytes.Equal(got, raw[:HeaderSize]) {
			t.Fatalf("header %+v re-encodes to %x, was %x", h, got, raw[:HeaderSize])
		}
	})
}

// FuzzDecompress feeds arbitrary bodies to both decompressors, and checks
// that what compresses decompresses to itself.
func FuzzDecompress(f *testing.F) {
	f.Add([]byte{0, 0, 0, 5, 0x50, 'h', 'e', 'l', 'l', 'o'}, false)
	f.Add([]byte{5, 0x10, 'h', 'e', 'l', 'l', 'o'}, true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x1f}, false)
	f.Fuzz(func(t *testing.T, data []byte, useSnappy bool) {
		var c Compressor = LZ4{}
		if useSnappy {
			c = Snappy{}
		}
		if out, err := c.Decompress(nil, data, 1<<20); err == nil && len(out) > 1<<20 {
			t.Fatalf("%s produced %d bytes over the limit", c.Name(), len(out))
		}
		z, err := c.Compress(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Decompress(nil, z, len(data))
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("%s round trip failed: %v", c.Name(), err)
		}
	})
}
