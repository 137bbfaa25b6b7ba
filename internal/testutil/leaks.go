package testutil

import (
	"bytes"
	"fmt"
	"runtime"
	"time"
)

// CheckLeaks waits up to timeout for every goroutine whose stack leaked
// reports to end, and returns their stacks if some are still there. A
// package's TestMain calls it after m.Run, so that a goroutine a part
// started and never stopped fails the package (as pebble and the Go
// standard library check their tests).
func CheckLeaks(timeout time.Duration, leaked func(stack []byte) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		var found [][]byte
		buf := make([]byte, 8<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range bytes.Split(buf, []byte("\n\n")) {
			if leaked(g) {
				found = append(found, g)
			}
		}
		if len(found) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutines outlived the tests:\n%s", bytes.Join(found, []byte("\n\n")))
		}
		<-time.After(20 * time.Millisecond)
	}
}
