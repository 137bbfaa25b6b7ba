package server

import "github.com/sibyldb/sibyl/cql/exec"

// The executor is the Handler node/ plugs in.
var _ Handler = (*exec.Executor)(nil)
