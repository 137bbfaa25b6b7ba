package node

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the package if any goroutine of the node outlives the
// tests: every goroutine a node starts is owned by its task group, its
// coordinator (writes behind their answers) or a part with its own Close,
// and is stopped by Close. Goroutines a test started itself (their stack
// runs through a _test.go file) are the test's business.
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		leaked := leakedGoroutines()
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node: goroutines outlived the tests:\n%s", bytes.Join(leaked, []byte("\n\n")))
		}
		<-time.After(20 * time.Millisecond)
	}
}

func leakedGoroutines() [][]byte {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked [][]byte
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("github.com/sibyldb/sibyl/node")) && !bytes.Contains(g, []byte("_test.go")) {
			leaked = append(leaked, g)
		}
	}
	return leaked
}
