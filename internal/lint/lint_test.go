package lint

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// goFile is one parsed source file.
type goFile struct {
	rel  string // path relative to the repository root, slash-separated
	fset *token.FileSet
	file *ast.File
	test bool
}

// violation is one finding, printed as path:line: message.
type violation struct {
	pos token.Position
	msg string
}

func (v violation) String() string {
	return fmt.Sprintf("%s:%d: %s", v.pos.Filename, v.pos.Line, v.msg)
}

func TestNoPrintOrExitInLibraries(t *testing.T) {
	report(t, check(t, func(f goFile) bool { return !f.test && f.file.Name.Name != "main" }, printOrExit))
}

func TestNoSleepInTests(t *testing.T) {
	report(t, check(t, func(f goFile) bool { return f.test && !strings.HasPrefix(f.rel, "bench/") }, sleeps))
}

func TestErrorfWrapsWithW(t *testing.T) {
	report(t, check(t, func(goFile) bool { return true }, errorfWithoutW))
}

func TestTypedAtomics(t *testing.T) {
	report(t, check(t, func(goFile) bool { return true }, rawAtomics))
}

func TestErrorTextKeepsCause(t *testing.T) {
	report(t, check(t, func(f goFile) bool { return !f.test }, errorTextDropsCause))
}

func report(t *testing.T, vs []violation) {
	t.Helper()
	for _, v := range vs {
		t.Error(v)
	}
}

// check runs rule over every file that filter accepts.
func check(t *testing.T, filter func(goFile) bool, rule func(goFile) []violation) []violation {
	t.Helper()
	var all []violation
	for _, f := range parseRepo(t) {
		if filter(f) {
			all = append(all, rule(f)...)
		}
	}
	return all
}

// importName returns the local name under which f imports path, or "".
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

// calls invokes fn for every call of pkgName.Func in f.
func calls(f goFile, pkgName string, fn func(call *ast.CallExpr, name string)) {
	if pkgName == "" {
		return
	}
	ast.Inspect(f.file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == pkgName {
			fn(call, sel.Sel.Name)
		}
		return true
	})
}

func printOrExit(f goFile) []violation {
	var vs []violation
	add := func(n ast.Node, msg string) { vs = append(vs, violation{f.fset.Position(n.Pos()), msg}) }
	calls(f, importName(f.file, "fmt"), func(c *ast.CallExpr, name string) {
		if name == "Print" || name == "Printf" || name == "Println" {
			add(c, "library code prints to stdout with fmt."+name+": return data or log with slog")
		}
	})
	calls(f, importName(f.file, "os"), func(c *ast.CallExpr, name string) {
		if name == "Exit" {
			add(c, "library code calls os.Exit: return an error")
		}
	})
	calls(f, importName(f.file, "log"), func(c *ast.CallExpr, name string) {
		if strings.HasPrefix(name, "Fatal") || strings.HasPrefix(name, "Panic") {
			add(c, "library code calls log."+name+": return an error")
		}
	})
	ast.Inspect(f.file, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				add(c, "library code uses the builtin "+id.Name)
			}
		}
		return true
	})
	return vs
}

func sleeps(f goFile) []violation {
	var vs []violation
	calls(f, importName(f.file, "time"), func(c *ast.CallExpr, name string) {
		if name == "Sleep" {
			vs = append(vs, violation{f.fset.Position(c.Pos()),
				"test sleeps: synchronise with a channel or deadline-bounded polling"})
		}
	})
	return vs
}

// errorfWithoutW finds fmt.Errorf calls that format an argument named err
// (or ending in Err) with a verb other than %w.
func errorfWithoutW(f goFile) []violation {
	var vs []violation
	calls(f, importName(f.file, "fmt"), func(c *ast.CallExpr, name string) {
		if name != "Errorf" || len(c.Args) < 2 {
			return
		}
		lit, ok := c.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return
		}
		format, err := strconv.Unquote(lit.Value)
		if err != nil {
			return
		}
		verbs := formatVerbs(format)
		for i, arg := range c.Args[1:] {
			if i < len(verbs) && verbs[i] != 'w' && looksLikeError(arg) {
				vs = append(vs, violation{f.fset.Position(arg.Pos()),
					fmt.Sprintf("fmt.Errorf formats an error with %%%c: wrap it with %%w", verbs[i])})
			}
		}
	})
	return vs
}

func looksLikeError(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && (id.Name == "err" || strings.HasSuffix(id.Name, "Err"))
}

// formatVerbs returns the verb letter of each argument-consuming directive
// in a printf format, in order. %% consumes nothing; * widths are rare
// enough in error messages to be ignored.
func formatVerbs(format string) []byte {
	var verbs []byte
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.[]", format[j]) >= 0 {
			j++
		}
		if j < len(format) && format[j] != '%' {
			verbs = append(verbs, format[j])
		}
		i = j
	}
	return verbs
}

// errorTextExceptions are the calls (file, callee) whose argument is an
// error's text by design: the text is the message of a wire format that
// has no room for a cause.
var errorTextExceptions = map[[2]string]string{
	// A ProtocolError's message is all the client gets of a frame it
	// cannot decode or a version it cannot speak.
	{"cql/server/conn.go", "protocolError"}:     "the CQL ProtocolError's text",
	{"cql/server/dispatch.go", "protocolError"}: "the CQL ProtocolError's text",
	// A ServerError's message is all the client gets of an error that is
	// not an *exec.Error; the error itself is logged where it is mapped.
	{"cql/server/errors.go", "protocol.Error"}: "the CQL ServerError's text",
}

// causeBuilders are the constructors of errors that keep only a message
// unless given a cause: exec's Errorf and shorthands (an *exec.Error takes
// its cause with WithCause) and schema's shorthands (invalidCause and
// configCause take one).
var causeBuilders = map[string]bool{
	"Errorf": true, "invalidf": true, "syntaxf": true, "configf": true, "newError": true,
}

// errorTextDropsCause finds an error turned into text where an error or a
// message is built, so the error itself is lost to errors.Is/As and logs:
//   - x.Error() passed to a formatting call (a name ending in f) or an
//     error-building call (a name containing "error", errors.New), and
//   - an error (err, fooErr) passed to one of causeBuilders,
//
// unless the call's result is given the error back with .WithCause(...),
// or the call is in errorTextExceptions. fmt.Errorf is left to
// errorfWithoutW, t.Errorf and the like to the tests. A method named
// Error that returns an error (pebble's Iterator.Error) would be a false
// positive; none is passed to such a call today.
func errorTextDropsCause(f goFile) []violation {
	return errorTextViolations(f, func(k [2]string) bool {
		_, ok := errorTextExceptions[k]
		return ok
	})
}

// errorTextViolations is errorTextDropsCause with the exception test
// given: excepted is asked about each (file, callee or type) that would
// be flagged.
func errorTextViolations(f goFile, excepted func([2]string) bool) []violation {
	caused := map[*ast.CallExpr]bool{}
	ast.Inspect(f.file, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithCause" {
				if inner, ok := sel.X.(*ast.CallExpr); ok {
					caused[inner] = true
				}
			}
		}
		return true
	})
	fmtName, errorsName := importName(f.file, "fmt"), importName(f.file, "errors")
	var vs []violation
	ast.Inspect(f.file, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok || caused[c] {
			return true
		}
		pkg, name := calleeName(c)
		if pkg == fmtName && name == "Errorf" {
			return true
		}
		builds := strings.HasSuffix(name, "f") || strings.Contains(strings.ToLower(name), "error") ||
			(pkg != "" && pkg == errorsName && name == "New")
		buildsCaused := causeBuilders[name] && (pkg == "" || pkg == "exec")
		for _, arg := range c.Args {
			var msg string
			switch {
			case builds && isErrorText(arg):
				msg = name + " is given an error's text: pass the error and keep it as the cause (WithCause, %w)"
			case buildsCaused && looksLikeError(arg):
				msg = name + " formats an error into a message: keep it as the cause (.WithCause(err), invalidCause)"
			}
			if msg != "" && !excepted([2]string{f.rel, name}) {
				vs = append(vs, violation{f.fset.Position(arg.Pos()), msg})
			}
		}
		return true
	})
	ast.Inspect(f.file, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		typ := errorTypeName(lit.Type)
		if typ == "" {
			return true
		}
		var msg ast.Expr
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch key, _ := kv.Key.(*ast.Ident); {
			case key == nil:
			case key.Name == "Cause":
				return true
			case key.Name == "Message":
				msg = kv.Value
			}
		}
		if msg != nil && quotesError(msg) && !excepted([2]string{f.rel, typ}) {
			vs = append(vs, violation{f.fset.Position(msg.Pos()),
				typ + "'s Message quotes an error: keep it as the Cause"})
		}
		return true
	})
	return vs
}

// errorTypeName returns the name (pkg.Error or Error) of a composite
// literal's type, possibly behind &, when it is a type named Error; "".
func errorTypeName(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.Ident:
		if t.Name == "Error" {
			return "Error"
		}
	case *ast.SelectorExpr:
		if id, ok := t.X.(*ast.Ident); ok && t.Sel.Name == "Error" {
			return id.Name + ".Error"
		}
	}
	return ""
}

// quotesError reports whether a message expression is an error's text
// (x.Error()) or formats an error (err, fooErr, cause) into a ...f call.
func quotesError(e ast.Expr) bool {
	if isErrorText(e) {
		return true
	}
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	if _, name := calleeName(c); !strings.HasSuffix(name, "f") {
		return false
	}
	for _, arg := range c.Args {
		if id, ok := arg.(*ast.Ident); isErrorText(arg) || looksLikeError(arg) || ok && id.Name == "cause" {
			return true
		}
	}
	return false
}

// calleeName returns the package (or receiver) identifier and the name of
// the function c calls; pkg is "" for a plain identifier.
func calleeName(c *ast.CallExpr) (pkg, name string) {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return "", fn.Name
	case *ast.SelectorExpr:
		if id, ok := fn.X.(*ast.Ident); ok {
			return id.Name, fn.Sel.Name
		}
		return "?", fn.Sel.Name
	}
	return "?", ""
}

// isErrorText reports whether e is a call x.Error() with no arguments.
func isErrorText(e ast.Expr) bool {
	c, ok := e.(*ast.CallExpr)
	if !ok || len(c.Args) != 0 {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Error"
}

func rawAtomics(f goFile) []violation {
	var vs []violation
	calls(f, importName(f.file, "sync/atomic"), func(c *ast.CallExpr, name string) {
		for _, p := range []string{"Add", "Load", "Store", "Swap", "CompareAndSwap", "And", "Or"} {
			if strings.HasPrefix(name, p) {
				vs = append(vs, violation{f.fset.Position(c.Pos()),
					"raw atomic call atomic." + name + ": use the typed wrappers (atomic.Int64, ...)"})
				return
			}
		}
	})
	return vs
}

var (
	parseOnce sync.Once
	parsed    []goFile
	parseErrs []error
)

// parseRepo parses every .go file of the repository once per test binary.
func parseRepo(t *testing.T) []goFile {
	t.Helper()
	root := repoRoot(t)
	parseOnce.Do(func() { parsed, parseErrs = walkRepo(root) })
	for _, err := range parseErrs {
		t.Log(err) // half-written files of other packages are not this test's concern
	}
	if len(parsed) == 0 {
		t.Fatal("found no Go files")
	}
	return parsed
}

func walkRepo(root string) ([]goFile, []error) {
	var files []goFile
	var errs []error
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parseFile(root, path)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		files = append(files, f)
		return nil
	})
	return files, errs
}

func parseFile(root, path string) (goFile, error) {
	fset := token.NewFileSet()
	rel, _ := filepath.Rel(root, path)
	rel = filepath.ToSlash(rel)
	src, err := os.ReadFile(path)
	if err != nil {
		return goFile{}, fmt.Errorf("cannot read %s: %w", rel, err)
	}
	file, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		return goFile{}, fmt.Errorf("cannot parse %s: %w", rel, err)
	}
	return goFile{rel: rel, fset: fset, file: file, test: strings.HasSuffix(path, "_test.go")}, nil
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test's source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
