package node

import (
	"context"

	"github.com/sibyldb/sibyl/cql/exec"
)

// CAS runs a lightweight transaction. Paxos is being built; until then a
// conditional statement is refused as before.
func (c *Coordinator) CAS(context.Context, *exec.CASRequest) (exec.CASResult, error) {
	return exec.CASResult{}, exec.Errorf(exec.CodeInvalid, "Conditional updates (IF, IF EXISTS, IF NOT EXISTS) are not supported by this server")
}
