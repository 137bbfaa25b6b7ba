package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/bench"
)

// TestWriteReadScanValidate writes a small key space, reads and scans it
// back with validation, and checks that reading rows never written fails
// validation.
func TestWriteReadScanValidate(t *testing.T) {
	dir := t.TempDir()
	keys := []string{"--dir", dir, "--partitions", "50", "--rows-per-partition", "4", "--value-size", "33",
		"--concurrency", "8", "--quiet"}
	runOK := func(args ...string) bench.Report {
		t.Helper()
		out := filepath.Join(t.TempDir(), "r.json")
		var log bytes.Buffer
		if err := run(context.Background(), append(append(args, keys...), "--json", out), &log); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, log.String())
		}
		rep, err := bench.ReadReportFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	w := runOK("--mode", "write", "--distribution", "sequential", "--ops", "200")
	if w.Ops != 200 || w.Errors != 0 {
		t.Fatalf("write: %+v", w)
	}
	// This process is the server: with a /proc, its CPU time is reported.
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		if w.ServerCPUS == nil || w.ServerCPUUsPerOp == nil || len(w.ServerPIDs) != 1 || w.ServerPIDs[0] != os.Getpid() {
			t.Fatalf("write: server pids %v, CPU %v s, %v µs/op; want this process's", w.ServerPIDs, w.ServerCPUS, w.ServerCPUUsPerOp)
		}
	}
	r := runOK("--mode", "read", "--ops", "500", "--validate")
	if r.Errors != 0 || r.RowsChecked != 500 {
		t.Fatalf("read: %d rows checked, errors %v", r.RowsChecked, r.ErrorSamples)
	}
	s := runOK("--mode", "scan", "--distribution", "sequential", "--ops", "50", "--validate")
	if s.Errors != 0 || s.RowsChecked != 200 {
		t.Fatalf("scan: %d rows checked, errors %v", s.RowsChecked, s.ErrorSamples)
	}
	m := runOK("--mode", "read", "--ops", "20", "--validate", "--partition-offset", "1000")
	if m.ErrorsByKind["missing"] != 20 {
		t.Fatalf("reading unwritten rows: %v", m.ErrorsByKind)
	}
}

func TestFlags(t *testing.T) {
	if _, err := parseFlags([]string{"--mode", "write"}); err == nil || !strings.Contains(err.Error(), "--dir") {
		t.Fatalf("missing --dir accepted: %v", err)
	}
	if err := run(context.Background(), []string{"--dir", t.TempDir(), "--mode", "bogus"}, &bytes.Buffer{}); err == nil {
		t.Fatal("bogus mode accepted")
	}
}

func TestKeyLayout(t *testing.T) {
	for _, ck := range []int64{0, 1, -1, 255, 1 << 40, -1 << 63, 1<<63 - 1} {
		k := rowKey(nil, 7, ck)
		p := partitionKey(nil, 7)
		if !bytes.HasPrefix(k, p) || k[len(p)] != regionRows {
			t.Fatalf("row key %x does not extend partition key %x with the rows region", k, p)
		}
		got, err := decodeCK(k[len(p)+1:])
		if err != nil || got != ck {
			t.Fatalf("ck %d decoded as %d (%v)", ck, got, err)
		}
	}
	a, b := rowKey(nil, 7, -5), rowKey(nil, 7, 3)
	if bytes.Compare(a, b) >= 0 {
		t.Fatal("clustering keys do not sort numerically")
	}
}
