package main

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestBenchServerPIDFlag: --server-pid takes pids repeated and
// comma-separated, and a pid no process has fails the command before it
// connects anywhere.
func TestBenchServerPIDFlag(t *testing.T) {
	var f benchFlags
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	f.register(fs)
	if err := fs.Parse([]string{"--server-pid", "3,4", "--server-pid", "5"}); err != nil {
		t.Fatal(err)
	}
	if got := f.config(io.Discard).ServerPIDs; !reflect.DeepEqual(got, []int{3, 4, 5}) {
		t.Fatalf("server pids %v, want [3 4 5]", got)
	}

	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	none := strings.TrimSpace(string(b)) // every pid is below pid_max
	if _, err := strconv.Atoi(none); err != nil {
		t.Fatalf("pid_max %q: %v", none, err)
	}
	cmd := newBenchCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	// Port 1 of 127.0.0.1: nothing listens there, and the pid check comes
	// first, so the error must be about the pid.
	cmd.SetArgs([]string{"--port", "1", "--ops", "1", "--quiet", "--server-pid", none})
	err = cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "no process with pid "+none) {
		t.Fatalf("a pid no process has: %v\n%s", err, out.String())
	}
}
