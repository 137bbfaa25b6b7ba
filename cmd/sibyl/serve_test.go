package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/node"
)

// parseServe parses args as `sibyl serve` would and returns the config.
func parseServe(t *testing.T, args ...string) (node.Config, error) {
	t.Helper()
	cmd := newServeCmd()
	var f serveFlags
	cmd.ResetFlags()
	f.register(cmd.Flags())
	if err := cmd.Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return f.config(cmd.Flags())
}

func TestServeFlagDefaults(t *testing.T) {
	cfg, err := parseServe(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "./data" || cfg.ListenAddress != "127.0.0.1" || cfg.CQLPort != 9042 || cfg.AdminPort != 7199 ||
		cfg.ClusterName != "Test Cluster" || cfg.DataCenter != "datacenter1" || cfg.Rack != "rack1" ||
		cfg.NumTokens != 16 || cfg.Backend != node.BackendPebble || cfg.Logger == nil {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestServeFlagsOverrideFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sibyl.yaml")
	yaml := `data_dir: /srv/sibyl
listen_address: 127.0.0.2
cql_port: 9142
cluster_name: From File
dc: dc9
num_tokens: 4
seeds: [127.0.0.1, 127.0.0.3]
write_timeout: 3s
log_level: debug
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServe(t, "--config", file, "--cql-port", "9242", "--rack", "r7")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/srv/sibyl" || cfg.ListenAddress != "127.0.0.2" || cfg.ClusterName != "From File" ||
		cfg.DataCenter != "dc9" || cfg.NumTokens != 4 || len(cfg.Seeds) != 2 || cfg.WriteTimeout != 3*time.Second {
		t.Fatalf("file values not applied: %+v", cfg)
	}
	if cfg.CQLPort != 9242 || cfg.Rack != "r7" {
		t.Fatalf("flags did not override the file: port %d, rack %q", cfg.CQLPort, cfg.Rack)
	}
	if cfg.AdminPort != 0 {
		t.Fatalf("admin_port absent from the file should stay zero (node default), got %d", cfg.AdminPort)
	}
}

func TestServeConfigErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(file, []byte("cql_prot: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseServe(t, "--config", file); err == nil || !strings.Contains(err.Error(), "cql_prot") {
		t.Fatalf("a misspelt key was accepted: %v", err)
	}
	if _, err := parseServe(t, "--config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("a missing config file was accepted")
	}
	if _, err := parseServe(t, "--log-level", "loud"); err == nil {
		t.Fatal("an invalid log level was accepted")
	}
}

func FuzzDecodeFileConfig(f *testing.F) {
	f.Add([]byte("data_dir: x\ncql_port: 1\n"))
	f.Add([]byte("seeds: [a, b]\nwrite_timeout: 1s\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg fileConfig
		_ = decodeFileConfig(data, &cfg)
	})
}

func TestVersionCommand(t *testing.T) {
	root := newRootCmd()
	var out strings.Builder
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "sibyl ") {
		t.Fatalf("version printed %q", out.String())
	}
	for _, name := range []string{"serve", "bench", "version"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("subcommand %s not registered", name)
		}
	}
}
