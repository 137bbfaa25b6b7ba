package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// statLine is a /proc/PID/stat line as Linux 6.x writes it (52 fields),
// with the given command name and times.
func statLine(pid int, comm string, state byte, utime, stime, start uint64) string {
	return fmt.Sprintf("%d (%s) %c 1 %d %d 0 -1 4194560 63214 0 12 0 %d %d 0 0 20 0 18 0 %d "+
		"2886074368 61290 18446744073709551615 4194304 31415273 140736498127600 0 0 0 0 0 2143420159 "+
		"0 0 0 17 1 0 0 0 0 0 36823040 37367488 52011008 140736498131271 140736498131345 "+
		"140736498131345 140736498131946 0\n", pid, comm, state, pid, pid, utime, stime, start)
}

func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       procCPU
		err        string
	}{
		{name: "plain", line: statLine(4242, "sibyl", 'S', 1500, 320, 2023201),
			want: procCPU{state: 'S', ticks: 1820, startTime: 2023201}},
		{name: "comm with spaces and parentheses", line: statLine(7, "a) b (c) 9 9", 'R', 3, 4, 5),
			want: procCPU{state: 'R', ticks: 7, startTime: 5}},
		{name: "comm of only a parenthesis", line: statLine(7, ")", 'S', 10, 0, 1),
			want: procCPU{state: 'S', ticks: 10, startTime: 1}},
		{name: "zombie", line: statLine(9, "sibyl", 'Z', 1, 1, 1), want: procCPU{state: 'Z', ticks: 2, startTime: 1}},
		{name: "real cat", line: "25548 (cat) R 25546 25546 21696 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 2023201 3133440 414 " +
			"18446744073709551615 94024889556992 94024889576873 140733436854496 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
			want: procCPU{state: 'R', ticks: 0, startTime: 2023201}},
		{name: "empty", line: "", err: "no (comm)"},
		{name: "no comm", line: "12 sibyl S 1 2 3", err: "no (comm)"},
		{name: "bad pid", line: "x12 (sibyl) S 1 2 3", err: "bad pid"},
		{name: "truncated", line: "12 (sibyl) S 1 2 3 4 5 6 7 8 9 10", err: "fields after (comm)"},
		{name: "negative utime", line: "1 (s) S 1 1 1 0 -1 0 0 0 0 0 -5 3 0 0 20 0 1 0 9", err: "field 14"},
		{name: "long state", line: "1 (s) SS 1 1 1 0 -1 0 0 0 0 0 5 3 0 0 20 0 1 0 9", err: "bad state"},
		{name: "overflow", line: "1 (s) S 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 1 0 0 20 0 1 0 9", err: "overflow"},
	} {
		got, err := parseProcStat([]byte(tc.line))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestParseLoadAvg(t *testing.T) {
	for _, tc := range []struct {
		text string
		want float64
		ok   bool
	}{
		{"5.98 2.62 1.39 14/174 25550\n", 5.98, true},
		{"0.00 0.01 0.05 1/80 1", 0, true},
		{"", 0, false},
		{"1.0 2.0", 0, false},
		{"-1 0 0 1/1 1", 0, false},
		{"NaN 0 0 1/1 1", 0, false},
		{"fast 0 0 1/1 1", 0, false},
	} {
		got, err := parseLoadAvg([]byte(tc.text))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: got %v, %v; want %v (ok %v)", tc.text, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseCPUStat(t *testing.T) {
	for _, tc := range []struct {
		text string
		want cpuTimes
		ok   bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice:
		// guest times are inside user and nice already.
		{"cpu  1293093 0 392469 2241308 21924 0 37477 1825 500 7\ncpu0 639069 0 186752 1149675 8318 0 10174 889 0 0\n",
			cpuTimes{idle: 2241308 + 21924, total: 1293093 + 392469 + 2241308 + 21924 + 37477 + 1825}, true},
		{"cpu 10 20 30 40\n", cpuTimes{idle: 40, total: 100}, true}, // a 2.4 kernel's four fields
		{"cpu0 1 2 3 4 5\n", cpuTimes{}, false},
		{"intr 1 2 3 4 5", cpuTimes{}, false},
		{"cpu 1 2 x 4 5", cpuTimes{}, false},
		{"cpu 18446744073709551615 1 0 0", cpuTimes{}, false},
		{"", cpuTimes{}, false},
	} {
		got, err := parseCPUStat([]byte(tc.text))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: got %+v, %v; want %+v (ok %v)", tc.text, got, err, tc.want, tc.ok)
		}
	}
}

func TestBusyFraction(t *testing.T) {
	a := cpuTimes{idle: 1000, total: 4000}
	if b, ok := busyFraction(a, cpuTimes{idle: 1150, total: 4200}); !ok || b != 0.25 {
		t.Fatalf("150 of 200 ticks idle: busy %v, %v; want 0.25", b, ok)
	}
	if _, ok := busyFraction(a, a); ok {
		t.Fatal("no ticks passed, yet a busy fraction")
	}
	if _, ok := busyFraction(a, cpuTimes{idle: 900, total: 5000}); ok {
		t.Fatal("idle time went backwards, yet a busy fraction")
	}
}

// TestRealProc reads this process's own /proc entry: the parser accepts
// what this kernel writes, and the CPU time advances while the process
// spins. Skipped where there is no /proc.
func TestRealProc(t *testing.T) {
	p := procFS{root: defaultProcRoot}
	if !p.available() {
		t.Skip("no /proc on this machine")
	}
	first, err := p.process(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.loadAvg(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.cpuTimes(); err != nil {
		t.Fatal(err)
	}
	if tck := clockTicks(); tck < 1 {
		t.Fatalf("CLK_TCK %v", tck)
	}
	deadline := time.Now().Add(20 * time.Second)
	for x := uint64(1); ; x = x*6364136223846793005 + 1 {
		if x%(1<<16) == 0 {
			now, err := p.process(os.Getpid())
			if err != nil {
				t.Fatal(err)
			}
			if now.startTime != first.startTime {
				t.Fatalf("start time changed from %d to %d", first.startTime, now.startTime)
			}
			if now.ticks > first.ticks {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CPU time stayed at %d ticks while spinning", now.ticks)
			}
		}
	}
}

func TestUsageCheck(t *testing.T) {
	root := t.TempDir()
	writeProc(t, root, "stat", "cpu  10 0 10 80 0 0 0 0 0 0\n")
	writeProc(t, root, "loadavg", "0.50 0.40 0.30 1/100 99\n")
	writeProc(t, root, "10/stat", statLine(10, "sibyl", 'S', 1, 1, 1))
	writeProc(t, root, "11/stat", statLine(11, "sibyl", 'Z', 1, 1, 1))
	if err := newUsageMeter(root, []int{10}).check(); err != nil {
		t.Fatalf("pid 10 exists: %v", err)
	}
	err := newUsageMeter(root, []int{10, 12, 11}).check()
	if err == nil || !strings.Contains(err.Error(), "no process with pid 12") || !strings.Contains(err.Error(), "process 11 has exited") {
		t.Fatalf("missing and exited pids: %v", err)
	}
	err = newUsageMeter(filepath.Join(root, "absent"), []int{10}).check()
	if err == nil || !strings.Contains(err.Error(), "no readable /proc") {
		t.Fatalf("no /proc: %v", err)
	}
	if err := newUsageMeter(filepath.Join(root, "absent"), nil).check(); err != nil {
		t.Fatalf("no pids asked for, yet: %v", err)
	}
}

// TestUsageWindow runs the load loop on a virtual clock against a procfs
// fixture whose server CPU time the target advances by 7 ticks per
// operation: the report counts the measured operations' ticks, not the
// warmup's, and divides by the measured operations.
func TestUsageWindow(t *testing.T) {
	root := t.TempDir()
	writeProc(t, root, "loadavg", "1.25 0.40 0.30 1/100 99\n")
	writeProc(t, root, "stat", "cpu  100 0 100 800 0 0 0 0 0 0\n")
	const pid, ticksPerOp = 4242, 7
	// The target runs on the run's worker goroutine, where t.Fatal may not
	// be called: a failed write is returned as the operation's error.
	put := func(name, text string) error { return os.WriteFile(filepath.Join(root, name), []byte(text), 0o644) }
	setTicks := func(n int) error {
		return put("4242/stat", statLine(pid, "sibyl (node)", 'S', uint64(n*ticksPerOp), 0, 77))
	}
	writeProc(t, root, "4242/stat", "")
	if err := setTicks(0); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) {
		c.Rate = 1000
		c.Ops = 100
		c.Warmup = 10 * time.Millisecond
		c.ServerPIDs = []int{pid}
		c.procRoot = root
	})
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	tgt := &fakeTarget{clock: clock, service: 50 * time.Microsecond, err: func(int, Op) error {
		done++
		if err := setTicks(done); err != nil {
			return err
		}
		if done < 100 {
			return nil
		}
		// The machine was 3/4 busy over the window, and busier at its end.
		return errors.Join(put("stat", "cpu  250 0 100 850 0 0 0 0 0 0\n"), put("loadavg", "2.50 0.40 0.30 1/100 99\n"))
	}}
	rep, err := r.run(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ops != 90 || rep.Errors != 0 {
		t.Fatalf("%d measured ops, %d errors (%v), want 90 and none", rep.Ops, rep.Errors, rep.ErrorSamples)
	}
	tck := clockTicks()
	wantCPU := 90 * ticksPerOp / tck
	if rep.ServerCPUS == nil || *rep.ServerCPUS != wantCPU {
		t.Fatalf("server CPU %v, want %v s", deref(rep.ServerCPUS), wantCPU)
	}
	if rep.ServerCPUUsPerOp == nil || *rep.ServerCPUUsPerOp != wantCPU*1e6/90 {
		t.Fatalf("server CPU per op %v, want %v µs", deref(rep.ServerCPUUsPerOp), wantCPU*1e6/90)
	}
	if rep.LoadAvg1mStart == nil || *rep.LoadAvg1mStart != 1.25 || rep.LoadAvg1mEnd == nil || *rep.LoadAvg1mEnd != 2.5 {
		t.Fatalf("load %v -> %v, want 1.25 -> 2.5", deref(rep.LoadAvg1mStart), deref(rep.LoadAvg1mEnd))
	}
	if rep.MachineBusy == nil || *rep.MachineBusy != 0.75 {
		t.Fatalf("machine busy %v, want 0.75", deref(rep.MachineBusy))
	}
	var sum strings.Builder
	if err := rep.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.String(), "µs/op") || !strings.Contains(sum.String(), "busy 75%") {
		t.Fatalf("summary lacks the usage lines:\n%s", sum.String())
	}
}

// TestUsageServerGone: a server that exits during the window, or whose pid
// another process took, leaves a warning and no CPU figure; without a
// /proc there are no machine figures, absent rather than zero.
func TestUsageServerGone(t *testing.T) {
	for _, tc := range []struct {
		name, endStat, warn string
	}{
		{"exited", statLine(5, "sibyl", 'Z', 9, 9, 1), "process 5 has exited"},
		{"reaped", "", "no process with pid 5"},
		{"pid reused", statLine(5, "other", 'S', 1, 1, 2), "another process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeProc(t, root, "stat", "cpu  100 0 100 800 0 0 0 0 0 0\n")
			writeProc(t, root, "loadavg", "1.00 0.40 0.30 1/100 99\n")
			writeProc(t, root, "5/stat", statLine(5, "sibyl", 'S', 1, 1, 1))
			u := newUsageMeter(root, []int{5})
			u.markStart()
			if tc.endStat == "" {
				if err := os.RemoveAll(filepath.Join(root, "5")); err != nil {
					t.Fatal(err)
				}
			} else {
				writeProc(t, root, "5/stat", tc.endStat)
			}
			u.markEnd()
			rep := Report{Ops: 10}
			u.fill(&rep)
			if rep.ServerCPUS != nil || rep.ServerCPUUsPerOp != nil {
				t.Fatalf("CPU figures %v, %v from a process that is gone", deref(rep.ServerCPUS), deref(rep.ServerCPUUsPerOp))
			}
			if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], tc.warn) {
				t.Fatalf("warnings %q, want one mentioning %q", rep.Warnings, tc.warn)
			}
			if rep.LoadAvg1mStart == nil {
				t.Fatal("the machine figures went missing with the server")
			}
		})
	}
	u := newUsageMeter(filepath.Join(t.TempDir(), "absent"), nil)
	u.markStart()
	u.markEnd()
	rep := Report{Ops: 10}
	u.fill(&rep)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"load_avg", "machine_busy", "server_cpu"} {
		if strings.Contains(buf.String(), f) {
			t.Fatalf("no /proc, yet the report has %s:\n%s", f, buf.String())
		}
	}
}

func writeProc(t *testing.T, root, name, text string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func deref(v *float64) any {
	if v == nil {
		return "absent"
	}
	return *v
}
