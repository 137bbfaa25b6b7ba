// Command gencerts writes a throwaway CA and key pairs signed by it into a
// directory, for tests that run a node with TLS (interop/run.sh): ca.crt,
// server.crt and server.key (for 127.0.0.1 and localhost), client.crt and
// client.key. Nothing it writes is meant to outlive the test.
//
// usage: go run ./internal/testutil/gencerts DIR
package main

import (
	"fmt"
	"os"

	"github.com/sibyldb/sibyl/internal/testutil"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gencerts DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gencerts:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := testutil.NewCA(dir, "ca")
	if err != nil {
		return err
	}
	if _, _, err := ca.Issue(dir, "server", "127.0.0.1", "::1"); err != nil {
		return err
	}
	_, _, err = ca.Issue(dir, "client")
	return err
}
