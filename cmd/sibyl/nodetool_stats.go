package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sibyldb/sibyl/node"
)

func newNodetoolStatsCmds() []*cobra.Command {
	return []*cobra.Command{newTableHistogramsCmd(), newTPStatsCmd(),
		throughputVerb("setstreamthroughput", "stream", "Limit the bytes per second the node streams (bootstrap, decommission, repair); 0 = unlimited", "/ops/streamthroughput"),
		throughputVerb("setcompactionthroughput", "compaction", "Limit the bytes per second compactions write (flushes are never limited); 0 = unlimited", "/ops/compactionthroughput")}
}

func newTableHistogramsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "tablehistograms KEYSPACE TABLE",
		Short: "Show percentiles of the table's partition sizes, cell and row counts on this node",
		Long: `Show the percentiles of the sizes (bytes), cell counts and row counts of the
partitions this node holds of the table. The node reads its whole local data
of the table to answer.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h node.Histogram
			q := url.Values{"keyspace": {args[0]}, "table": {args[1]}}
			if err := v.a.callLongJSON(cmd.Context(), http.MethodGet, "/ops/tablehistograms?"+q.Encode(), &h); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), h, func() error { return printHistogram(cmd.OutOrStdout(), h) })
		},
	}
	v.register(cmd)
	return cmd
}

func printHistogram(w io.Writer, h node.Histogram) error {
	fmt.Fprintf(w, "%s/%s histograms (%d partitions)\n", h.Keyspace, h.Table, h.Partitions)
	tw := tabwriter.NewWriter(w, 0, 0, 4, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Percentile\tPartition Size\tCell Count\tRow Count\t")
	fmt.Fprintln(tw, "\t(bytes)\t\t\t")
	for i, p := range h.Percentiles {
		label := fmt.Sprintf("%.0f%%", p)
		switch p {
		case 0:
			label = "Min"
		case 100:
			label = "Max"
		}
		if i < len(h.Bytes) && i < len(h.Cells) && i < len(h.Rows) {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", label, h.Bytes[i], h.Cells[i], h.Rows[i])
		}
	}
	return tw.Flush()
}

func newTPStatsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "tpstats",
		Short: "Show the work each part of the node has done, in nodetool tpstats' pools",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var st node.TPStats
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/tpstats", &st); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), st, func() error {
				w := cmd.OutOrStdout()
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "Pool Name\tActive\tPending\tCompleted\tBlocked\tAll time blocked")
				for _, s := range st.Stages {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", s.Name, s.Active, s.Pending, s.Completed, s.Blocked, s.AllBlock)
				}
				fmt.Fprintln(tw, "\nMessage type\tDropped")
				for k, n := range st.Dropped {
					fmt.Fprintf(tw, "%s\t%d\n", k, n)
				}
				return tw.Flush()
			})
		},
	}
	v.register(cmd)
	return cmd
}

func throughputVerb(name, what, short, path string) *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   name + " MB_PER_SEC",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := strconv.ParseFloat(args[0], 64); err != nil {
				return fmt.Errorf("%q is not a number of megabytes per second", args[0])
			}
			var out map[string]float64
			if err := v.a.call(cmd.Context(), http.MethodPost, path+"?mbps="+url.QueryEscape(args[0]), &out); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), out, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s throughput: %g MB/s\n", what, out["mb_per_sec"])
				return err
			})
		},
	}
	v.register(cmd)
	return cmd
}
