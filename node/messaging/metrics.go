package messaging

import "sync/atomic"

// Metrics are a Messenger's cumulative counters, for node's exporter.
type Metrics struct {
	Dials, DialFailures      uint64 // outbound connection attempts and failures
	Accepted                 uint64 // inbound connections that completed the handshake
	RequestsSent, OneWaySent uint64 // frames queued by Request and Send
	RequestsServed           uint64 // inbound requests and one-way messages dispatched
	Overloaded               uint64 // sends refused with ErrOverloaded
	ConnectionsLost          uint64 // established connections that closed, either side
	FramesWritten, Flushes   uint64 // FramesWritten / Flushes is the write coalescing ratio
	BytesWritten, BytesRead  uint64 // frame bytes, headers included
	// Dropped counts inbound requests by verb whose deadline passed before
	// their handler ran or while it ran: the sender stopped waiting, so
	// the work was wasted (Cassandra's dropped messages). Verbs with none
	// are absent.
	Dropped map[uint8]uint64
}

// counters are the live counters behind Metrics.
type counters struct {
	dials, dialFailures, accepted         atomic.Uint64
	requestsSent, oneWaySent              atomic.Uint64
	requestsServed, overloaded, connsLost atomic.Uint64
	framesWritten, flushes                atomic.Uint64
	bytesWritten, bytesRead               atomic.Uint64
	dropped                               [256]atomic.Uint64
}

// Metrics returns a snapshot of the counters.
func (m *Messenger) Metrics() Metrics {
	c := &m.counters
	out := Metrics{
		Dials: c.dials.Load(), DialFailures: c.dialFailures.Load(), Accepted: c.accepted.Load(),
		RequestsSent: c.requestsSent.Load(), OneWaySent: c.oneWaySent.Load(),
		RequestsServed: c.requestsServed.Load(), Overloaded: c.overloaded.Load(),
		ConnectionsLost: c.connsLost.Load(),
		FramesWritten:   c.framesWritten.Load(), Flushes: c.flushes.Load(),
		BytesWritten: c.bytesWritten.Load(), BytesRead: c.bytesRead.Load(),
		Dropped: make(map[uint8]uint64),
	}
	for v := range c.dropped {
		if n := c.dropped[v].Load(); n > 0 {
			out.Dropped[uint8(v)] = n
		}
	}
	return out
}
