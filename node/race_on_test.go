//go:build race

package node_test

// raceEnabled: process tests drive a separate `sibyl serve` binary, built
// without the race detector, so running them again under -race checks
// nothing new and only doubles their minutes.
const raceEnabled = true
