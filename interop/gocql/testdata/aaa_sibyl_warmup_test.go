//go:build cassandra || integration

// This file is not part of Sibyl's own tests: the gocql-suites runner
// (interop/gocql) copies it into its temporary copy of each gocql module
// before building that module's integration tests. Its name sorts first,
// so this test runs first in every process.

package gocql

import "testing"

// TestSibylWarmup creates the keyspace gocql_test with the suite's default
// cluster configuration, as the first test of a full upstream run does.
// Without it, the one test a process runs would create the keyspace with
// its own configuration, and tests that set a host selection policy would
// share it between that session and their own, which gocql refuses with a
// panic ("sharing token aware host selection policy between sessions is
// not supported") that has nothing to do with the server.
func TestSibylWarmup(t *testing.T) {
	session := createSession(t)
	session.Close()
}
