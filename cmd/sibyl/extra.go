package main

import "github.com/spf13/cobra"

// addExtraCommands registers the subcommands whose code lives in other
// owners' files: bench (cmd/sibyl/bench.go, over package bench).
func addExtraCommands(root *cobra.Command) {
	root.AddCommand(newBenchCmd())
	cluster := newClusterCmd()
	cluster.AddCommand(newClusterStartCmd())                                                                                        // cmd/sibyl/nodetool_cluster.go
	root.AddCommand(newStatusCmd(), newRingCmd(), cluster, newDecommissionCmd(), newDrainCmd(), newRemoveNodeCmd(), newRepairCmd()) // cmd/sibyl/cluster.go
	root.AddCommand(newNodetoolCmds()...)
	root.AddCommand(newNodetoolStatsCmds()...) // cmd/sibyl/nodetool*.go
	// cmd/sibyl/tracing.go
	root.AddCommand(newSetTraceProbabilityCmd(), newGetTraceProbabilityCmd())
}
