package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// This file reads what a run costs the machine from Linux's /proc: the CPU
// time of the server processes (ServerPIDs) and the machine's load. Server
// CPU per operation is the figure to compare on a shared machine: a
// neighbour's load lowers a run's throughput, but barely changes how much
// CPU the server spends on each operation it does serve.
//
// Every parser here reads text another program (the kernel) wrote, so each
// has a fuzz target (fuzz_test.go) and rejects what it does not understand
// with an error instead of guessing.

// defaultProcRoot is where Linux mounts procfs.
const defaultProcRoot = "/proc"

// procCPU is one process's CPU time as /proc/PID/stat reports it.
type procCPU struct {
	state     byte   // R, S, D, Z, ...
	ticks     uint64 // utime + stime, in clock ticks (CLK_TCK)
	startTime uint64 // when the process started, in clock ticks since boot: tells a reused pid apart
}

// parseProcStat parses the one line of /proc/PID/stat. Its second field is
// the command name in parentheses, which may itself hold spaces and
// parentheses ("(my (odd) cmd)"), so the fields after it are found from the
// last ')' of the line, as proc_pid_stat(5) advises.
func parseProcStat(line []byte) (procCPU, error) {
	open := bytes.IndexByte(line, '(')
	end := bytes.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return procCPU{}, fmt.Errorf("no (comm) field in %q", truncate(line))
	}
	if _, err := strconv.ParseUint(string(bytes.TrimSpace(line[:open])), 10, 31); err != nil {
		return procCPU{}, fmt.Errorf("bad pid field in %q", truncate(line))
	}
	// rest[0] is field 3 (state), so field n of proc_pid_stat(5) is rest[n-3].
	rest := bytes.Fields(line[end+1:])
	const stateField, utimeField, stimeField, startField = 3, 14, 15, 22
	if len(rest) < startField-2 {
		return procCPU{}, fmt.Errorf("%d fields after (comm), want at least %d, in %q", len(rest), startField-2, truncate(line))
	}
	if len(rest[0]) != 1 || !isLetter(rest[0][0]) {
		return procCPU{}, fmt.Errorf("bad state field %q", rest[0])
	}
	var nums [3]uint64
	for i, n := range []int{utimeField, stimeField, startField} {
		v, err := strconv.ParseUint(string(rest[n-stateField]), 10, 64)
		if err != nil {
			return procCPU{}, fmt.Errorf("field %d of %q: %w", n, truncate(line), err)
		}
		nums[i] = v
	}
	if nums[0] > (1<<64-1)-nums[1] {
		return procCPU{}, fmt.Errorf("utime %d + stime %d overflow", nums[0], nums[1])
	}
	return procCPU{state: rest[0][0], ticks: nums[0] + nums[1], startTime: nums[2]}, nil
}

// parseLoadAvg returns the 1-minute load average of /proc/loadavg
// ("0.52 0.58 0.59 1/467 12345").
func parseLoadAvg(text []byte) (float64, error) {
	f := bytes.Fields(text)
	if len(f) < 3 {
		return 0, fmt.Errorf("want 3 load averages in %q", truncate(text))
	}
	v, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil || v < 0 || v != v || v > 1e9 {
		return 0, fmt.Errorf("bad 1-minute load average %q", f[0])
	}
	return v, nil
}

// cpuTimes are the machine's CPU times, summed over all CPUs, from the
// "cpu" line of /proc/stat, in clock ticks.
type cpuTimes struct {
	idle  uint64 // idle + iowait: time no task wanted a CPU
	total uint64 // user + nice + system + idle + iowait + irq + softirq + steal
}

// parseCPUStat reads the first line of /proc/stat, "cpu  user nice system
// idle iowait irq softirq steal guest guest_nice". guest and guest_nice are
// left out of the total: the kernel already counts them in user and nice.
// Old kernels stop after idle; missing fields count as zero.
func parseCPUStat(text []byte) (cpuTimes, error) {
	line, _, _ := bytes.Cut(text, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return cpuTimes{}, fmt.Errorf("no aggregate cpu line at the start of /proc/stat: %q", truncate(line))
	}
	const idle, iowait, lastCounted = 4, 5, 8 // field numbers after "cpu"
	var t cpuTimes
	for i := 1; i < len(f) && i <= lastCounted; i++ {
		v, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("field %d of %q: %w", i, truncate(line), err)
		}
		if t.total > (1<<64-1)-v {
			return cpuTimes{}, fmt.Errorf("cpu times of %q overflow", truncate(line))
		}
		t.total += v
		if i == idle || i == iowait {
			t.idle += v
		}
	}
	return t, nil
}

// busyFraction is the share of CPU time between a and b that was not
// idle, in [0, 1]; ok is false when the counters did not advance (or went
// backwards, which only a changed set of CPUs could do).
func busyFraction(a, b cpuTimes) (float64, bool) {
	if b.total <= a.total || b.idle < a.idle {
		return 0, false
	}
	idle := float64(b.idle - a.idle)
	total := float64(b.total - a.total)
	return max(0, min(1, 1-idle/total)), true
}

// isLetter reports whether c is an ASCII letter, as every process state
// code is (R, S, D, Z, T, t, X, I, ...).
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func truncate(b []byte) []byte {
	if len(b) > 120 {
		return b[:120]
	}
	return b
}

// atClkTck is AT_CLKTCK of linux/auxvec.h, which x/sys/unix does not name.
const atClkTck = 17

// clockTicks returns CLK_TCK, the unit of the CPU times in /proc/PID/stat
// and /proc/stat. Go has no sysconf, so it is read where glibc's
// sysconf(_SC_CLK_TCK) reads it: the AT_CLKTCK entry the kernel puts in
// every process's auxiliary vector, which is the USER_HZ that /proc
// converts its times to. Without one it is 100, the USER_HZ of every
// architecture Go supports on Linux (only Alpha and IA-64 differed).
func clockTicks() float64 {
	if auxv, err := unix.Auxv(); err == nil {
		for _, kv := range auxv {
			if kv[0] == atClkTck && kv[1] > 0 {
				return float64(kv[1])
			}
		}
	}
	return 100
}

// procFS reads a procfs mounted at root.
type procFS struct {
	root string
}

// errNoProc says /proc is not there to read: not Linux, or not mounted.
var errNoProc = errors.New("no readable /proc (server CPU is measured on Linux only)")

// available reports whether root is a procfs (it has a readable stat file).
func (p procFS) available() bool {
	_, err := os.Stat(filepath.Join(p.root, "stat"))
	return err == nil
}

// process returns the CPU time of process pid. A pid that does not exist
// is an error saying so; a process that has exited but was not reaped yet
// (a zombie) counts as gone.
func (p procFS) process(pid int) (procCPU, error) {
	b, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(pid), "stat"))
	switch {
	case errors.Is(err, fs.ErrNotExist) && !p.available():
		return procCPU{}, errNoProc
	case errors.Is(err, fs.ErrNotExist):
		return procCPU{}, fmt.Errorf("no process with pid %d", pid)
	case err != nil:
		return procCPU{}, fmt.Errorf("cannot read the CPU time of pid %d: %w", pid, err)
	}
	c, err := parseProcStat(b)
	if err != nil {
		return procCPU{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	if c.state == 'Z' || c.state == 'X' {
		return procCPU{}, fmt.Errorf("process %d has exited", pid)
	}
	return c, nil
}

func (p procFS) loadAvg() (float64, error) {
	b, err := os.ReadFile(filepath.Join(p.root, "loadavg"))
	if err != nil {
		return 0, fmt.Errorf("cannot read the load average: %w", err)
	}
	return parseLoadAvg(b)
}

func (p procFS) cpuTimes() (cpuTimes, error) {
	b, err := os.ReadFile(filepath.Join(p.root, "stat"))
	if err != nil {
		return cpuTimes{}, fmt.Errorf("cannot read the machine's CPU times: %w", err)
	}
	return parseCPUStat(b)
}
