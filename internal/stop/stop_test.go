package stop_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/stop"
)

func TestStopCancelsAndWaits(t *testing.T) {
	g := stop.New(context.Background())
	started := make(chan struct{})
	finished := make(chan struct{})
	if err := g.Go("test: block", func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		close(finished)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	<-started
	if got := g.Running(); !slices.Equal(got, []string{"test: block"}) {
		t.Fatalf("Running() = %v", got)
	}
	if err := g.Stop(); err != nil {
		t.Fatalf("Stop() = %v, want nil (context.Canceled is not a failure)", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Stop returned before the task finished")
	}
	if got := g.Running(); len(got) != 0 {
		t.Fatalf("Running() after Stop = %v", got)
	}
}

func TestGoAfterStopIsRefused(t *testing.T) {
	g := stop.New(context.Background())
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	err := g.Go("test: late", func(context.Context) error { return nil })
	if !errors.Is(err, stop.ErrStopped) {
		t.Fatalf("Go after Stop = %v, want ErrStopped", err)
	}
	if _, err := g.Child(); !errors.Is(err, stop.ErrStopped) {
		t.Fatalf("Child after Stop = %v, want ErrStopped", err)
	}
}

func TestFailingTaskCancelsGroup(t *testing.T) {
	g := stop.New(context.Background())
	boom := errors.New("boom")
	peerDone := make(chan struct{})
	_ = g.Go("test: peer", func(ctx context.Context) error {
		<-ctx.Done()
		close(peerDone)
		return nil
	})
	_ = g.Go("test: fail", func(context.Context) error { return boom })
	select {
	case <-g.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a failing task did not cancel the group")
	}
	<-peerDone
	err := g.Stop()
	if !errors.Is(err, boom) {
		t.Fatalf("Stop() = %v, want it to wrap boom", err)
	}
	if !errors.Is(g.Cause(), boom) {
		t.Fatalf("Cause() = %v, want it to wrap boom", g.Cause())
	}
}

func TestChildStoppedByParent(t *testing.T) {
	g := stop.New(context.Background())
	c, err := g.Child()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	_ = c.Go("test: child task", func(ctx context.Context) error {
		<-ctx.Done()
		close(done)
		return nil
	})
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Fatal("parent Stop returned before the child's task finished")
	}
}

func TestParentContextCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := stop.New(ctx)
	_ = g.Go("test: wait", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	cancel()
	<-g.Done()
	if err := g.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
}

func TestRunningCountsDuplicates(t *testing.T) {
	g := stop.New(context.Background())
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	for range 2 {
		_ = g.Go("test: conn", func(context.Context) error {
			started <- struct{}{}
			<-release
			return nil
		})
	}
	<-started
	<-started
	if got := g.Running(); !slices.Equal(got, []string{"test: conn (x2)"}) {
		t.Fatalf("Running() = %v", got)
	}
	close(release)
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
}
