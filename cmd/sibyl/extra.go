package main

import "github.com/spf13/cobra"

// addExtraCommands registers the subcommands other packages' owners
// provide (bench: cmd/sibyl/bench.go).
func addExtraCommands(root *cobra.Command) {
	_ = root
}
