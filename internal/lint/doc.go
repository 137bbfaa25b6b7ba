// Package lint holds repository-wide checks written as Go tests, in the
// style of pebble's internal/lint: cheap rules that gofmt, go vet and
// staticcheck do not know about, run by `go test ./...` like any test.
//
// The rules (lint_test.go):
//   - libraries do not print to stdout or stderr (fmt.Print*, print,
//     println) and do not exit the process (os.Exit, log.Fatal*,
//     log.Panic*); only package main and tests may;
//   - tests do not sleep (time.Sleep) outside bench/: they synchronise with
//     channels or deadline-bounded polling, so they are neither flaky on a
//     loaded machine nor slow on an idle one;
//   - fmt.Errorf wraps error values with %w, never %v or %s, so callers can
//     still errors.Is/As through the chain;
//   - an error is not turned into text where an error or message is built
//     (x.Error() passed to a ...f or ...Error call, an err formatted by
//     exec's Errorf/invalidf/..., an Error literal whose Message quotes
//     one) unless the result keeps it (WithCause, a Cause field); a short
//     list excepts the wire formats whose message is the text by design
//     (a CQL ProtocolError or ServerError);
//   - atomics use the typed wrappers (atomic.Int64, ...), not the
//     function-style sync/atomic calls.
//
// Each rule is checked on the syntax tree of every .go file in the
// repository (node_modules, testdata and hidden directories excluded).
package lint
