package node

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

// writeJSON sends what json.Encoder with the same indent would, and a
// value that cannot be encoded becomes a 500, not a 200 with a cut body.
func TestWriteJSON(t *testing.T) {
	v := map[string]any{"status": "ok", "n": 3, "html": "<a&b>"}
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusConflict, v)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusConflict || rec.Body.String() != want.String() {
		t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), http.StatusConflict, want.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}

	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]float64{"x": math.NaN()})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("an unencodable value answered %d %q, want 500", rec.Code, rec.Body.String())
	}
}
