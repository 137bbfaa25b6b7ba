package repair

import (
	"context"
	"fmt"
	"sync"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// TreeSource builds a replica's Merkle tree: locally with Build, or by
// asking the replica over messaging. It may be called concurrently.
type TreeSource interface {
	Tree(ctx context.Context, host ring.HostID, table schema.TableID, r ring.Range, depth int) (*Tree, error)
}

// Streamer sends one replica's data in ranges of table to another, which
// merges it. It may be called concurrently. node/ implements it over
// messaging and storage.
type Streamer interface {
	Stream(ctx context.Context, from, to ring.HostID, table schema.TableID, ranges []ring.Range) error
}

// Progress is told about each step of a running session; it is called
// from Run's goroutine only, and must not block.
type Progress func(s *Session, event string)

// Run drives s to completion: it asks trees of every replica, then runs
// the planned streams, at most parallelism at a time (0 means no limit),
// feeding every outcome back into s from this goroutine. The goroutines it
// starts all end before it returns. It returns s.Err(), or ctx's error if
// ctx ended first (after the work in flight has stopped).
func Run(ctx context.Context, s *Session, trees TreeSource, streamer Streamer, parallelism int, progress Progress) error {
	if progress == nil {
		progress = func(*Session, string) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	r := runner{s: s, progress: progress, results: make(chan func() (Output, error))}
	if parallelism > 0 {
		r.slots = make(chan struct{}, parallelism)
	}
	defer r.wg.Wait() // runs after cancel: goroutines see ctx end and return
	defer cancel()
	out := s.Start()
	for {
		r.launch(ctx, out, trees, streamer)
		if out.Done {
			return s.Err()
		}
		select {
		case apply := <-r.results:
			var err error
			if out, err = apply(); err != nil {
				return fmt.Errorf("cannot advance repair session: %w", err)
			}
		case <-ctx.Done():
			return fmt.Errorf("repair session interrupted in phase %s: %w", s.Phase(), ctx.Err())
		}
	}
}

type runner struct {
	s        *Session
	progress Progress
	results  chan func() (Output, error)
	slots    chan struct{}
	wg       sync.WaitGroup
}

// launch starts a goroutine per tree request and stream of out.
func (r *runner) launch(ctx context.Context, out Output, trees TreeSource, streamer Streamer) {
	for _, req := range out.Trees {
		r.progress(r.s, fmt.Sprintf("requesting tree from %s", req.Host))
		r.spawn(ctx, func() func() (Output, error) {
			t, err := trees.Tree(ctx, req.Host, req.Table, req.Range, req.Depth)
			return func() (Output, error) {
				if err != nil {
					r.progress(r.s, fmt.Sprintf("tree from %s failed: %v", req.Host, err))
					return r.s.TreeFailed(req.Host, err)
				}
				r.progress(r.s, fmt.Sprintf("received tree from %s (%d partitions)", req.Host, t.Partitions()))
				return r.s.TreeReceived(req.Host, t)
			}
		})
	}
	for _, st := range out.Streams {
		r.progress(r.s, fmt.Sprintf("streaming %d ranges from %s to %s", len(st.Ranges), st.From, st.To))
		r.spawn(ctx, func() func() (Output, error) {
			err := streamer.Stream(ctx, st.From, st.To, st.Table, st.Ranges)
			return func() (Output, error) {
				r.progress(r.s, fmt.Sprintf("stream %d from %s to %s finished (err %v)", st.ID, st.From, st.To, err))
				return r.s.StreamDone(st.ID, err)
			}
		})
	}
}

// spawn runs work on a goroutine (within the parallelism limit) and hands
// its result back to Run's loop, unless ctx ends first.
func (r *runner) spawn(ctx context.Context, work func() func() (Output, error)) {
	r.wg.Go(func() {
		if r.slots != nil {
			select {
			case r.slots <- struct{}{}:
				defer func() { <-r.slots }()
			case <-ctx.Done():
				return
			}
		}
		apply := work()
		select {
		case r.results <- apply:
		case <-ctx.Done():
		}
	})
}
