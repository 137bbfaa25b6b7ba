package server

import "sync"

// frame is an encoded frame on its way to a connection's writer. Frames
// are recycled: the encoder takes one with newFrame, and whoever ends its
// journey (the writer once it has copied the bytes into its buffer, or
// a producer that drops it) calls release. Answers are encoded and
// written once per request, so recycling their buffers saves an
// allocation, and the growth of a fresh buffer, on every request.
type frame struct {
	b []byte
	// acct, when not nil, holds charge bytes of the budget for this
	// frame, given back by release: answers count until they are written.
	acct   *account
	charge int64
}

// Buffer sizes of recycled frames. A new buffer holds most answers (a
// VOID is 13 bytes, a point read's row a few hundred) without growing;
// buffers that grew past maxPooledFrame for a large answer are left to
// the garbage collector rather than kept for small ones.
const (
	initialFrameSize = 512
	maxPooledFrame   = 64 << 10
)

var framePool = sync.Pool{New: func() any { return &frame{b: make([]byte, 0, initialFrameSize)} }}

// newFrame returns an empty frame.
func newFrame() *frame {
	f := framePool.Get().(*frame)
	f.b = f.b[:0]
	return f
}

// release gives back what f holds of the budget and recycles f; f must
// not be used afterwards.
func (f *frame) release() {
	if f.acct != nil {
		f.acct.release(f.charge)
		f.acct, f.charge = nil, 0
	}
	if cap(f.b) > maxPooledFrame {
		return
	}
	framePool.Put(f)
}
