// Package stop is the task group that owns every long-lived goroutine of a
// Sibyl node, trimmed from cockroach's pkg/util/stop.Stopper.
//
// # Usage
//
// The owner creates a Group from a parent context, starts each background
// task with Go under a descriptive name ("node.admin: serve http"), and
// calls Stop when it shuts down:
//
//	g := stop.New(ctx)
//	if err := g.Go("cql.server: accept", func(ctx context.Context) error {
//		return srv.Serve(ctx, ln)
//	}); err != nil {
//		return err // the group is already stopping
//	}
//	...
//	err := g.Stop() // cancel every task's context, wait, report failures
//
// # The caller's duties
//
//  1. Every task must return promptly once its context is cancelled. A task
//     blocked in I/O that does not watch a context must be unblocked by
//     closing its resource from a context.AfterFunc.
//  2. Resources a task uses are closed after Stop returns, never before.
//  3. Child groups (Child) are stopped by their parent; stopping a child
//     early is allowed and does not affect the parent.
//
// # Invariants
//
//   - Once Stop (or a failing task) has cancelled the group, Go refuses new
//     tasks with ErrStopped, so nothing starts after shutdown began.
//   - A task that returns a non-nil error other than context.Canceled
//     cancels the whole group (errgroup semantics): a node whose CQL server
//     died does not keep running half-alive. Done reports that moment.
//   - Stop waits for every task, including those of child groups, and
//     returns the errors they reported, joined.
//   - A panicking task is not recovered: a panic is a bug, not an input.
package stop
