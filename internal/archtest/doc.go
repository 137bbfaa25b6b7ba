// Package archtest enforces the import rules of ARCHITECTURE.md with
// the go command itself: `go list -deps` gives each package's transitive
// imports, module-aware, and a test fails on any edge the rules forbid.
//
// The rules are data (rules in deps_test.go): for each of our packages,
// the packages of ours it may reach, and the outside packages it must not
// import directly (net for the pure layers, memberlist outside node). A
// package not named by any rule may import nothing of ours outside the
// shared support packages, so a new package must be given its place.
//
// The check never skips: without a go command there is no build either.
package archtest
