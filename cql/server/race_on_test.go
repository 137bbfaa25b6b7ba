//go:build race

package server

// raceDetector is set when the tests run under the race detector, which
// slows the largest loads tenfold.
const raceDetector = true
