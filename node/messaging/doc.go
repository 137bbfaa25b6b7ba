// Package messaging is Sibyl's internode transport: request/response and
// one-way messages between nodes over persistent TCP (optionally TLS)
// connections, addressed by "host:port" and dispatched by a one-byte verb.
// It knows nothing about what the payloads mean; node/ defines the verbs
// and their codecs.
//
// # Usage
//
//	m, err := messaging.New(messaging.Config{LocalID: hostID.String(), TLS: tlsCfg})
//	m.Handle(VerbMutation, applyMutation) // before Serve
//	err = m.Serve(listener)               // accept loop runs in m's goroutine
//	resp, err := m.Request(ctx, "10.0.0.2:7000", VerbRead, payload)
//	err = m.Send(ctx, addr, VerbHint, payload) // one-way
//	call, err := m.Start(ctx, addr, VerbMutation, payload, done) // answer to done
//	call.Forget()                         // the caller stopped waiting for it
//	m.Close()                             // stops every goroutine m started
//
// The caller's duties: register handlers before Serve (Handle later is
// allowed but races with requests already arriving); give every Request a
// ctx with a deadline (it is sent to the peer, whose handler gets the same
// deadline); Forget a Start's Call when no longer waiting for its answer
// (Start does not watch ctx); call Disconnect when gossip says a peer
// restarted or left; call Close once.
//
// # Connections
//
// Each Messenger dials at most one connection per peer address and keeps
// it. Requests on it are matched to responses by a 64-bit id, so any number
// (up to Config.MaxInFlight) are in flight at once. Outgoing frames go
// through a bounded queue (Config.QueueSize) drained by one writer
// goroutine per connection through a bufio.Writer that flushes only when
// the queue is empty, after yielding once to let runnable senders add
// theirs: under load many frames share one syscall. A full
// queue or too many in-flight requests fail the request at once with
// ErrOverloaded instead of queueing without bound.
//
// Responses come back on the connection that carried the request; the
// peer dials its own connection for its requests to us. When a connection
// breaks, every request in flight on it fails at once with
// ErrConnectionLost; the next request dials again. A failed dial starts a
// backoff (BackoffMin doubling to BackoffMax) during which requests fail
// fast with ErrUnreachable, so a coordinator can write hints instead of
// waiting on a dead node.
//
// The inbound side reads frames, hands each request to one of the
// connection's worker goroutines (workers.go: started on demand, at most
// HandlerConcurrency per connection, ended after two idle seconds; beyond
// the limit the reader stops and TCP flow control pushes back on the
// sender), and queues the answer. A handler error travels back as a
// *RemoteError.
//
// # Frames
//
// A 20-byte header (version, kind, verb, flags, id, timeout, length; see
// frame.go) and a payload of at most Config.MaxFrameSize bytes. The
// length is checked before the payload is read; a bad version, kind or
// length closes the connection. A connection starts with a hello frame
// each way carrying the sender's Config.LocalID, which handlers receive
// as `from`.
//
// # Goroutines
//
// Every goroutine (accept loops, per-connection readers, writers and
// handler workers, dials) is started through the Messenger's task group and
// observes its context; Close cancels it, closes listeners and sockets,
// and waits for all of them, including handlers, which should therefore
// honour ctx.
package messaging
