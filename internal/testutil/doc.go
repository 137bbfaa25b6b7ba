// Package testutil holds helpers shared by tests that run real nodes:
// deadline-bounded polling (tests never sleep blindly), free loopback
// ports, and a controllable clock. It is imported only from _test.go files
// (internal/archtest forbids production imports).
package testutil
