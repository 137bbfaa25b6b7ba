// Package testutil holds helpers shared by the tests of every package:
//
//   - WaitFor, Eventually and Poll: deadline-bounded polling with
//     <-time.After, the one way a test waits for something (tests never
//     sleep blindly; internal/lint forbids time.Sleep in them).
//   - Clock: a controllable clock, either the real time shifted by what
//     the test advances (NewClock, for running servers) or stopped at a
//     fixed instant (NewClockAt, for golden outputs and deterministic
//     simulations). storage, cql/exec and bench tests all use it.
//   - FreePort, throwaway TLS certificates (NewCA) and CheckLeaks.
//
// It imports only the standard library, so any package's tests can
// import it without a cycle, and it is imported only from _test.go files
// and internal/faults (internal/archtest forbids production imports).
//
// The table tests (cql/exec, cql/parser, cql/protocol, ring, repair) are
// github.com/cockroachdb/datadriven scripts under each package's
// testdata; go test ./PKG -run TEST -rewrite regenerates their outputs.
package testutil
