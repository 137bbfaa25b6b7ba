package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

// nodetool's settraceprobability and gettraceprobability, over the admin
// API (node/tracing_admin.go).

func newSetTraceProbabilityCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "settraceprobability P",
		Short: "Trace a share P (0 to 1) of the node's requests without the client asking",
		Long: `Set the probability, between 0 and 1, that the node at --host traces a
request whose client did not ask for tracing, as nodetool
settraceprobability does. Such sessions are written to system_traces
like any other (one day TTL) but the client is not told their id: find
them in system_traces.sessions. 0 turns sampling off; the setting is not
kept across a restart. Trace rows cost writes: use small values on a busy
cluster (0.001 traces one request in a thousand).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := strconv.ParseFloat(args[0], 64)
			if err != nil || p < 0 || p > 1 {
				return fmt.Errorf("trace probability must be a number between 0 and 1, got %q", args[0])
			}
			var out struct {
				Probability float64 `json:"probability"`
			}
			q := url.Values{"value": {strconv.FormatFloat(p, 'g', -1, 64)}}
			if err := a.call(cmd.Context(), http.MethodPost, "/tracing/probability?"+q.Encode(), &out); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "trace probability of %s: %g\n", a.host, out.Probability)
			return err
		},
	}
	a.register(cmd)
	return cmd
}

func newGetTraceProbabilityCmd() *cobra.Command {
	var a adminFlags
	cmd := &cobra.Command{
		Use:   "gettraceprobability",
		Short: "Print the share of the node's requests traced without the client asking",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Probability float64 `json:"probability"`
			}
			if err := a.call(cmd.Context(), http.MethodGet, "/tracing/probability", &out); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "Current trace probability: %g\n", out.Probability)
			return err
		},
	}
	a.register(cmd)
	return cmd
}
