package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// adminFor returns adminFlags that talk to srv.
func adminFor(t *testing.T, srv *httptest.Server) *adminFlags {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return &adminFlags{host: host, port: p}
}

// An answer longer than the bound is refused as too long, not cut and
// then reported as malformed JSON; one at the bound decodes.
func TestCallLongJSONBoundsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A JSON string of exactly ?size= bytes, quotes included.
		size, err := strconv.Atoi(r.URL.Query().Get("size"))
		if err != nil || size < 2 {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`"` + strings.Repeat("x", size-2) + `"`))
	}))
	defer srv.Close()
	a := adminFor(t, srv)
	path := func(size int) string { return "/status?size=" + strconv.Itoa(size) }

	size := maxAdminAnswer
	var s string
	if err := a.callLongJSON(context.Background(), http.MethodGet, path(size), &s); err != nil {
		t.Fatalf("answer of %d bytes: %v", size, err)
	}
	if len(s) != size-2 {
		t.Fatalf("decoded %d bytes, want %d", len(s), size-2)
	}

	size = maxAdminAnswer + 1
	err := a.callLongJSON(context.Background(), http.MethodGet, path(size), &s)
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("answer of %d bytes: err = %v, want it refused as too long", size, err)
	}
}
