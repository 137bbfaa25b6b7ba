package testutil

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStoppedClockMovesOnlyWhenAdvanced(t *testing.T) {
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClockAt(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	c.Advance(90 * time.Second)
	c.Advance(-30 * time.Second)
	if got, want := c.Now(), start.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("after advancing: Now() = %v, want %v", got, want)
	}
	if c.AdvanceTo(start) {
		t.Fatal("AdvanceTo an earlier time moved the clock")
	}
	later := start.Add(time.Hour)
	if !c.AdvanceTo(later) || !c.Now().Equal(later) {
		t.Fatalf("AdvanceTo(%v): Now() = %v", later, c.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.SleepUntil(ctx, later.Add(time.Second)); err != nil || !c.Now().Equal(later.Add(time.Second)) {
		t.Fatalf("SleepUntil = %v, Now() = %v", err, c.Now())
	}
	cancel()
	if err := c.SleepUntil(ctx, later); !errors.Is(err, context.Canceled) {
		t.Fatalf("SleepUntil on a cancelled context = %v", err)
	}
}

func TestRealClockIsShifted(t *testing.T) {
	c := NewClock()
	c.Advance(time.Hour)
	if now := c.Now(); now.Before(time.Now().Add(59 * time.Minute)) {
		t.Fatalf("Now() = %v, not an hour ahead of the real clock", now)
	}
	target := c.Now().Add(24 * time.Hour)
	if !c.AdvanceTo(target) || c.Now().Before(target) {
		t.Fatalf("AdvanceTo(%v): Now() = %v", target, c.Now())
	}
}

func TestPoll(t *testing.T) {
	calls := 0
	err := Poll(time.Minute, time.Millisecond, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Poll = %v after %d calls, want nil after 3", err, calls)
	}
	errNever := errors.New("never")
	err = Poll(0, time.Millisecond, func() error { return errNever })
	if !errors.Is(err, errNever) {
		t.Fatalf("Poll past its deadline = %v, want it to wrap %v", err, errNever)
	}
}
