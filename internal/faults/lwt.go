package faults

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// The lightweight-transaction workload: clients compare-and-set a
// register per key (the v of Keyspace.Table) and read it at SERIAL,
// through coordinators chosen at random, while a schedule injects faults.
// The history is checked for linearizability with porcupine against a
// sequential register. The clients call each node's coordinator
// (node.Coordinator) in process, below CQL: the Paxos rounds still cross
// the simulated network between nodes, which is where the faults are.
//
// An operation whose outcome is unknown (a timeout, an error after the
// request may have reached replicas) never returns in the history: it may
// take effect at any point after it began, or never. Operations that
// certainly did nothing (Unavailable, a coordinator that is down) are
// left out.

// LWTOp is one recorded lightweight-transaction operation.
type LWTOp struct {
	Client int
	Key    int
	// CAS sets the register to New if it holds Expected; otherwise a
	// SERIAL read.
	CAS           bool
	Expected, New int64
	// Applied reports a CAS that was applied; Value is what the register
	// held as the operation saw it (reads, and CAS not applied).
	Applied bool
	Value   int64
	// Unknown: the outcome is not known.
	Unknown bool
	Coord   int
	Start   time.Time
	End     time.Time
	Err     string
}

func (o LWTOp) String() string {
	var s string
	switch {
	case !o.CAS:
		s = fmt.Sprintf("read k=%d -> %d", o.Key, o.Value)
	case o.Unknown:
		s = fmt.Sprintf("cas k=%d %d->%d unknown (%s)", o.Key, o.Expected, o.New, o.Err)
	case o.Applied:
		s = fmt.Sprintf("cas k=%d %d->%d applied", o.Key, o.Expected, o.New)
	default:
		s = fmt.Sprintf("cas k=%d %d->%d not applied (saw %d)", o.Key, o.Expected, o.New, o.Value)
	}
	return fmt.Sprintf("c%d via n%d: %s", o.Client, o.Coord, s)
}

// LWTHistory records LWT operations from many goroutines.
type LWTHistory = opLog[LWTOp]

// LWTWorkload is the clients' load of CAS and SERIAL reads.
type LWTWorkload struct {
	// Keys is how many registers; default 3, so clients contend.
	Keys int
	// Clients is how many goroutines issue requests; default 4.
	Clients int
	// CASPct is the percentage of CAS; the rest are SERIAL reads.
	// Default 60.
	CASPct int
	// Think is each client's pause between requests; default 20 ms.
	Think time.Duration
	// Seed seeds the clients' choices.
	Seed int64
}

func (w *LWTWorkload) ensureDefaults() {
	if w.Keys == 0 {
		w.Keys = 3
	}
	if w.Clients == 0 {
		w.Clients = 4
	}
	if w.CASPct == 0 {
		w.CASPct = 60
	}
	if w.Think == 0 {
		w.Think = 20 * time.Millisecond
	}
}

// Run issues requests until ctx ends and returns once every client has
// finished its last one. Each client remembers the last value it saw of
// each key and CASes from it, so many CAS apply and many contend.
func (w LWTWorkload) Run(ctx context.Context, c *Cluster, h *LWTHistory) {
	w.ensureDefaults()
	var wg sync.WaitGroup
	for client := range w.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w.Seed), uint64(client)+100))
			seen := make([]int64, w.Keys)
			for ctx.Err() == nil {
				running := c.Running()
				if len(running) > 0 {
					op := LWTOp{Client: client, Key: rng.IntN(w.Keys), Coord: running[rng.IntN(len(running))]}
					if rng.IntN(100) < w.CASPct {
						op.CAS, op.Expected, op.New = true, seen[op.Key], h.nextValue()
					}
					if op, ok := DoLWT(c, op); ok {
						h.Add(op)
						switch {
						case op.Applied:
							seen[op.Key] = op.New
						case !op.Unknown:
							seen[op.Key] = op.Value
						}
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(w.Think):
				}
			}
		}()
	}
	wg.Wait()
}

// DoLWT runs op through its coordinator and returns it with its outcome;
// ok is false when the operation certainly did nothing (it is then not
// part of the history).
func DoLWT(c *Cluster, op LWTOp) (LWTOp, bool) {
	nn := c.Nodes[op.Coord].Node()
	if nn == nil {
		return op, false
	}
	tbl := nn.TableSchema(Keyspace, Table)
	if tbl == nil {
		return op, false
	}
	reg := lwtRegister{table: tbl, v: tbl.Column("v").ID}
	cmd := reg.read(op.Key)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	op.Start = time.Now()
	var err error
	if op.CAS {
		var res exec.CASResult
		res, err = nn.Coordinator().CAS(ctx, &exec.CASRequest{Read: cmd, Serial: exec.Serial, Commit: exec.Quorum,
			Decide: func(cur *schema.Partition, ts int64) (*schema.Partition, error) {
				if reg.value(cur) != op.Expected {
					return nil, nil
				}
				return reg.update(cmd, ts, op.New), nil
			}})
		op.Applied, op.Value = res.Applied, reg.value(res.Current)
	} else {
		var parts []*schema.Partition
		parts, err = nn.Coordinator().Read(ctx, exec.Serial, cmd)
		if len(parts) > 0 {
			op.Value = reg.value(parts[0])
		}
	}
	op.End = time.Now()
	if err == nil {
		return op, true
	}
	op.Err = err.Error()
	var e *exec.Error
	switch {
	case !op.CAS:
		return op, false // a read that failed tells nothing
	case errors.As(err, &e) && e.Code == exec.CodeUnavailable:
		return op, false // refused before any message
	case errors.As(err, &e) && e.Code == exec.CodeWriteTimeout && e.WriteType == exec.WriteSimple:
		// Accepted by a quorum, so decided; only its commit was slow.
		op.Applied = true
		return op, true
	}
	op.Unknown = true
	return op, true
}

// lwtRegister reads and writes the register v of one key.
type lwtRegister struct {
	table *schema.Table
	v     schema.ColumnID
}

func (r lwtRegister) read(k int) *schema.ReadCommand {
	key := keyBytes(k)
	return &schema.ReadCommand{Table: r.table.TableID, Key: key, Token: int64(ring.Murmur3Token(key))}
}

// value is v in p; an absent row or value reads as 0, the initial state.
func (r lwtRegister) value(p *schema.Partition) int64 {
	if p == nil {
		return 0
	}
	_, rows := schema.LiveRows(p, time.Now().Unix())
	for _, row := range rows {
		for _, c := range row.Cells {
			if c.Column == r.v && len(c.Value) == 8 {
				return int64(binary.BigEndian.Uint64(c.Value))
			}
		}
	}
	return 0
}

func (r lwtRegister) update(cmd *schema.ReadCommand, ts, v int64) *schema.Partition {
	return &schema.Partition{Table: cmd.Table, Token: cmd.Token, Key: cmd.Key, Deletion: schema.LiveDeletion,
		Rows: []schema.Row{{Marker: schema.Liveness{Timestamp: ts, ExpiresAt: schema.NoExpiry}, Deletion: schema.LiveDeletion,
			Cells: []schema.Cell{{Column: r.v, Timestamp: ts, LocalDeletionTime: schema.NoExpiry,
				Value: binary.BigEndian.AppendUint64(nil, uint64(v))}}}}}
}

// registerModel is a register per key (initially 0) with compare-and-set
// and read, partitioned by key.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := make(map[int][]porcupine.Operation)
		var keys []int
		for _, op := range history {
			k := op.Input.(LWTOp).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return int64(0) },
	Step: func(state, input, _ any) (bool, any) {
		s, op := state.(int64), input.(LWTOp)
		switch {
		case !op.CAS:
			return op.Value == s, s
		case op.Unknown:
			// Linearized here it took effect if it could; linearized
			// after everything it changed nothing anyone saw.
			if s == op.Expected {
				return true, op.New
			}
			return true, s
		case op.Applied:
			return s == op.Expected, op.New
		}
		return s != op.Expected && s == op.Value, s
	},
	DescribeOperation: func(input, _ any) string { return input.(LWTOp).String() },
	DescribeState:     func(state any) string { return fmt.Sprint(state.(int64)) },
}

// CheckLinearizable checks the history with porcupine. It returns
// porcupine's verdict and, when the history is not linearizable, the
// path of an HTML visualization of the longest linearizable prefixes
// (written under dir).
func CheckLinearizable(ops []LWTOp, timeout time.Duration, dir string) (porcupine.CheckResult, string, error) {
	var origin time.Time
	if len(ops) > 0 {
		origin = ops[0].Start
		for _, op := range ops {
			if op.Start.Before(origin) {
				origin = op.Start
			}
		}
	}
	history := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		ret := int64(op.End.Sub(origin))
		if op.Unknown {
			ret = math.MaxInt64 // never returns
		}
		history = append(history, porcupine.Operation{ClientId: op.Client, Input: op, Call: int64(op.Start.Sub(origin)), Return: ret})
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel, history, timeout)
	if res != porcupine.Illegal {
		return res, "", nil
	}
	path := filepath.Join(dir, "lwt-history.html")
	if err := porcupine.VisualizePath(registerModel, info, path); err != nil {
		return res, "", fmt.Errorf("cannot write the visualization: %w", err)
	}
	return res, path, nil
}

// LWTSchedule is the schedule of a linearizability run: Generate(seed)
// on three nodes, cut to its faults that end within length, so a run
// stays short; the same seed gives the same schedule.
func LWTSchedule(seed int64, length time.Duration) Schedule {
	s := Generate(seed)
	s.Nodes, s.Length = 3, length
	var kept []Fault
	for _, f := range s.Faults {
		if f.At+f.For > length {
			break
		}
		if f.Node >= 3 || f.Peer >= 3 {
			f.Node, f.Peer = f.Node%3, f.Peer%3
			if f.Peer == f.Node {
				f.Peer = (f.Node + 1) % 3
			}
		}
		if f.Groups != nil {
			f.Groups = threeNodeGroups(f)
		}
		kept = append(kept, f)
	}
	s.Faults = kept
	return s
}

// threeNodeGroups redraws a split of five nodes for three: f.Node alone
// against the other two (halves), or one on each side of the bridge.
func threeNodeGroups(f Fault) [][]int {
	a, b := (f.Node+1)%3, (f.Node+2)%3
	if f.Kind == FaultBridge {
		return [][]int{{a}, {b}}
	}
	return [][]int{{f.Node}, {a, b}}
}
