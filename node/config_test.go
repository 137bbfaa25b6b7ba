package node

import (
	"strings"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.CQLPort != 9042 || c.ListenAddress != "127.0.0.1" || c.DataDir != "data" ||
		c.NumTokens != 16 || c.DataCenter != "datacenter1" || c.Rack != "rack1" ||
		c.ClusterName != "Test Cluster" || c.Backend != BackendPebble {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	c := Config{ListenAddress: "0.0.0.0", CQLPort: 70000, NumTokens: -1, Backend: "rocks"}
	c.EnsureDefaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range []string{"unspecified", "cql_port 70000", "num_tokens -1", `backend "rocks"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %q does not mention %q", err, want)
		}
	}
}

func TestConfigAdminDisabledAndClone(t *testing.T) {
	c := Config{AdminPort: AdminDisabled, Seeds: []string{"127.0.0.2"}}
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("admin disabled should validate: %v", err)
	}
	d := c.Clone()
	d.Seeds[0] = "changed"
	if c.Seeds[0] != "127.0.0.2" {
		t.Fatal("Clone shares Seeds with the original")
	}
}
