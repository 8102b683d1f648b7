// Package testkit holds the fakes and helpers tests use. This test keeps
// the rules that make that a home: production and benchmark code never
// import a fake, and internal packages never import a top-level one.
package testkit

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/labfront/labfront/"

// knownUpward are internal packages that still import a top-level one,
// each with why; the test fails on any other, and on one of these that
// no longer does (so the list cannot go stale).
var knownUpward = map[string]string{}

func TestDependenciesPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	var pkgs int
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		path, imports, _ := strings.Cut(strings.TrimSpace(line), ":")
		path = strings.TrimPrefix(path, module)
		pkgs++
		for imp := range strings.FieldsSeq(imports) {
			rel, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if strings.HasPrefix(rel, "internal/testkit/") && !strings.HasPrefix(path, "internal/testkit/") {
				t.Errorf("%s imports the test fake %s", path, rel)
			}
			if strings.HasPrefix(path, "internal/") && !strings.HasPrefix(rel, "internal/") {
				edge := path + " -> " + rel
				if _, ok := knownUpward[edge]; !ok {
					t.Errorf("internal package %s imports the top-level %s", path, rel)
				}
				seen[edge] = true
			}
		}
	}
	if pkgs < 30 {
		t.Fatalf("go list found only %d packages", pkgs)
	}
	for edge := range knownUpward {
		if !seen[edge] {
			t.Errorf("%s no longer exists: take it off knownUpward", edge)
		}
	}
	if !slices.ContainsFunc(strings.Fields(string(out)), func(s string) bool { return strings.Contains(s, "internal/testkit/cftest") }) {
		t.Error("the fakes were not found under internal/testkit")
	}
}
