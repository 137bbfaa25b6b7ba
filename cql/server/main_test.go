package server

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
)

// TestMain fails the package if any of its goroutines outlive the tests:
// every goroutine the server starts must be owned and stopped.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		err := testutil.CheckLeaks(5*time.Second, func(g []byte) bool {
			return bytes.Contains(g, []byte("cql/server.(*conn)")) || bytes.Contains(g, []byte("cql/server.(*Server)"))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "cql/server:", err)
			code = 1
		}
	}
	os.Exit(code)
}
