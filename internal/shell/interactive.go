package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/chzyer/readline"
)

// HistoryFile is where the interactive shell keeps its history, under the
// home directory.
const HistoryFile = ".sibyl_history"

// RunInteractive runs the shell on the terminal: a banner, readline line
// editing, history in ~/.sibyl_history, Tab completion, and paging on.
//
// It handles SIGINT and SIGTERM itself: Ctrl-C while a statement runs
// interrupts that statement (at the prompt readline reads Ctrl-C as a
// key and drops the line), SIGTERM ends the shell. A cancelled ctx ends
// it too, unless SIGINT caused that: callers commonly cancel their
// context on SIGINT, which here must not end the session.
func (s *Shell) RunInteractive(ctx context.Context) error {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:            s.Prompt(),
		HistoryFile:       historyPath(),
		AutoComplete:      completer{s},
		InterruptPrompt:   "^C",
		EOFPrompt:         "",
		HistorySearchFold: true,
		Stdout:            s.cfg.Out,
		Stderr:            s.cfg.Err,
	})
	if err != nil {
		return fmt.Errorf("cannot start line editing: %w", err)
	}
	defer func() { _ = rl.Close() }()
	s.cfg.Out, s.cfg.Err = rl.Stdout(), rl.Stderr()
	s.SetPaging(true, 0)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := s.handleSignals(runCtx, cancel, rl)
	defer stop()
	s.Banner(runCtx)
	err = s.Run(runCtx, terminalReader{rl})
	if errors.Is(err, ErrStatementsFailed) || runCtx.Err() != nil {
		return nil // errors were on screen, or SIGTERM ended the session
	}
	return err
}

// handleSignals starts the goroutine that turns SIGINT into Interrupt and
// SIGTERM into the end of the session; stop ends it and waits for it.
func (s *Shell) handleSignals(ctx context.Context, end context.CancelFunc, rl *readline.Instance) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case sig := <-sigs:
				if sig == os.Interrupt {
					s.Interrupt()
					continue
				}
				end()
				_ = rl.Close() // unblocks the pending Readline
				return
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(quit)
		wg.Wait()
	}
}

func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, HistoryFile)
}

// terminalReader adapts readline to LineReader.
type terminalReader struct{ rl *readline.Instance }

func (t terminalReader) ReadLine(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	switch {
	case errors.Is(err, readline.ErrInterrupt):
		return "", ErrInterrupted
	case errors.Is(err, io.EOF):
		_, _ = fmt.Fprintln(t.rl.Stdout())
		return "", io.EOF
	}
	return line, err
}

// completer adapts Shell.Complete to readline, which wants the suffixes
// to insert and the length of the word they complete.
type completer struct{ s *Shell }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	word := []rune(lastWord(text))
	var out [][]rune
	for _, cand := range c.s.Complete(text) {
		r := []rune(cand)
		if len(r) < len(word) {
			continue
		}
		suffix := r[len(word):]
		if len(suffix) == 0 || suffix[len(suffix)-1] != '.' {
			suffix = append(suffix, ' ')
		}
		out = append(out, suffix)
	}
	return out, len(word)
}
