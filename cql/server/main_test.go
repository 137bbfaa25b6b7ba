package server

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the package if any of its goroutines outlive the tests:
// every goroutine the server starts must be owned and stopped.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := checkLeaks(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func checkLeaks() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		leaked := leakedGoroutines()
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leaked goroutines:\n%s", bytes.Join(leaked, []byte("\n\n")))
		}
		<-time.After(10 * time.Millisecond)
	}
}

func leakedGoroutines() [][]byte {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked [][]byte
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("cql/server.(*conn)")) || bytes.Contains(g, []byte("cql/server.(*Server)")) {
			leaked = append(leaked, g)
		}
	}
	return leaked
}
