package shell

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// COPY's progress, as cqlsh reports it: "Processed: N rows; Rate: R
// rows/s; Avg. rate: A rows/s". The goroutines doing the work only add to
// atomic counters; one reporter goroutine, owned by the COPY, reads them
// on a ticker and draws either a progress bar (output on a terminal) or
// plain lines at a bounded rate (logs, pipes, scripts), and the COPY's
// end stops it and prints the final line.

const (
	// progressTick is how often the reporter reads the counters
	// (cqlsh's REPORTFREQUENCY is 0.25 s).
	progressTick = 250 * time.Millisecond
	// progressLineEvery and progressRowsEvery bound the plain lines: one
	// when this much time or this many rows passed since the last.
	progressLineEvery = 2 * time.Second
	progressRowsEvery = 100_000
)

// progressHooks are the reporter's clock, ticker and plain-line row step;
// tests replace them to see lines without waiting.
type progressHooks struct {
	now    func() time.Time
	ticker func() (<-chan time.Time, func())
	every  int64 // rows between plain lines
	bar    bool  // draw a bar: the output is a terminal
}

func defaultProgressHooks(out io.Writer) progressHooks {
	return progressHooks{
		now: time.Now,
		ticker: func() (<-chan time.Time, func()) {
			t := time.NewTicker(progressTick)
			return t.C, t.Stop
		},
		every: progressRowsEvery,
		bar:   isTerminal(out),
	}
}

// isTerminal reports whether w is a terminal, the only place a bar's
// carriage returns make sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// copyProgress counts a COPY's rows (and, for COPY FROM, the input's
// bytes) and owns the goroutine that reports them.
type copyProgress struct {
	rows  atomic.Int64
	bytes atomic.Int64
	// wake nudges the reporter every hooks.every rows, so a plain line
	// is not late on a fast COPY; it holds at most one nudge.
	wake  chan struct{}
	hooks progressHooks
	view  progressView
	start time.Time

	// Owned by the reporter goroutine until done.
	lastAt   time.Time
	lastRows int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// progressView draws one report.
type progressView interface {
	show(r progressReport)
	finish(r progressReport)
}

// progressReport is one reading of the counters.
type progressReport struct {
	at         time.Time
	rows       int64
	bytes      int64
	rate, avg  float64 // rows/s since the previous report, and overall
	sinceStart time.Duration
}

func (r progressReport) String() string {
	return fmt.Sprintf("Processed: %d rows; Rate: %7.0f rows/s; Avg. rate: %7.0f rows/s", r.rows, r.rate, r.avg)
}

// startProgress starts the reporter of one COPY on w; total is the size
// of the input in bytes for COPY FROM when cheap to know, or 0.
func startProgress(ctx context.Context, w io.Writer, hooks progressHooks, total int64) *copyProgress {
	p := &copyProgress{wake: make(chan struct{}, 1), hooks: hooks, start: hooks.now()}
	p.lastAt = p.start
	if hooks.bar {
		p.view = newBarView(w, total)
	} else {
		p.view = &lineView{w: w, every: hooks.every, last: p.start}
	}
	ctx, p.cancel = context.WithCancel(ctx)
	ticks, stop := hooks.ticker()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer stop()
		p.run(ctx, ticks)
	}()
	return p
}

// add counts n rows; it is safe from any goroutine and takes no lock.
func (p *copyProgress) add(n int64) {
	rows := p.rows.Add(n)
	if p.hooks.every > 0 && rows/p.hooks.every != (rows-n)/p.hooks.every {
		select {
		case p.wake <- struct{}{}:
		default: // a nudge is pending already
		}
	}
}

// run reports on every tick or nudge until ctx is done. A nudge pending
// at the end is still reported, so a COPY that crossed a row step shows
// a line for it even when it ends before the reporter woke.
func (p *copyProgress) run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case at := <-ticks:
			p.view.show(p.read(at))
		case <-p.wake:
			p.view.show(p.read(p.hooks.now()))
		case <-ctx.Done():
			select {
			case <-p.wake:
				p.view.show(p.read(p.hooks.now()))
			default:
			}
			return
		}
	}
}

// read takes a report as of at (a tick's time, or now); only the
// reporter goroutine (or finish, after it ended) calls it.
func (p *copyProgress) read(at time.Time) progressReport {
	r := progressReport{at: at, rows: p.rows.Load(), bytes: p.bytes.Load()}
	r.sinceStart = r.at.Sub(p.start)
	if d := r.at.Sub(p.lastAt).Seconds(); d > 0 {
		r.rate = float64(r.rows-p.lastRows) / d
	}
	if d := r.sinceStart.Seconds(); d > 0 {
		r.avg = float64(r.rows) / d
	}
	p.lastAt, p.lastRows = r.at, r.rows
	return r
}

// finish stops the reporter, waits for it, and prints the final line. It
// is called once, when the COPY ends or is interrupted.
func (p *copyProgress) finish() {
	p.cancel()
	p.wg.Wait()
	// The final rate is the average: cqlsh's last line has both equal
	// rather than the rate of the last fraction of a second.
	r := p.read(p.hooks.now())
	r.rate = r.avg
	p.view.finish(r)
}

// lineView prints a line when progressLineEvery or every rows passed
// since the last one, and always the final one.
type lineView struct {
	w        io.Writer
	every    int64
	last     time.Time
	lastRows int64
}

func (l *lineView) show(r progressReport) {
	due := r.at.Sub(l.last) >= progressLineEvery || (l.every > 0 && r.rows-l.lastRows >= l.every)
	if !due || r.rows == l.lastRows {
		return
	}
	l.last, l.lastRows = r.at, r.rows
	fmt.Fprintln(l.w, r)
}

func (l *lineView) finish(r progressReport) { fmt.Fprintln(l.w, r) }

// barView draws a bar: of the input's bytes when its size is known
// (COPY FROM a file), else a spinner counting rows (COPY TO, or a pipe),
// with the cqlsh line as its description.
type barView struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	bytes bool
}

func newBarView(w io.Writer, total int64) *barView {
	opts := []progressbar.Option{progressbar.OptionSetWriter(w), progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowDescriptionAtLineEnd(), progressbar.OptionSetElapsedTime(true)}
	if total > 0 {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(true))
		return &barView{w: w, bar: progressbar.NewOptions64(total, opts...), bytes: true}
	}
	opts = append(opts, progressbar.OptionSpinnerType(14), progressbar.OptionSetItsString("rows"), progressbar.OptionShowCount())
	return &barView{w: w, bar: progressbar.NewOptions64(-1, opts...)}
}

func (b *barView) show(r progressReport) {
	b.bar.Describe(r.String())
	if b.bytes {
		_ = b.bar.Set64(r.bytes)
		return
	}
	_ = b.bar.Set64(r.rows)
}

// finish draws the bar at the final count, with the final report as its
// description, and leaves it on screen as cqlsh leaves its last line.
// Finish draws whatever the throttle; Exit stops later draws.
func (b *barView) finish(r progressReport) {
	b.bar.Describe(r.String())
	if b.bytes {
		_ = b.bar.Set64(r.bytes)
	} else {
		_ = b.bar.Set64(r.rows)
	}
	_ = b.bar.Finish()
	_ = b.bar.Exit()
	fmt.Fprintln(b.w)
}

// countingReader counts the bytes read through it into n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n.Add(int64(k))
	return k, err
}

// inputSize is the size of a regular file, or 0 (a FIFO, a device).
func inputSize(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return fi.Size()
}
