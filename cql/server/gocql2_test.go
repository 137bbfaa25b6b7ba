package server

import (
	"context"
	"net"
	"testing"
	"time"

	gocql2 "github.com/apache/cassandra-gocql-driver/v2"
)

// TestGocqlV2Negotiates connects the Apache gocql driver (v2) with its
// default settings: ProtoVersion 0, so it negotiates, starting at v5.
// It steps down only when the refusal of v5 is an ERROR on stream 0, as
// Cassandra sends it; on any other stream the session cannot be made.
func TestGocqlV2Negotiates(t *testing.T) {
	if testing.Short() {
		t.Skip("gocql end-to-end test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv, err := New(Config{}, newFakeCluster(port))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	cluster := gocql2.NewCluster("127.0.0.1")
	cluster.Port = port
	cluster.Timeout = 5 * time.Second
	cluster.ConnectTimeout = 5 * time.Second
	cluster.NumConns = 1
	cluster.Consistency = gocql2.One
	if cluster.ProtoVersion != 0 {
		t.Fatalf("gocql v2's default ProtoVersion is %d, not 0 (negotiate)", cluster.ProtoVersion)
	}
	sess, err := cluster.CreateSession()
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	defer sess.Close()

	if err := sess.Query(insertKV, "v2", 42).Exec(); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var v int
	if err := sess.Query(selectKV, "v2").Scan(&v); err != nil || v != 42 {
		t.Fatalf("select: %d %v", v, err)
	}
}
