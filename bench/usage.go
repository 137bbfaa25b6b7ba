package bench

import (
	"errors"
	"fmt"
	"sync"
)

// usageMeter measures what the measured window of a run costs the machine:
// the CPU time of the server processes and the machine's load. It takes one
// snapshot when the first measured operation is about to be sent (so the
// warmup's CPU is not counted) and one when the last has returned.
//
// It only reads /proc; a machine without one (not Linux) gets no machine
// figures, and a run that asked for server pids there fails at its start
// (check), never with figures of zero.
type usageMeter struct {
	proc  procFS
	pids  []int
	clock float64 // CLK_TCK, ticks per second

	startOnce sync.Once
	start     usageSnapshot // written once by startOnce, read after the workers returned
	end       usageSnapshot
}

// usageSnapshot is one reading of the machine. The fields a reading could
// not fill are flagged absent, so that they are absent from the report
// rather than zero.
type usageSnapshot struct {
	taken   bool
	procs   []procCPU // one per pid, in order; nil if any could not be read
	procErr error
	load    float64
	hasLoad bool
	cpu     cpuTimes
	hasCPU  bool
}

func newUsageMeter(root string, pids []int) *usageMeter {
	return &usageMeter{proc: procFS{root: root}, pids: pids, clock: clockTicks()}
}

// check fails when a server pid cannot be measured now: it does not
// exist, or there is no /proc to read it from. Run calls it before
// connecting, so a wrong pid costs no run.
func (u *usageMeter) check() error {
	var errs []error
	for _, pid := range u.pids {
		if _, err := u.proc.process(pid); err != nil {
			if errors.Is(err, errNoProc) {
				return fmt.Errorf("bench: cannot measure server CPU: %w", err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("bench: cannot measure server CPU: %w", errors.Join(errs...))
	}
	return nil
}

// markStart takes the window's first snapshot, once; every worker calls it
// before sending its first measured operation, and those arriving while it
// is taken wait for it (a few small file reads, once per run).
func (u *usageMeter) markStart() {
	u.startOnce.Do(func() { u.start = u.snapshot() })
}

// markEnd takes the window's last snapshot.
func (u *usageMeter) markEnd() { u.end = u.snapshot() }

func (u *usageMeter) snapshot() usageSnapshot {
	s := usageSnapshot{taken: true}
	if len(u.pids) > 0 {
		procs := make([]procCPU, 0, len(u.pids))
		for _, pid := range u.pids {
			c, err := u.proc.process(pid)
			if err != nil {
				s.procErr = err
				procs = nil
				break
			}
			procs = append(procs, c)
		}
		s.procs = procs
	}
	if l, err := u.proc.loadAvg(); err == nil {
		s.load, s.hasLoad = l, true
	}
	if c, err := u.proc.cpuTimes(); err == nil {
		s.cpu, s.hasCPU = c, true
	}
	return s
}

// fill sets the usage fields of rep from the two snapshots; a figure
// either snapshot lacks stays absent. A server process that exited or was
// replaced during the window leaves a warning instead of a figure.
func (u *usageMeter) fill(rep *Report) {
	s, e := u.start, u.end
	if !s.taken || !e.taken {
		return // no operation was measured
	}
	if s.hasLoad {
		rep.LoadAvg1mStart = ptr(s.load)
	}
	if e.hasLoad {
		rep.LoadAvg1mEnd = ptr(e.load)
	}
	if s.hasCPU && e.hasCPU {
		if b, ok := busyFraction(s.cpu, e.cpu); ok {
			rep.MachineBusy = ptr(b)
		}
	}
	if len(u.pids) == 0 {
		return
	}
	rep.ServerPIDs = u.pids
	ticks, err := serverTicks(u.pids, s, e)
	if err != nil {
		rep.Warnings = append(rep.Warnings, "no server CPU figure: "+err.Error())
		return
	}
	cpu := float64(ticks) / u.clock
	rep.ServerCPUS = ptr(cpu)
	if rep.Ops > 0 {
		rep.ServerCPUUsPerOp = ptr(cpu * 1e6 / float64(rep.Ops))
	}
}

// serverTicks is the CPU time the pids spent between s and e.
func serverTicks(pids []int, s, e usageSnapshot) (uint64, error) {
	if s.procErr != nil {
		return 0, fmt.Errorf("at the start of the measured window: %w", s.procErr)
	}
	if e.procErr != nil {
		return 0, fmt.Errorf("at the end of the measured window: %w", e.procErr)
	}
	var sum uint64
	for i, pid := range pids {
		a, b := s.procs[i], e.procs[i]
		if a.startTime != b.startTime || b.ticks < a.ticks {
			return 0, fmt.Errorf("pid %d is another process at the end of the window than at its start", pid)
		}
		sum += b.ticks - a.ticks
	}
	return sum, nil
}

func ptr[T any](v T) *T { return &v }
