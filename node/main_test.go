package node

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
)

// TestMain fails the package if any goroutine of the node outlives the
// tests: every goroutine a node starts is owned by its task group, its
// coordinator (writes behind their answers) or a part with its own Close,
// and is stopped by Close. Goroutines a test started itself (their stack
// runs through a _test.go file) are the test's business.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		err := testutil.CheckLeaks(10*time.Second, func(g []byte) bool {
			return bytes.Contains(g, []byte("github.com/sibyldb/sibyl/node")) && !bytes.Contains(g, []byte("_test.go"))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "node:", err)
			code = 1
		}
	}
	os.Exit(code)
}
