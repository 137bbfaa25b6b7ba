package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/build/constraint"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// warmupFile is copied into every module copy; see its comment.
const warmupFile = "testdata/aaa_sibyl_warmup_test.go"

// warmupTest is the test it defines: run first in every test process.
const warmupTest = "TestSibylWarmup"

type builtSuite struct {
	suite
	Src    string   // writable copy of the module: the tests' working directory
	Binary string   // its test binary
	All    []string // every Test function of the binary
	Tests  []string // the ones selected to run
}

// buildSuite downloads the module through the Go module proxy, copies it
// out of the read-only module cache, adds the warm-up test, builds its test
// binary and lists its tests.
func buildSuite(ctx context.Context, s suite, work string) (builtSuite, error) {
	b := builtSuite{suite: s}
	out, err := goCmd(ctx, work, "mod", "download", "-json", s.Path+"@"+s.Version)
	if err != nil {
		return b, err
	}
	var dl struct{ Dir, Error string }
	if err := json.Unmarshal(out, &dl); err != nil {
		return b, fmt.Errorf("go mod download: %w", err)
	}
	if dl.Error != "" || dl.Dir == "" {
		return b, fmt.Errorf("go mod download: %s", dl.Error)
	}
	b.Src = filepath.Join(work, "src", s.Key)
	if err := os.RemoveAll(b.Src); err != nil {
		return b, err
	}
	if err := copyTree(dl.Dir, b.Src); err != nil {
		return b, fmt.Errorf("copying %s: %w", dl.Dir, err)
	}
	if err := copyFile(warmupFile, filepath.Join(b.Src, filepath.Base(warmupFile)), 0o644); err != nil {
		return b, err
	}
	b.Binary = filepath.Join(work, "bin", s.Key+".test")
	if _, err := goCmd(ctx, b.Src, "test", "-c", "-tags", s.Tags, "-o", b.Binary, "."); err != nil {
		return b, err
	}
	cmd := exec.CommandContext(ctx, b.Binary, "-test.list", "^Test")
	cmd.Dir = b.Src
	out, err = cmd.Output()
	if err != nil {
		return b, fmt.Errorf("listing the tests of %s: %w", b.Binary, err)
	}
	server, err := serverTests(b.Src, s.Tags)
	if err != nil {
		return b, err
	}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); server[l] {
			b.All = append(b.All, l)
		}
	}
	if len(b.All) == 0 {
		return b, fmt.Errorf("%s lists no server tests", b.Binary)
	}
	b.Tests = b.All
	return b, nil
}

// serverTests returns the tests declared in the files that only the given
// build tags bring in: the suite's server tests. The binary also holds the
// unit tests of files without build constraints; those need no server and
// are left to the module's own CI.
func serverTests(dir, tags string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	on := map[string]bool{}
	for _, t := range strings.Fields(tags) {
		on[t] = true
	}
	tests := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var expr constraint.Expr
		for _, l := range strings.Split(string(src), "\n") {
			if constraint.IsGoBuild(l) {
				if expr, err = constraint.Parse(l); err != nil {
					return nil, fmt.Errorf("%s: %w", f, err)
				}
				break
			}
			if strings.HasPrefix(l, "package ") {
				break
			}
		}
		if expr == nil || expr.Eval(func(string) bool { return false }) || !expr.Eval(func(t string) bool { return on[t] }) {
			continue
		}
		for _, m := range testFunc.FindAllStringSubmatch(string(src), -1) {
			if m[1] != warmupTest {
				tests[m[1]] = true
			}
		}
	}
	return tests, nil
}

var testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(\w+ \*testing\.T\)`)

// goCmd runs the go command in dir, outside any workspace and with the
// local toolchain, and returns its standard output.
func goCmd(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, goBinary(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func goBinary() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// copyTree copies a directory of regular files, making everything writable
// (the module cache is read-only).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, info.Mode().Perm()|0o200)
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
