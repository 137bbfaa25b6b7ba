// Command sibyl runs a Sibyl node and the tools around it: `sibyl serve`
// starts a node, `sibyl bench` drives load at one, `sibyl version` prints
// the build. main stays thin: flags and the YAML file become a
// node.Config, and node.Run does the rest.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sibyldb/sibyl/node"
)

func main() {
	node.SoftwareVersion = version // what /status reports besides the emulated Cassandra version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sibyl:", err)
		os.Exit(1)
	}
}
