package messaging

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the frame decoder: it must never
// panic, never accept a payload over the limit, and every frame it accepts
// must re-encode to the bytes it consumed.
func FuzzReadFrame(f *testing.F) {
	good := appendHeader(nil, header{kind: kindRequest, verb: 7, id: 42, timeoutMS: 1000, length: 3})
	f.Add(append(good, "abc"...))
	f.Add(appendHeader(nil, header{kind: kindHello, length: 0}))
	f.Add([]byte{2, 1, 0, 0})
	f.Add(append(appendHeader(nil, header{kind: kindError, length: 1 << 30}), 0))
	f.Add([]byte{1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		var hdr [headerSize]byte
		h, payload, err := readFrame(bytes.NewReader(data), &hdr, limit)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) && len(data) >= headerSize && h.length != 0 {
				t.Fatalf("rejected frame still returned a header: %+v", h)
			}
			return
		}
		if len(payload) > limit || int(h.length) != len(payload) {
			t.Fatalf("accepted payload of %d bytes (header says %d)", len(payload), h.length)
		}
		again := append(appendHeader(nil, h), payload...)
		if !bytes.Equal(again, data[:headerSize+len(payload)]) {
			t.Fatalf("re-encoded %x, consumed %x", again, data[:headerSize+len(payload)])
		}
	})
}
