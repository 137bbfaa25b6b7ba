package main

import "github.com/spf13/cobra"

// addExtraCommands registers the subcommands whose code lives in other
// owners' files: bench (cmd/sibyl/bench.go, over package bench).
func addExtraCommands(root *cobra.Command) {
	root.AddCommand(newBenchCmd())
	root.AddCommand(newStatusCmd(), newRingCmd(), newClusterCmd(), newDecommissionCmd(), newDrainCmd(), newRemoveNodeCmd(), newRepairCmd()) // cmd/sibyl/cluster.go
	// cmd/sibyl/tracing.go
	root.AddCommand(newSetTraceProbabilityCmd(), newGetTraceProbabilityCmd())
}
