package exec_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// An *exec.Error built from another error's text keeps that error as its
// Cause: the client's message is the same, and errors.Is/As reach the
// original through it.
func TestErrorKeepsItsCause(t *testing.T) {
	h := newHarness(t)
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")

	t.Run("schema refusal", func(t *testing.T) {
		_, err := h.ex.Query(context.Background(), h.sess, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", nil)
		var ce *exec.Error
		var ae *schema.AlreadyExistsError
		if !errors.As(err, &ce) || !errors.As(err, &ae) {
			t.Fatalf("err = %#v, want an *exec.Error caused by a *schema.AlreadyExistsError", err)
		}
		if ce.Code != exec.CodeAlreadyExists || ce.Message != ae.Error() {
			t.Fatalf("client sees %v %q, want already exists %q", ce.Code, ce.Message, ae.Error())
		}
	})

	t.Run("bad option", func(t *testing.T) {
		_, err := h.ex.Query(context.Background(), h.sess, "ALTER TABLE ks.t WITH gc_grace_seconds = 'soon'", nil)
		var ce *exec.Error
		var ne *strconv.NumError
		if !errors.As(err, &ce) || !errors.As(err, &ne) {
			t.Fatalf("err = %#v, want an *exec.Error caused by a *strconv.NumError", err)
		}
		want := "Invalid value for property 'gc_grace_seconds': " + ne.Error()
		if ce.Code != exec.CodeConfigError || ce.Message != want {
			t.Fatalf("client sees %v %q, want config error %q", ce.Code, ce.Message, want)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := h.ex.Query(ctx, h.sess, "SELECT * FROM ks.t WHERE k = 1", nil)
		var ce *exec.Error
		if !errors.As(err, &ce) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %#v, want an *exec.Error caused by context.Canceled", err)
		}
		if !strings.Contains(ce.Message, context.Canceled.Error()) {
			t.Fatalf("client sees %q, want the cancellation in it", ce.Message)
		}
	})
}
