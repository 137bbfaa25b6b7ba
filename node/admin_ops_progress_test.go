package node

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestOperationsProgressLogAndList: an operation is listed running with
// its progress while it runs, then finished; its start, every tenth and
// its end are logged.
func TestOperationsProgressLogAndList(t *testing.T) {
	var buf bytes.Buffer
	r := &operations{log: slog.New(slog.NewTextHandler(&buf, nil))}
	p := r.start("repair", "ks", "ranges", 20)
	p.add(5, 100)
	list := r.list()
	if len(list) != 1 || list[0].State != "running" || list[0].Done != 5 || list[0].Total != 20 || list[0].Bytes != 100 || list[0].Percent() != 25 {
		t.Fatalf("while running: %+v", list)
	}
	for range 15 {
		p.add(1, 0)
	}
	p.finish(nil)
	q := r.start("cleanup", "ks", "tables", 2)
	q.finish(errors.New("disk on fire"))
	list = r.list()
	if len(list) != 2 || list[0].State != "done" || list[0].Done != 20 || list[1].State != "failed" || list[1].Error != "disk on fire" {
		t.Fatalf("after: %+v", list)
	}
	log := buf.String()
	for _, want := range []string{"repair started", "percent=20", "percent=90", "repair finished", "cleanup failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "repair progress"); n != 8 { // 20%..90%: tenths 2..9 crossed before the end
		t.Errorf("%d progress lines, want 8:\n%s", n, log)
	}
}

// TestPeerActivityEndsWhenIdle: a peer's requests count toward one
// operation, which ends once the peer has been quiet for peerIdle.
func TestPeerActivityEndsWhenIdle(t *testing.T) {
	r := &operations{}
	r.peerActivity("stream-out", "10.0.0.2:7000", "partitions", 3, 300)
	r.peerActivity("stream-out", "10.0.0.2:7000", "partitions", 2, 200)
	list := r.list()
	if len(list) != 1 || list[0].State != "running" || list[0].Done != 5 || list[0].Bytes != 500 {
		t.Fatalf("while streaming: %+v", list)
	}
	r.endIdle(time.Now().Add(peerIdle))
	list = r.list()
	if len(list) != 1 || list[0].State != "done" || list[0].Done != 5 {
		t.Fatalf("after the peer went quiet: %+v", list)
	}
}
