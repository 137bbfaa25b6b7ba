// Package faults is a fault-injection harness for Sibyl clusters: real
// in-process nodes on real Pebble directories, with only the network
// between them simulated.
package faults
