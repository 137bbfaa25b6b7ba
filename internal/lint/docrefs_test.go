package lint

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mdRef matches a reference to a Markdown file in code or docs: a path
// or bare name ending in .md.
var mdRef = regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)

// TestDocReferencesExist fails when code or docs cite a Markdown file the
// repository does not have: the repository explains itself, so every
// document it points a reader to must be in it (a reference is resolved
// from the citing file's folder, from the root, or by its name anywhere).
func TestDocReferencesExist(t *testing.T) {
	root := repoRoot(t)
	have := map[string]bool{} // repository-relative paths and bare names of .md files
	var sources []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "data" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		switch filepath.Ext(name) {
		case ".md":
			have[rel], have[name] = true, true
			sources = append(sources, rel)
		case ".go", ".sh", ".mjs", ".py":
			sources = append(sources, rel)
		}
		if name == "Makefile" {
			sources = append(sources, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range sources {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, loc := range mdRef.FindAllStringIndex(text, -1) {
			ref := text[loc[0]:loc[1]]
			if loc[0] > 0 && strings.ContainsAny(text[loc[0]-1:loc[0]], "$:{") {
				continue // a variable ($WORK/notes.md) or a URL, not a document of ours
			}
			if strings.HasPrefix(ref, "/") {
				continue // an absolute path on some machine
			}
			local := filepath.ToSlash(filepath.Join(filepath.Dir(rel), ref))
			if !have[ref] && !have[local] && !have[filepath.Base(ref)] {
				t.Errorf("%s cites %s, which is not in the repository", rel, ref)
			}
		}
	}
}
