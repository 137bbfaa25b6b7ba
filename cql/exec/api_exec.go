package exec

import (
	"context"
	"fmt"
	"slices"
)

// Query parses, analyses and runs one statement sent as text.
func (e *Executor) Query(ctx context.Context, s *Session, query string, o *QueryOptions) (res Result, err error) {
	defer e.finish(&err)
	if s == nil {
		s = e.NewSession()
	}
	s.countRequest()
	if o == nil {
		o = &QueryOptions{SerialConsistency: Serial}
	}
	if err := e.checkOptions(o); err != nil {
		return nil, err
	}
	Tracef(ctx, "Parsing %s", query)
	stmt, err := parse(query)
	if err != nil {
		return nil, err
	}
	Tracef(ctx, "Preparing statement")
	an, err := e.analyze(stmt, e.cfg.Schema.Catalog(), s.Keyspace())
	if err != nil {
		return nil, err
	}
	values, err := resolveValues(an.bind, markerNames(stmt), o)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, s, an.access); err != nil {
		return nil, e.clientError(ctx, err)
	}
	res, err = an.plan.run(ctx, e, s, &bindEnv{values: values, e: e, session: s}, o)
	if err != nil {
		return nil, e.clientError(ctx, err)
	}
	e.afterSchemaChange(ctx, s, res)
	e.afterWrite(an)
	return res, nil
}

// Prepare analyses a statement and caches it under its deterministic id.
func (e *Executor) Prepare(ctx context.Context, s *Session, query string) (res *PreparedResult, err error) {
	defer e.finish(&err)
	if s == nil {
		s = e.NewSession()
	}
	s.countRequest()
	Tracef(ctx, "Parsing %s", query)
	stmt, err := parse(query)
	if err != nil {
		return nil, err
	}
	Tracef(ctx, "Preparing statement")
	ks := s.Keyspace()
	an, err := e.analyze(stmt, e.cfg.Schema.Catalog(), ks)
	if err != nil {
		return nil, err
	}
	id := preparedID(ks, query)
	e.prepared.put(&preparedEntry{id: id, query: query, keyspace: ks, stmt: stmt, an: an})
	return &PreparedResult{ID: id, Bind: an.bind, PKIndexes: an.pk, Result: an.result}, nil
}

// Execute runs a prepared statement. An id this node does not know (or
// no longer knows, or whose result columns changed with the schema) is
// answered Unprepared, so the driver prepares it again.
func (e *Executor) Execute(ctx context.Context, s *Session, id []byte, o *QueryOptions) (res Result, err error) {
	defer e.finish(&err)
	if s == nil {
		s = e.NewSession()
	}
	s.countRequest()
	if o == nil {
		o = &QueryOptions{SerialConsistency: Serial}
	}
	if err := e.checkOptions(o); err != nil {
		return nil, err
	}
	p, an, err := e.preparedStatement(id)
	if err != nil {
		return nil, err
	}
	traceParameter(ctx, "query", p.query)
	values, err := resolveValues(an.bind, markerNames(p.stmt), o)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, s, an.access); err != nil {
		return nil, e.clientError(ctx, err)
	}
	res, err = an.plan.run(ctx, e, s, &bindEnv{values: values, e: e, session: s}, o)
	if err != nil {
		return nil, e.clientError(ctx, err)
	}
	e.afterSchemaChange(ctx, s, res)
	e.afterWrite(an)
	return res, nil
}

// checkOptions refuses what Cassandra refuses while decoding the options
// of QUERY and EXECUTE, before the statement is looked at.
func (e *Executor) checkOptions(o *QueryOptions) error {
	if err := checkConsistency(o.Consistency, o.SerialConsistency); err != nil {
		return err
	}
	return e.checkDefaultTimestamp(o.HasTimestamp, o.Timestamp)
}

// preparedStatement returns a prepared statement analysed against the
// current catalog, re-analysing it when the schema changed since.
func (e *Executor) preparedStatement(id []byte) (*preparedEntry, *analyzed, error) {
	p := e.prepared.get(id)
	if p == nil {
		return nil, nil, unprepared(id)
	}
	cat := e.cfg.Schema.Catalog()
	an := p.analysis()
	if an.catalog == cat {
		return p, an, nil
	}
	fresh, err := e.analyze(p.stmt, cat, p.keyspace)
	if err != nil {
		return nil, nil, err
	}
	if !sameSpecs(fresh.result, an.result) || !sameSpecs(fresh.bind, an.bind) {
		e.prepared.remove(id)
		return nil, nil, unprepared(id)
	}
	p.setAnalysis(fresh)
	return p, fresh, nil
}

func unprepared(id []byte) *Error {
	return &Error{Code: CodeUnprepared, Message: fmt.Sprintf("Prepared query with ID %x not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", id), UnpreparedID: slices.Clone(id)}
}

func sameSpecs(a, b []ColumnSpec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Keyspace != b[i].Keyspace || a[i].Table != b[i].Table || !a[i].Type.Equal(b[i].Type) {
			return false
		}
	}
	return true
}

// Batch runs a BATCH message: each statement is text or a prepared id
// with its own values; all share one timestamp unless they set their own,
// and their mutations are merged per partition into one write.
func (e *Executor) Batch(ctx context.Context, s *Session, b *Batch) (res Result, err error) {
	defer e.finish(&err)
	if s == nil {
		s = e.NewSession()
	}
	s.countRequest()
	if err := checkConsistency(b.Consistency, b.SerialConsistency); err != nil {
		return nil, err
	}
	if err := e.checkDefaultTimestamp(b.HasTimestamp, b.Timestamp); err != nil {
		return nil, err
	}
	kind := batchLogged
	switch b.Type {
	case UnloggedBatch:
		kind = batchUnlogged
	case CounterBatch:
		kind = batchCounter
	}
	items := make([]batchItem, 0, len(b.Statements))
	for i := range b.Statements {
		it, err := e.batchItem(s, &b.Statements[i])
		if err != nil {
			return nil, err
		}
		if err := e.authorize(ctx, s, it.access); err != nil {
			return nil, e.clientError(ctx, err)
		}
		items = append(items, it)
	}
	stmts := make([]*writeStmt, len(items))
	for i := range items {
		stmts[i] = items[i].w
	}
	if hasCAS(items) {
		if err := checkCASBatch(stmts, false); err != nil {
			return nil, err
		}
		if res, err = e.runCAS(ctx, items, true, b.SerialConsistency, b.Consistency); err != nil {
			return nil, e.clientError(ctx, err)
		}
		return res, nil
	}
	if err := checkBatchCounters(kind, stmts, false); err != nil {
		return nil, err
	}
	res, err = e.runBatch(ctx, items, kind, e.writeParams(b.HasTimestamp, b.Timestamp), b.Consistency, b.Warn)
	if err != nil {
		return nil, e.clientError(ctx, err)
	}
	return res, nil
}

func (e *Executor) batchItem(s *Session, bs *BatchStatement) (batchItem, error) {
	var an *analyzed
	var names []string
	if bs.PreparedID != nil {
		p, pa, err := e.preparedStatement(bs.PreparedID)
		if err != nil {
			return batchItem{}, err
		}
		an, names = pa, markerNames(p.stmt)
	} else {
		stmt, err := parse(bs.Query)
		if err != nil {
			return batchItem{}, err
		}
		if an, err = e.analyze(stmt, e.cfg.Schema.Catalog(), s.Keyspace()); err != nil {
			return batchItem{}, err
		}
		names = markerNames(stmt)
	}
	if an.write == nil {
		return batchItem{}, invalidf("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
	}
	values, err := resolveValues(an.bind, names, &QueryOptions{Values: bs.Values, Names: bs.Names})
	if err != nil {
		return batchItem{}, err
	}
	return batchItem{w: an.write, env: &bindEnv{values: values, e: e, session: s}, access: an.access}, nil
}

// finish is deferred by every entry point. It turns a panic in statement
// handling into a server error, so no input can take the node down (a last
// line of defence: the code checks its input and returns errors), and it
// bounds the message of the error returned (boundError), so that whatever
// the client sent, the error fits an ERROR frame.
func (e *Executor) finish(err *error) {
	if r := recover(); r != nil {
		e.log.Error("statement handling panicked", "panic", r)
		*err = Errorf(CodeServerError, "internal error: %v", r)
	}
	if *err != nil {
		*err = boundError(*err)
	}
}
