package shell

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// steppingClock advances by step on every reading, so rates are finite
// but a COPY never looks two seconds long.
func steppingClock(step time.Duration) func() time.Time {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	return func() time.Time {
		c.advance(step)
		return c.now()
	}
}

// neverTicks is a ticker that never fires.
func neverTicks() (<-chan time.Time, func()) { return nil, func() {} }

// finalLineOnly makes a COPY print only its final progress line, so its
// output does not depend on how long it took.
func finalLineOnly() progressHooks {
	return progressHooks{now: steppingClock(time.Millisecond), ticker: neverTicks}
}

// lineWriter hands each Write to the test, which reads them in order.
type lineWriter chan string

func (w lineWriter) Write(b []byte) (int, error) {
	w <- string(b)
	return len(b), nil
}

func (w lineWriter) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-w:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no progress line")
		return ""
	}
}

// TestProgressLines drives the reporter by hand: counters added by
// several goroutines, a tick two seconds on prints a line with the rates
// of those two seconds, a tick too soon prints nothing, and finish stops
// the reporter and prints the average.
func TestProgressLines(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	ticks := make(chan time.Time)
	stopped := make(chan struct{})
	hooks := progressHooks{now: clock.now, ticker: func() (<-chan time.Time, func()) {
		return ticks, func() { close(stopped) }
	}}
	out := make(lineWriter, 1)
	p := startProgress(context.Background(), out, hooks, 0)

	const workers, perWorker = 4, 250
	addRows := func() {
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perWorker {
					p.add(1)
				}
			}()
		}
		wg.Wait()
	}
	line := func(rows int64, rate, avg float64) string {
		return progressReport{rows: rows, rate: rate, avg: avg}.String() + "\n"
	}

	batch := int64(workers * perWorker)
	secs := progressLineEvery.Seconds()
	t0 := clock.now()
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	addRows()
	ticks <- at(progressLineEvery)
	if got, want := out.next(t), line(batch, float64(batch)/secs, float64(batch)/secs); got != want {
		t.Errorf("first line %q, want %q", got, want)
	}
	// Rows added before a send are seen by that tick's reading. A tick
	// too soon prints nothing but takes a reading; the next tick, due,
	// prints the rows since the last line with the rate since that
	// reading, none. Had the early tick printed, its line (rate > 0)
	// would come first.
	addRows()
	ticks <- at(progressLineEvery * 3 / 2)
	ticks <- at(2 * progressLineEvery)
	if got, want := out.next(t), line(2*batch, 0, float64(2*batch)/(2*secs)); got != want {
		t.Errorf("second line %q, want %q", got, want)
	}

	clock.advance(2 * progressLineEvery)
	p.finish()
	select {
	case <-stopped:
	default:
		t.Error("finish returned with the reporter's ticker still running")
	}
	avg := float64(2*batch) / (2 * secs)
	if got, want := out.next(t), line(2*batch, avg, avg); got != want {
		t.Errorf("final line %q, want %q", got, want)
	}
}

// TestProgressBar draws the bar of a COPY FROM of known size (bytes) and
// of a COPY TO (a spinner counting rows) into a buffer: each ends drawn
// with the final report on its line, and a newline.
func TestProgressBar(t *testing.T) {
	const size, rows = 4096, 100
	for _, c := range []struct {
		total int64
		want  string
	}{
		{size, "100%"},
		{0, strconv.Itoa(rows) + " rows"},
	} {
		var out bytes.Buffer
		hooks := finalLineOnly()
		hooks.bar = true
		p := startProgress(context.Background(), &out, hooks, c.total)
		p.bytes.Add(size)
		p.add(rows)
		p.finish()
		got := out.String()
		last := got[strings.LastIndex(got, "\r")+1:]
		if !strings.Contains(last, c.want) || !strings.Contains(last, "Processed: "+strconv.Itoa(rows)+" rows; ") ||
			!strings.HasSuffix(last, "\n") {
			t.Errorf("total %d: the bar ends as %q, want %q and the final report", c.total, last, c.want)
		}
	}
}

var processedRE = regexp.MustCompile(`(?m)^Processed: ([0-9]+) rows; Rate: +[0-9]+ rows/s; Avg. rate: +[0-9]+ rows/s$`)

// TestCopyProgress runs COPY FROM and COPY TO of a few thousand rows
// against the node with a row step a fraction of the rows: progress
// lines appear during each COPY, never more than one per step, with
// growing counts, and the last one counts every row.
func TestCopyProgress(t *testing.T) {
	s, out := dial(t, "cpprog")
	run(t, s, "CREATE TABLE t (k int PRIMARY KEY, v text);")
	const rows, step = 3000, 500
	var csv strings.Builder
	for i := range rows {
		fmt.Fprintf(&csv, "%d,v%d\n", i, i)
	}
	dir := t.TempDir()
	in, exported := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	if err := os.WriteFile(in, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.progress = finalLineOnly()
	s.progress.every = step

	for _, c := range []struct{ stmt, summary string }{
		{"COPY t (k, v) FROM '" + in + "'", fmt.Sprintf("%d rows imported from 1 files in", rows)},
		{"COPY t (k, v) TO '" + exported + "'", fmt.Sprintf("%d rows exported to 1 files in", rows)},
	} {
		out.Reset()
		run(t, s, c.stmt+"\n")
		got := out.String()
		if !strings.Contains(got, c.summary) {
			t.Fatalf("%s printed\n%s", c.stmt, got)
		}
		lines := processedRE.FindAllStringSubmatch(got, -1)
		if len(lines) < 2 || len(lines) > rows/step+1 {
			t.Errorf("%s printed %d progress lines, want 2 to %d:\n%s", c.stmt, len(lines), rows/step+1, got)
			continue
		}
		prev := int64(0)
		for _, l := range lines {
			n, _ := strconv.ParseInt(l[1], 10, 64)
			if n < prev {
				t.Errorf("%s: progress went back from %d to %d", c.stmt, prev, n)
			}
			prev = n
		}
		if prev != rows {
			t.Errorf("%s: last progress line counts %d rows, want %d", c.stmt, prev, rows)
		}
		if i := strings.LastIndex(got, "Processed:"); i > strings.Index(got, c.summary) {
			t.Errorf("%s: a progress line after the summary:\n%s", c.stmt, got)
		}
	}
	data, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != rows {
		t.Errorf("exported %d lines, want %d", n, rows)
	}
}
