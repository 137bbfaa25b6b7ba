package stop

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// ErrStopped is returned by Go when the group has been cancelled and
// accepts no new task.
var ErrStopped = errors.New("stop: group is stopping")

// Group owns a set of named goroutines that share one cancellable context.
// It is safe for concurrent use.
type Group struct {
	ctx    context.Context // immutable; cancelled by Stop or a failing task
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		stopping bool           // set once ctx is cancelled; guarded by mu
		running  map[string]int // task name -> live count; guarded by mu
		errs     []error        // task failures, in completion order; guarded by mu
		children []*Group       // guarded by mu
	}
}

// New returns a Group whose tasks run under a context derived from parent.
// Cancelling parent stops the group's tasks as Stop would, but only Stop
// waits for them.
func New(parent context.Context) *Group {
	g := &Group{}
	g.ctx, g.cancel = context.WithCancelCause(parent)
	g.mu.running = make(map[string]int)
	return g
}

// Context returns the group's context: cancelled when the group stops.
func (g *Group) Context() context.Context { return g.ctx }

// Done is closed when the group starts stopping, whether by Stop, by the
// parent context, or by a task that failed.
func (g *Group) Done() <-chan struct{} { return g.ctx.Done() }

// Go starts fn in a new goroutine named name. fn receives the group's
// context and must return once it is cancelled. Go returns ErrStopped,
// without starting fn, once the group is stopping.
func (g *Group) Go(name string, fn func(ctx context.Context) error) error {
	if !g.register(name) {
		return fmt.Errorf("cannot start %q: %w", name, ErrStopped)
	}
	go g.run(name, fn)
	return nil
}

// register records a new task unless the group is stopping.
func (g *Group) register(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.stopping || g.ctx.Err() != nil {
		return false
	}
	g.mu.running[name]++
	g.wg.Add(1)
	return true
}

func (g *Group) run(name string, fn func(ctx context.Context) error) {
	defer g.wg.Done()
	err := fn(g.ctx)
	g.finish(name, err)
}

// finish unregisters a task and, if it failed, records the error and
// cancels the group.
func (g *Group) finish(name string, err error) {
	failed := err != nil && !errors.Is(err, context.Canceled)
	g.mu.Lock()
	if g.mu.running[name]--; g.mu.running[name] <= 0 {
		delete(g.mu.running, name)
	}
	if failed {
		g.mu.errs = append(g.mu.errs, fmt.Errorf("task %q: %w", name, err))
	}
	g.mu.Unlock()
	if failed {
		g.cancel(fmt.Errorf("task %q failed: %w", name, err))
	}
}

// Child returns a group whose context derives from g's, and which g's Stop
// stops and waits for. It returns ErrStopped once g is stopping.
func (g *Group) Child() (*Group, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.stopping || g.ctx.Err() != nil {
		return nil, ErrStopped
	}
	c := New(g.ctx)
	g.mu.children = append(g.mu.children, c)
	return c, nil
}

// Running returns the names of the tasks still running, sorted, with a
// count suffix for names that run more than once. It is meant for logs
// and for tests that check nothing leaked.
func (g *Group) Running() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, 0, len(g.mu.running))
	for name, n := range g.mu.running {
		if n > 1 {
			name = fmt.Sprintf("%s (x%d)", name, n)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Cause returns why the group's context was cancelled, or nil while it
// runs.
func (g *Group) Cause() error {
	if g.ctx.Err() == nil {
		return nil
	}
	return context.Cause(g.ctx)
}

// Stop cancels the group's context, waits for every task and child group,
// and returns the failures tasks reported (nil if none). It is safe to call
// more than once; later calls wait again and return the same errors.
func (g *Group) Stop() error {
	g.mu.Lock()
	g.mu.stopping = true
	children := append([]*Group(nil), g.mu.children...)
	g.mu.Unlock()
	g.cancel(ErrStopped)
	var errs []error
	for _, c := range children {
		if err := c.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	g.wg.Wait()
	g.mu.Lock()
	errs = append(errs, g.mu.errs...)
	g.mu.Unlock()
	return errors.Join(errs...)
}
