package node

// ensureClusterPortDefaults fills the cluster settings' zero values. A
// caller that injects its CQL listener (tests) wants no fixed ports: its
// unset messaging and gossip ports become ephemeral ones (ephemeralPort),
// so in-process nodes never collide with each other or with a running
// cluster.
func (c *Config) ensureClusterPortDefaults() {
	if c.CQLListener != nil {
		if c.StoragePort == 0 {
			c.StoragePort = ephemeralPort
		}
		if c.GossipPort == 0 {
			c.GossipPort = ephemeralPort
		}
	}
	if c.StoragePort == 0 {
		c.StoragePort = DefaultStoragePort
	}
	if c.GossipPort == 0 {
		c.GossipPort = DefaultGossipPort
	}
	if c.HintWindow == 0 {
		c.HintWindow = DefaultHintWindow
	}
	if c.HintThrottle == 0 {
		c.HintThrottle = DefaultHintThrottle
	}
}

// ephemeralPort as StoragePort or GossipPort lets the system choose a
// free port; peers learn it from gossip, and seeds must then name it.
const ephemeralPort = -1

// validateCluster checks the cluster settings.
func (c *Config) validateCluster(add func(string, ...any)) {
	for name, p := range map[string]int{"storage_port": c.StoragePort, "gossip_port": c.GossipPort} {
		if p != ephemeralPort {
			checkPort(add, name, p, false)
		}
	}
	ports := map[int]string{c.CQLPort: "cql_port"}
	for name, p := range map[string]int{"storage_port": c.StoragePort, "gossip_port": c.GossipPort} {
		if other, dup := ports[p]; dup && p != ephemeralPort {
			add("%s and %s are both %d", name, other, p)
		}
		ports[p] = name
	}
	if c.HintWindow < 0 || c.HintThrottle < 0 {
		add("hint_window and hint_throttle must not be negative")
	}
}
