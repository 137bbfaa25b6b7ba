package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sibyldb/sibyl/node"
)

// Repair's progress: the repair request lasts as long as the repair, and
// the node reports the repair's state at GET /operations meanwhile, so
// the command polls it and draws a progress bar on a terminal, or prints
// a line per change of progress otherwise (logs, CI, pipes).

// repairPoll is how often the command asks the node for progress.
const repairPoll = 500 * time.Millisecond

// progressView draws an operation's progress.
type progressView interface {
	show(op node.Operation)
	finish()
}

// newProgressView draws on w: a bar when w is a terminal, lines otherwise.
func newProgressView(w io.Writer) progressView {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barView{w: w}
	}
	return &lineView{w: w, last: -1}
}

type barView struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *barView) show(op node.Operation) {
	if op.Total == 0 {
		return // nothing to repair here: no bar to draw
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions64(op.Total, progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(op.Kind+" "+op.Detail), progressbar.OptionShowCount(),
			progressbar.OptionSetItsString(op.Unit), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionFullWidth())
	}
	_ = b.bar.Set64(op.Done)
}

func (b *barView) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}

type lineView struct {
	w    io.Writer
	last int64
}

func (l *lineView) show(op node.Operation) {
	if op.Done == l.last {
		return
	}
	l.last = op.Done
	fmt.Fprintf(l.w, "%s %s: %d/%d %s (%.0f%%)\n", op.ID, op.Detail, op.Done, op.Total, op.Unit, op.Percent())
}

func (l *lineView) finish() {}

// runRepair posts the repair at path and shows its progress on progress
// while it runs; the result is decoded into res.
func runRepair(ctx context.Context, a *adminFlags, path string, progress io.Writer, res *node.RepairResult) error {
	var before []node.Operation
	if err := a.call(ctx, http.MethodGet, "/operations", &before); err != nil {
		return err
	}
	known := make(map[string]bool, len(before))
	for _, o := range before {
		known[o.ID] = true
	}
	done := make(chan error, 1)
	go func() { done <- a.callLongJSON(ctx, http.MethodPost, path, res) }()
	view := newProgressView(progress)
	defer view.finish()
	for {
		select {
		case err := <-done:
			// One last look, so the view ends at the final count.
			showNewRepair(ctx, a, known, view)
			return err
		case <-time.After(repairPoll):
			showNewRepair(ctx, a, known, view)
		}
	}
}

// showNewRepair shows the repair operation started since known was taken.
func showNewRepair(ctx context.Context, a *adminFlags, known map[string]bool, view progressView) {
	var ops []node.Operation
	if err := a.call(ctx, http.MethodGet, "/operations", &ops); err != nil {
		return // progress is a courtesy; the repair's own answer decides
	}
	for _, o := range ops {
		if o.Kind == "repair" && !known[o.ID] {
			view.show(o)
			return
		}
	}
}
