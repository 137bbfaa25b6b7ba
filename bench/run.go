package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gocql/gocql"
)

// Run connects to the cluster, creates the schema when missing, runs the
// load described by cfg and returns its report. It returns when the run is
// complete (Duration or Ops reached) or ctx is done; in the latter case the
// report covers what ran, and an error is returned only if nothing did.
// Every goroutine Run starts has returned by then, and the session is
// closed.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := prepare(cfg)
	if err != nil {
		return Report{}, err
	}
	r, err := newRunner(cfg, realClock{}, errorKind)
	if err != nil {
		return Report{}, err
	}
	if err := r.usage.check(); err != nil {
		return Report{}, err
	}
	session, err := connect(ctx, &cfg)
	if err != nil {
		return Report{}, err
	}
	defer session.Close()
	return r.run(ctx, newCQLTarget(&cfg, session))
}

// RunTarget runs the load described by cfg against t instead of a cluster,
// with the same pacing, key choice, histograms and report as Run; the
// client fields of cfg (hosts, consistency, schema) are only recorded.
// classify names error kinds for the report (nil: the CQL classifier).
func RunTarget(ctx context.Context, cfg Config, t Target, classify func(error) string) (Report, error) {
	cfg, err := prepare(cfg)
	if err != nil {
		return Report{}, err
	}
	if classify == nil {
		classify = errorKind
	}
	r, err := newRunner(cfg, realClock{}, classify)
	if err != nil {
		return Report{}, err
	}
	if err := r.usage.check(); err != nil {
		return Report{}, err
	}
	return r.run(ctx, t)
}

// prepare clones cfg, applies defaults, validates it and picks a seed.
func prepare(cfg Config) (Config, error) {
	cfg = cfg.Clone()
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano()
	}
	return cfg, nil
}

// connect opens the session and ensures the schema; both are bounded by
// cfg.ConnectTimeout.
func connect(ctx context.Context, cfg *Config) (*gocql.Session, error) {
	cc, err := clusterConfig(cfg)
	if err != nil {
		return nil, err
	}
	session, err := cc.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("bench: cannot connect to %v: %w", cfg.Hosts, err)
	}
	setupCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := ensureSchema(setupCtx, session, cfg); err != nil {
		session.Close()
		return nil, err
	}
	return session, nil
}
