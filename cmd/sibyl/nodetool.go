package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sibyldb/sibyl/node"
)

// nodetool's verbs: each a thin command over one endpoint of the node's
// admin API (node/admin_ops.go), printing what nodetool prints, close
// enough for runbooks to carry over, or the API's JSON with --json.

// newNodetoolCmds returns every command of this file.
func newNodetoolCmds() []*cobra.Command {
	return []*cobra.Command{
		tablesVerb("flush", "Flush the memtables to sstables (all tables, or the keyspace's, or the tables given)", "/ops/flush"),
		tablesVerb("compact", "Run a major compaction of the tables (all, the keyspace's, or the tables given)", "/ops/compact"),
		newCleanupCmd(), newSnapshotCmd(), newListSnapshotsCmd(), newClearSnapshotCmd(), newRestoreCmd(),
		newTableStatsCmd(), newInfoCmd(), newDescribeClusterCmd(), newGossipInfoCmd(), newGetEndpointsCmd(),
		newTruncateHintsCmd(), newCompactionStatsCmd(), newNetstatsCmd(), newSetLoggingLevelCmd(),
	}
}

// verb is a command's admin flags and --json.
type verb struct {
	a       adminFlags
	jsonOut bool
}

func (v *verb) register(cmd *cobra.Command) {
	v.a.register(cmd)
	cmd.Flags().BoolVar(&v.jsonOut, "json", false, "print the admin API's JSON answer")
}

// emit prints out as JSON with --json, with human otherwise.
func (v *verb) emit(w io.Writer, out any, human func() error) error {
	if !v.jsonOut {
		return human()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// tablesQuery is ?keyspace=&table=... from [keyspace [tables...]].
func tablesQuery(args []string) string {
	q := url.Values{}
	if len(args) > 0 {
		q.Set("keyspace", args[0])
	}
	for _, t := range args[min(1, len(args)):] {
		q.Add("table", t)
	}
	return q.Encode()
}

func tablesVerb(name, short, path string) *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   name + " [keyspace [tables...]]",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Tables []string `json:"tables"`
			}
			if err := v.a.callLongJSON(cmd.Context(), http.MethodPost, path+"?"+tablesQuery(args), &out); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), out, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: %d tables (%s)\n", name, len(out.Tables), strings.Join(out.Tables, ", "))
				return err
			})
		},
	}
	v.register(cmd)
	return cmd
}

func newCleanupCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "cleanup [keyspace]",
		Short: "Drop the data of ranges this node no longer replicates (after a node joined)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Tables []string `json:"tables"`
			}
			if err := v.a.callLongJSON(cmd.Context(), http.MethodPost, "/ops/cleanup?"+tablesQuery(args), &out); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), out, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "cleaned up %d tables\n", len(out.Tables))
				return err
			})
		},
	}
	v.register(cmd)
	return cmd
}

func newSnapshotCmd() *cobra.Command {
	var v verb
	var tag string
	var tables []string
	cmd := &cobra.Command{
		Use:   "snapshot [keyspaces...]",
		Short: "Take a snapshot of this node's tables (all, the keyspaces', or --table's of one keyspace)",
		Long: `Take a snapshot named --tag of the node's tables: a Pebble checkpoint (hard
links, no copy) under <data_dir>/snapshots/<tag>/ with a manifest of the tables'
schema. For a backup of the whole cluster, run it on every node with one tag.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			q.Set("tag", tag)
			for _, ks := range args {
				q.Add("keyspace", ks)
			}
			for _, t := range tables {
				q.Add("table", t)
			}
			var m node.SnapshotManifest
			if err := v.a.callLongJSON(cmd.Context(), http.MethodPost, "/ops/snapshot?"+q.Encode(), &m); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), m, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "Requested creating snapshot(s) for [%s] with snapshot name [%s]\nSnapshot directory: %s\n",
					keyspaceList(args), m.Tag, m.Tag)
				return err
			})
		},
	}
	v.register(cmd)
	cmd.Flags().StringVarP(&tag, "tag", "t", "", "name of the snapshot (default: the time in milliseconds)")
	cmd.Flags().StringSliceVar(&tables, "table", nil, "only these tables of the keyspace")
	return cmd
}

func keyspaceList(args []string) string {
	if len(args) == 0 {
		return "all keyspaces"
	}
	return strings.Join(args, ", ")
}

func newListSnapshotsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "listsnapshots",
		Short: "List this node's snapshots",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []node.SnapshotInfo
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/snapshots", &list); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), list, func() error { return printSnapshots(cmd.OutOrStdout(), list) })
		},
	}
	v.register(cmd)
	return cmd
}

func printSnapshots(w io.Writer, list []node.SnapshotInfo) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "Snapshot Details: \nThere are no snapshots")
		return err
	}
	fmt.Fprintln(w, "Snapshot Details: ")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "Snapshot name\tKeyspace name\tColumn family name\tSize on disk\tCreation time")
	var total int64
	for _, s := range list {
		for _, t := range s.Tables {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Tag, t.Keyspace, t.Name, formatLoad(s.SizeBytes), s.Created.Format("2006-01-02T15:04:05Z"))
		}
		total += s.SizeBytes
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nTotal size on disk: %s\n", formatLoad(total))
	return err
}

func newClearSnapshotCmd() *cobra.Command {
	var v verb
	var tag string
	var all bool
	cmd := &cobra.Command{
		Use:   "clearsnapshot",
		Short: "Remove the snapshot --tag, or every snapshot with --all",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all == (tag != "") {
				return fmt.Errorf("give either -t/--tag or --all")
			}
			q := url.Values{}
			if all {
				q.Set("all", "true")
			} else {
				q.Set("tag", tag)
			}
			var out struct {
				Cleared []string `json:"cleared"`
			}
			if err := v.a.callLongJSON(cmd.Context(), http.MethodPost, "/ops/clearsnapshot?"+q.Encode(), &out); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), out, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "Requested clearing snapshot(s) for [%s]: removed %d\n", strings.Join(out.Cleared, ", "), len(out.Cleared))
				return err
			})
		},
	}
	v.register(cmd)
	cmd.Flags().StringVarP(&tag, "tag", "t", "", "the snapshot to remove")
	cmd.Flags().BoolVar(&all, "all", false, "remove every snapshot")
	return cmd
}

func newRestoreCmd() *cobra.Command {
	var v verb
	var tag, keyspace, table string
	cmd := &cobra.Command{
		Use:   "restore --tag TAG --keyspace KS [--table T]",
		Short: "Write the rows of a snapshot back into the live tables of this node",
		Long: `Read the rows of --keyspace (only --table, when given) from the snapshot --tag
of the node at --host and write them into the live tables of the same names,
with their original timestamps: rows written since the snapshot win, rows
deleted or truncated since come back. A table dropped since must be created
again first (its schema is in the snapshot's manifest.json). Run it on every
node that took the snapshot: each restores its own replicas.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tag == "" || keyspace == "" {
				return fmt.Errorf("--tag and --keyspace are required")
			}
			q := url.Values{"tag": {tag}, "keyspace": {keyspace}}
			if table != "" {
				q.Set("table", table)
			}
			var res node.RestoreResult
			if err := v.a.callLongJSON(cmd.Context(), http.MethodPost, "/ops/restore?"+q.Encode(), &res); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), res, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "restored %d partitions (%d rows) of %s from snapshot %s\n",
					res.Partitions, res.Rows, strings.Join(res.Tables, ", "), tag)
				if err == nil && res.DroppedColumns > 0 {
					_, err = fmt.Fprintf(cmd.OutOrStdout(), "left out %d cells of columns the tables no longer have\n", res.DroppedColumns)
				}
				return err
			})
		},
	}
	v.register(cmd)
	cmd.Flags().StringVarP(&tag, "tag", "t", "", "the snapshot to restore from")
	cmd.Flags().StringVar(&keyspace, "keyspace", "", "the keyspace to restore")
	cmd.Flags().StringVar(&table, "table", "", "only this table")
	return cmd
}

func newTableStatsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "tablestats [keyspace[.table]...]",
		Short: "Show what this node holds of each table",
		RunE: func(cmd *cobra.Command, args []string) error {
			var all []node.TableStats
			if len(args) == 0 {
				args = []string{""}
			}
			for _, a := range args {
				ks, table, _ := strings.Cut(a, ".")
				var st []node.TableStats
				if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/tablestats?"+tablesQuery(nonEmpty(ks, table)), &st); err != nil {
					return err
				}
				all = append(all, st...)
			}
			return v.emit(cmd.OutOrStdout(), all, func() error { return printTableStats(cmd.OutOrStdout(), all) })
		},
	}
	v.register(cmd)
	return cmd
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func printTableStats(w io.Writer, all []node.TableStats) error {
	fmt.Fprintf(w, "Total number of tables: %d\n----------------\n", len(all))
	byKS := map[string][]node.TableStats{}
	var kss []string
	for _, t := range all {
		if _, ok := byKS[t.Keyspace]; !ok {
			kss = append(kss, t.Keyspace)
		}
		byKS[t.Keyspace] = append(byKS[t.Keyspace], t)
	}
	for _, ks := range kss {
		fmt.Fprintf(w, "Keyspace : %s\n", ks)
		for _, t := range byKS[ks] {
			fmt.Fprintf(w, "\t\tTable: %s\n", t.Table)
			fmt.Fprintf(w, "\t\tSpace used (live): %d\n", t.SpaceUsedBytes)
			fmt.Fprintf(w, "\t\tSpace used (total): %d\n", t.SpaceUsedBytes)
			fmt.Fprintf(w, "\t\tNumber of partitions (estimate): %d\n", t.EstimatedPartitions)
			fmt.Fprintf(w, "\t\tCompacted partition mean bytes: %d\n", t.MeanPartitionBytes)
			fmt.Fprintf(w, "\t\tLocal primary ranges: %d\n", t.LocalRanges)
			fmt.Fprintf(w, "\t\tOwns (replicated share of the ring): %.1f%%\n", 100*t.Owns)
			fmt.Fprintf(w, "\t\tgc_grace_seconds: %d\n", t.GCGraceSeconds)
			fmt.Fprintf(w, "\t\tDropped columns: %d\n\n", t.DroppedColumns)
		}
		if _, err := fmt.Fprintln(w, "----------------"); err != nil {
			return err
		}
	}
	return nil
}

func newInfoCmd() *cobra.Command {
	var v verb
	var tokens bool
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show this node's state, like nodetool info",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in node.Info
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/info", &in); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), in, func() error { return printInfo(cmd.OutOrStdout(), in, tokens) })
		},
	}
	v.register(cmd)
	cmd.Flags().BoolVarP(&tokens, "tokens", "T", false, "list every token")
	return cmd
}

func printInfo(w io.Writer, in node.Info, tokens bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 0, ' ', 0)
	line := func(k string, v any) { fmt.Fprintf(tw, "%s\t: %v\n", k, v) }
	line("ID", in.HostID)
	line("Gossip active", in.GossipActive)
	line("Native Transport active", in.NativeTransport)
	line("Load", formatLoad(in.LoadBytes))
	line("Uptime (seconds)", in.UptimeSeconds)
	line("Heap Memory (MB)", fmt.Sprintf("%.2f / %.2f", float64(in.HeapUsedBytes)/(1<<20), float64(in.HeapSysBytes)/(1<<20)))
	line("Goroutines", in.Goroutines)
	line("Data Center", in.DataCenter)
	line("Rack", in.Rack)
	line("Block Cache", fmt.Sprintf("%d hits, %d misses, %.3f recent hit rate", in.BlockCacheHits, in.BlockCacheMisses, in.BlockCacheRatio))
	line("Pending hints", in.PendingHints)
	line("Snapshots", in.Snapshots)
	line("Sibyl version", in.Version)
	line("Cassandra version", in.CassandraVersion)
	if tokens {
		for _, t := range in.Tokens {
			line("Token", t)
		}
	} else {
		line("Token", fmt.Sprintf("(invoke with -T/--tokens to see all %d tokens)", len(in.Tokens)))
	}
	return tw.Flush()
}

func newDescribeClusterCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "describecluster",
		Short: "Show the cluster's name, partitioner and the schema version of every node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var d node.ClusterDescription
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/describecluster", &d); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), d, func() error {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Cluster Information:\n\tName: %s\n\tSnitch: %s\n\tPartitioner: %s\n\tSchema versions:\n", d.Name, d.Snitch, d.Partitioner)
				versions := make([]string, 0, len(d.SchemaVersions))
				for ver := range d.SchemaVersions {
					versions = append(versions, ver)
				}
				sort.Strings(versions)
				for _, ver := range versions {
					fmt.Fprintf(w, "\t\t%s: [%s]\n\n", ver, strings.Join(d.SchemaVersions[ver], ", "))
				}
				return nil
			})
		},
	}
	v.register(cmd)
	return cmd
}

func newGossipInfoCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "gossipinfo",
		Short: "Show the gossip state of every node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []node.GossipEntry
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/gossipinfo", &list); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), list, func() error {
				w := cmd.OutOrStdout()
				for _, e := range list {
					status := strings.ToUpper(e.Status)
					if e.Left {
						status = "LEFT"
					}
					fmt.Fprintf(w, "/%s\n  STATUS:%s\n  UP:%t\n  SCHEMA:%s\n  DC:%s\n  RACK:%s\n  HOST_ID:%s\n  TOKENS:%d\n",
						e.Address, status, e.Up, e.Schema, e.DC, e.Rack, e.HostID, e.Tokens)
					fmt.Fprintf(w, "  NATIVE_ADDRESS_AND_PORT:%s:%d\n  INTERNAL_ADDRESS_AND_PORT:%s:%d\n  GOSSIP_PORT:%d\n  ADMIN_PORT:%d\n",
						e.Address, e.NativePort, e.Address, e.StoragePort, e.GossipPort, e.AdminPort)
					if e.DownSince != "" {
						fmt.Fprintf(w, "  DOWN_SINCE:%s\n", e.DownSince)
					}
				}
				return nil
			})
		},
	}
	v.register(cmd)
	return cmd
}

func newGetEndpointsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "getendpoints KEYSPACE TABLE KEY",
		Short: "Print the addresses of the replicas of a partition key (composite keys: a:b)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"keyspace": {args[0]}, "table": {args[1]}, "key": {args[2]}}
			var ep node.Endpoints
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/endpoints?"+q.Encode(), &ep); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), ep, func() error {
				for _, a := range ep.Addresses {
					if _, err := fmt.Fprintln(cmd.OutOrStdout(), a); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	v.register(cmd)
	return cmd
}

func newTruncateHintsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "truncatehints [host]",
		Short: "Drop the hints this node keeps (for one node: its address or host id)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if len(args) == 1 {
				q.Set("host", args[0])
			}
			var out struct {
				Dropped int64 `json:"dropped"`
			}
			if err := v.a.call(cmd.Context(), http.MethodPost, "/ops/truncatehints?"+q.Encode(), &out); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), out, func() error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "dropped %d hints\n", out.Dropped)
				return err
			})
		},
	}
	v.register(cmd)
	return cmd
}

func newCompactionStatsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "compactionstats",
		Short: "Show the storage engine's compactions and running cleanups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cs node.CompactionStats
			if err := v.a.call(cmd.Context(), http.MethodGet, "/ops/compactionstats", &cs); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), cs, func() error {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "pending tasks: %d (%s to compact)\n", cs.Running, formatLoad(int64(cs.Pending)))
				limit := "unlimited"
				if cs.ThroughputLimit > 0 {
					limit = "limit " + formatLoad(cs.ThroughputLimit) + "/s"
				}
				if cs.Paced {
					limit = "paced (" + limit + "; lifted while compactions are behind)"
				}
				fmt.Fprintf(w, "compaction throughput: %s\n", limit)
				fmt.Fprintf(w, "completed: %d compactions, %d flushes, %d failed; L0 files %d, read amplification %d\n",
					cs.Completed, cs.Flushes, cs.Failed, cs.L0Files, cs.ReadAmp)
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "id\tcompaction type\tkeyspace\tcompleted\ttotal\tunit\tprogress")
				if cs.Running > 0 {
					fmt.Fprintf(tw, "-\tCompaction\t-\t%d\t-\tbytes\tn/a\n", cs.RunningBytes)
				}
				for _, o := range cs.Operations {
					fmt.Fprintf(tw, "%s\tCleanup\t%s\t%d\t%d\t%s\t%.2f%%\n", o.ID, o.Detail, o.Done, o.Total, o.Unit, o.Percent())
				}
				return tw.Flush()
			})
		},
	}
	v.register(cmd)
	return cmd
}

// streamKinds are the operations netstats shows.
var streamKinds = map[string]string{
	"bootstrap": "Receiving", "decommission": "Sending", "stream-out": "Sending", "stream-in": "Receiving",
	"repair": "Repair", "repair-tree": "Repair", "restore": "Restore",
}

func newNetstatsCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "netstats",
		Short: "Show the streams this node sends and receives, with bytes and progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ops []node.Operation
			if err := v.a.call(cmd.Context(), http.MethodGet, "/operations", &ops); err != nil {
				return err
			}
			var streams []node.Operation
			for _, o := range ops {
				if _, ok := streamKinds[o.Kind]; ok {
					streams = append(streams, o)
				}
			}
			return v.emit(cmd.OutOrStdout(), streams, func() error { return printNetstats(cmd.OutOrStdout(), streams) })
		},
	}
	v.register(cmd)
	return cmd
}

func printNetstats(w io.Writer, ops []node.Operation) error {
	mode := "NORMAL"
	running := 0
	for _, o := range ops {
		if o.State == "running" {
			running++
			switch o.Kind {
			case "bootstrap":
				mode = "JOINING"
			case "decommission":
				mode = "LEAVING"
			}
		}
	}
	fmt.Fprintf(w, "Mode: %s\n", mode)
	if running == 0 {
		fmt.Fprintln(w, "Not sending any streams.")
	}
	for _, o := range ops {
		progress := "?"
		if p := o.Percent(); p >= 0 {
			progress = fmt.Sprintf("%.0f%%", p)
		}
		fmt.Fprintf(w, "%s %s %s: %s, %d/%d %s (%s), %s\n", streamKinds[o.Kind], o.ID, o.Detail, o.State,
			o.Done, o.Total, o.Unit, progress, formatLoad(o.Bytes))
	}
	return nil
}

func newSetLoggingLevelCmd() *cobra.Command {
	var v verb
	cmd := &cobra.Command{
		Use:   "setlogginglevel [component] level",
		Short: "Set the log level of one component (storage, coordinator, gossip, ...) or of all",
		Long: `Set the level (debug, info, warn, error) of the log lines of one component (the
"component" key of the log: storage, pebble, coordinator, exec, operations,
...) or, with the level alone, of every component.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"level": {args[len(args)-1]}}
			if len(args) == 2 {
				q.Set("component", args[0])
			}
			var out node.LoggingLevels
			if err := v.a.call(cmd.Context(), http.MethodPost, "/ops/logginglevel?"+q.Encode(), &out); err != nil {
				return err
			}
			return v.emit(cmd.OutOrStdout(), out, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "default: %s\n", out.Default)
				comps := make([]string, 0, len(out.Components))
				for c := range out.Components {
					comps = append(comps, c)
				}
				sort.Strings(comps)
				for _, c := range comps {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", c, out.Components[c])
				}
				return nil
			})
		},
	}
	v.register(cmd)
	return cmd
}
