package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// LogHandler is the slog handler of `sibyl serve`: the text or JSON
// handler of the standard library behind two corrections.
//
//   - One component key per line. Parts tag their loggers with
//     With("component", ...), and a part handed a tagged logger tags it
//     again (storage's Pebble adapter, the admin TLS listener); the
//     standard handlers print every With'ed attribute, so a line showed
//     "component" twice, which JSON consumers reject or resolve
//     arbitrarily. LogHandler keeps the attributes itself and the
//     innermost component wins.
//   - A level per component, changeable at run time (nodetool
//     setlogginglevel): SetLevel("", l) sets the default, SetLevel(c, l)
//     one component's.
type LogHandler struct {
	inner     slog.Handler // sees every level; LogHandler filters
	attrs     []slog.Attr  // With'ed attributes, component excluded
	component string
	grouped   bool // after WithGroup attributes go to inner directly
	levels    *logLevels
}

type logLevels struct {
	mu    sync.RWMutex
	def   slog.Level
	byCmp map[string]slog.Level
}

func (l *logLevels) enabled(component string, lvl slog.Level) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if c, ok := l.byCmp[component]; ok {
		return lvl >= c
	}
	return lvl >= l.def
}

// NewLogHandler writes to w as "text" or "json" from level up.
func NewLogHandler(w io.Writer, format string, level slog.Level) (*LogHandler, error) {
	opts := &slog.HandlerOptions{Level: slog.Level(-1 << 10)}
	var inner slog.Handler
	switch strings.ToLower(format) {
	case "text", "":
		inner = slog.NewTextHandler(w, opts)
	case "json":
		inner = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("invalid log format %q: want text or json", format)
	}
	return &LogHandler{inner: inner, levels: &logLevels{def: level, byCmp: map[string]slog.Level{}}}, nil
}

// SetLevel sets the level of component ("" or "all": the default, and
// every component's).
func (h *LogHandler) SetLevel(component string, lvl slog.Level) {
	h.levels.mu.Lock()
	defer h.levels.mu.Unlock()
	if component == "" || component == "all" {
		h.levels.def = lvl
		clear(h.levels.byCmp)
		return
	}
	h.levels.byCmp[component] = lvl
}

// Levels returns the default level and the components' own.
func (h *LogHandler) Levels() (slog.Level, map[string]slog.Level) {
	h.levels.mu.RLock()
	defer h.levels.mu.RUnlock()
	out := make(map[string]slog.Level, len(h.levels.byCmp))
	for c, l := range h.levels.byCmp {
		out[c] = l
	}
	return h.levels.def, out
}

// Enabled reports whether the handler's component logs at lvl; a
// component named on the record itself is checked again in Handle.
func (h *LogHandler) Enabled(_ context.Context, lvl slog.Level) bool {
	if h.levels.enabled(h.component, lvl) {
		return true
	}
	// A record may name another component (Pebble's adapter does): let
	// Handle decide when any component is more verbose than this one.
	h.levels.mu.RLock()
	defer h.levels.mu.RUnlock()
	for _, l := range h.levels.byCmp {
		if lvl >= l {
			return true
		}
	}
	return false
}

// Handle writes r with the handler's attributes, one component.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	component := h.component
	var own []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "component" && !h.grouped {
			component = a.Value.Resolve().String()
			return true
		}
		own = append(own, a)
		return true
	})
	if !h.levels.enabled(component, r.Level) {
		return nil
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if !h.grouped {
		if component != "" {
			out.AddAttrs(slog.String("component", component))
		}
		out.AddAttrs(h.attrs...)
	}
	out.AddAttrs(own...)
	return h.inner.Handle(ctx, out)
}

// WithAttrs returns a handler with attrs added; a component replaces the
// previous one.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	if h.grouped {
		c.inner = h.inner.WithAttrs(attrs)
		return &c
	}
	c.attrs = slices.Clone(h.attrs)
	for _, a := range attrs {
		if a.Key == "component" {
			c.component = a.Value.Resolve().String()
			continue
		}
		c.attrs = append(c.attrs, a)
	}
	return &c
}

// WithGroup returns a handler whose later attributes are in group name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	if !h.grouped {
		pre := h.attrs
		if h.component != "" {
			pre = append([]slog.Attr{slog.String("component", h.component)}, pre...)
		}
		c.inner, c.attrs, c.grouped = h.inner.WithAttrs(pre), nil, true
	}
	c.inner = c.inner.WithGroup(name)
	return &c
}

// logHandlerOf is the LogHandler behind l, if it has one.
func logHandlerOf(l *slog.Logger) (*LogHandler, bool) {
	h, ok := l.Handler().(*LogHandler)
	return h, ok
}
