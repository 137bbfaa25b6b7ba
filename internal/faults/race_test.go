//go:build race

package faults

// raceEnabled: the race detector slows everything several times over, so
// the random test runs fewer schedules.
const raceEnabled = true
