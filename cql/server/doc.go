// Package server serves the CQL native protocol (v3 and v4) over TCP: it
// owns client connections, multiplexes their streams, performs the
// handshake and SASL PLAIN authentication, bounds the requests and bytes
// in flight with backpressure, pushes events, and maps errors to ERROR
// frames. Statements are run by a Handler, which *exec.Executor
// implements; message codecs are in cql/protocol.
//
// # Usage
//
// The caller (node/):
//
//  1. builds a Config (zero values are defaults) and calls New with it and
//     the Handler;
//  2. runs Serve(ctx, listener) or ListenAndServe(ctx) in a goroutine it
//     owns;
//  3. calls Publish for every topology, status and schema event, from any
//     goroutine;
//  4. to stop, calls Shutdown(ctx), which drains connections, then cancels
//     Serve's context. Cancelling Serve's context alone closes every
//     connection at once.
//
// # One connection
//
// A reader goroutine checks each frame's version on its first byte,
// reads the rest of its header, checks the body length against
// Config.MaxFrameSize, admits a request (see Limits and backpressure)
// before reading its body, and then:
//
//   - answers OPTIONS, STARTUP, AUTH_RESPONSE and REGISTER itself, in
//     order (OPTIONS in any state, the rest as the handshake allows);
//   - hands each QUERY, PREPARE, EXECUTE and BATCH to a request worker.
//     Requests on one connection run concurrently and their answers go
//     out in completion order.
//
// Between frames the reader waits without limit: drivers keep idle
// connections open. Once a frame has started to arrive, each read of
// the socket must bring more of it within Config.FrameTimeout (30 s), or
// the connection ends: a client that stopped mid-frame would otherwise
// hold the connection, and the bytes its request reserved, for good. The
// deadline is set only when the reader's buffer must read the socket
// inside a frame, not once per frame.
//
// Request workers are goroutines of the connection that outlive one
// request: the reader gives a request to an idle worker, or starts a new
// one when none is idle, so no request ever waits for another, and a
// worker that finishes waits for the next request unless enough others
// already do. A goroutine per request would be simpler, but each would
// grow its stack anew, by copying, through the executor's and storage's
// deep call chains; under load that copying cost more CPU than the
// protocol itself.
//
// One writer goroutine alone writes to the socket: it takes encoded
// frames from a queue and flushes when the queue runs dry, so answers
// that are ready together leave in one syscall. While other requests are
// still running it first yields the processor once, so answers finishing
// at nearly the same time share a flush too (one socket write per ~30
// answers under pipelined load instead of one each). Answers are encoded
// into recycled buffers that the writer releases once copied, and each
// worker builds its RESULTs in one reusable struct. Every request's
// context is derived from the connection's and cancelled when it closes.
// PERF.md records the profiles behind these choices.
//
// # Limits and backpressure
//
// Two limits bound what requests cost, as Cassandra 4's do, and neither
// answers Overloaded by default: when one is reached the reader stops
// reading, so the client's further requests wait in its socket and the
// kernel's buffers (TCP then slows the client), and it reads on as
// answers drain. That is Cassandra's default
// (native_transport_throw_on_overload: false); drivers that put more
// requests in flight than a connection admits (the Python driver's
// execute_concurrent, the Node.js driver's 4,608 queued queries) then
// see latency, not errors. A client that sends THROW_ON_OVERLOAD=1 in
// STARTUP, Cassandra's opt-in, is answered Overloaded (0x1001) on the
// request's stream instead, and its body is skipped.
//
//   - Config.MaxInFlight bounds the requests running at once on one
//     connection (each holds a worker goroutine).
//   - Config.MaxRequestDataInFlight bounds the bytes in flight across
//     the server, and Config.MaxRequestDataInFlightPerIP those of one
//     client address (Cassandra's
//     native_transport_max_request_data_in_flight and its _per_ip;
//     budget.go). A request reserves its body's length (as sent; more
//     once decompressed) plus an estimate of its answer, before its body
//     is read. When its answer is encoded the reservation becomes the
//     answer's exact size, held until the writer has handed the answer
//     to the socket. The estimate, per connection, starts at 1 MiB,
//     rises at once to any larger answer and falls by an eighth of the
//     gap with each smaller one: without it, thousands of small SELECTs
//     would be admitted before the first of their large answers showed
//     what they cost. The executor's rows live next to the encoded
//     answer only while it is encoded, so memory stays within a small
//     multiple of the budget (about 3x, measured: the collector lets
//     garbage reach what is live) as long as answers are not far larger
//     than the estimate. They can be: requests admitted on an estimate
//     (of a new connection, or of a connection whose answers suddenly
//     grow) all run, so the overshoot is at most the requests admitted
//     before the first large answer came back times its size.
//
// Only the reader ever waits on the budget; workers and the writer add
// and release without waiting, so answers always drain. A connection
// that holds nothing in flight is always admitted: a request larger than
// the whole budget still runs, alone, and no connection waits forever
// on bytes others hold (a connection whose client does not read its
// answers holds its own bytes and stalls only itself and the budget's
// share it holds). The default budget is 1/64 of the memory the process
// may use (the lowest of MemTotal, the cgroup's memory.max and
// GOMEMLIMIT), between 16 MiB and 256 MiB, and a quarter of it per IP.
// Metrics report the times readers paused and the bytes in flight.
//
// # Tracing
//
// A QUERY, PREPARE, EXECUTE or BATCH whose frame has the tracing flag (any
// version) runs in a tracing session that Config.Tracer begins (node/
// writes it to system_traces); the session travels to the executor in
// the request's context (exec.WithTrace) and is finished when the answer
// is built. The answer, RESULT or ERROR, then has the tracing flag and
// starts with the session's [uuid], before any warnings (tracing.go). A
// request the tracer's probability picks is traced the same way but its
// answer says nothing, as in Cassandra. Handshake messages are never
// traced. With Config.SlowQueryThreshold set, a request that took at
// least that long is logged at WARN with its trace id.
//
// # Errors
//
// errorMessage (errors.go) is the one place where errors become ERROR
// bodies; downgradeError then rewrites what the connection's version
// lacks (v3: Read/Write_failure and Function_failure; v3 and v4:
// CAS_WRITE_UNKNOWN, sent as the Write_timeout of write type CAS that
// Cassandra sends them). A body that cannot be decoded (the frame itself was intact) gets
// a ProtocolError on its stream and the connection goes on; so does a
// v3 frame with the CUSTOM_PAYLOAD flag, which only v4 defines (Cassandra
// refuses it too). Other header flags that v3 and v4 do not define,
// USE_BETA (0x10) and the unused bits, are ignored, as the spec and
// Cassandra ignore them: the Python driver sets USE_BETA on every frame
// when allow_beta_protocol_version is on.
//
// A frame of a version Sibyl does not speak (anything but v3 and v4: v1,
// v2, v5, v6, the DSE versions 0x41 and 0x42...) gets what Cassandra 4.1
// answers, so that drivers negotiate down: the ProtocolError "Invalid or
// unsupported protocol version (N); supported versions are (3/v3, 4/v4)",
// uncompressed, on stream 0 whatever the request's stream (Cassandra
// checks the version before it reads the stream id, and gocql v2 steps
// down from v5 only on a refusal on stream 0), in a v4 frame (in the
// connection's version after its first frame), except that v1 and v2
// frames get it in the 8-byte header of their own version, the only one
// their clients read. The version is checked on the first byte, before
// the rest of the header is waited for, because v1 and v2 headers are 8
// bytes, not 9. A body over Config.MaxFrameSize gets a ProtocolError on
// the request's stream. After either, the connection ends once the
// answer is written: the body was never read, so the stream cannot be
// resynchronised. (Cassandra leaves the socket open, but the unread bytes
// make every later frame on it fail the same way, and drivers close it.)
// It ends with a half-close, then drops what the client still sends until
// it closes (at most a second and 1 MiB): closing with bytes unread would
// send a RST, which can fail the client's writes or lose the answer
// before the client reads it.
//
// A panic in the Handler becomes a Server error.
//
// # Invariants
//
//   - Only the writer goroutine writes to the socket; only the reader
//     reads.
//   - Only the reader waits for the budget. Every byte a request reserved
//     is given back when its answer is written or dropped, or when its
//     connection ends (account.close).
//   - The handshake state, the connection's version and its compressor
//     are written only by the reader, and only before the first request
//     worker starts; Publish sees them through an atomic pointer.
//   - Publish never blocks: a connection that cannot take an event is
//     closed, so its driver reconnects and refreshes what it missed.
//
// Lock order: Server.mu is never held while a connection's queue is
// written; connections have no locks; budget.mu is taken last, and
// nothing is taken or waited for while it is held.
package server
