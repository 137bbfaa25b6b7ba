package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// newClusterStartCmd is `sibyl cluster start NODE`: start again one node
// of the local cluster that was stopped (or crashed), on its data.
func newClusterStartCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "start NODE",
		Short: "Start one stopped node of the local cluster (127.0.0.N, or N)",
		Long: `Start again one node of the local cluster "sibyl cluster" started, on its
existing data directory under --data-dir/<address>, and wait until it is up
and normal. NODE is its address (127.0.0.2) or its number (2).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dataDir, err := cmd.Flags().GetString("data-dir")
			if err != nil {
				return err
			}
			addr, err := localNodeAddr(args[0])
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dataDir, addr)); err != nil {
				return fmt.Errorf("node %s has no directory in %s: start the cluster with `sibyl cluster` first", addr, dataDir)
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("cannot find the sibyl binary: %w", err)
			}
			pid, err := startLocalNode(self, dataDir, addr)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "started %s (pid %d), log in %s\n", addr, pid, filepath.Join(dataDir, addr, "sibyl.log"))
			if err := waitForNormal(cmd.Context(), addr, 120*time.Second); err != nil {
				return fmt.Errorf("node %s did not come up (see its log): %w", addr, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s is up and normal\n", addr)
			return err
		},
	}
}

// localNodeAddr resolves "2" or "127.0.0.2" to a local cluster address.
func localNodeAddr(s string) (string, error) {
	if i, err := strconv.Atoi(s); err == nil && i >= 1 && i <= len(localClusterAddrs) {
		return localClusterAddrs[i-1], nil
	}
	if slices.Contains(localClusterAddrs, s) {
		return s, nil
	}
	return "", fmt.Errorf("no node %q in the local cluster: give one of %v or 1-%d", s, localClusterAddrs, len(localClusterAddrs))
}
