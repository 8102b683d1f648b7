package labedit

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// newNode is a node discovery would add.
func newNode(id, typ, parent string) []Field {
	f := []Field{F("id", Str(id)), F("name", Str(id)), F("type", Str(typ)), F("site", Str("home"))}
	if parent != "" {
		f = append(f, F("parent", Str(parent)))
	}
	return append(f,
		F("public", Bool(false)),
		F("specs", Map(F("cores", Int(2)), F("memory_gb", Num(1.5)))),
		F("live", Map(F("proxmox", Str(parent+"/lxc/130")))),
	)
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		edits       []Edit
	}{
		{"block-append", "block.yaml", []Edit{
			{Op: Append, List: "nodes", Item: newNode("db", "container", "pve")},
			{Op: Append, List: "links", Item: []Field{F("from", Str("pve")), F("to", Str("db")), F("type", Str("lan")), F("label", Str("vmbr0, bridge"))}},
		}},
		{"block-set", "block.yaml", []Edit{
			{Op: Set, Node: "pve", Path: []string{"specs", "storage_tb"}, Value: Num(2)},
			{Op: Set, Node: "pve", Path: []string{"live", "tailscale"}, Value: Str("pve")},
			{Op: Set, Node: "web", Path: []string{"specs", "cores"}, Value: Int(2)},
			{Op: Set, Node: "web", Path: []string{"live", "prometheus"}, Value: Str("10.0.0.101:9100")},
		}},
		{"block-update", "block.yaml", []Edit{
			{Op: Update, Node: "pve", Path: []string{"specs", "cores"}, Value: Int(16)},
			{Op: Update, Node: "web", Path: []string{"name"}, Value: Str("web's box")},
			{Op: Update, Node: "web", Path: []string{"live", "proxmox"}, Value: Str("pve/lxc/102")},
		}},
		{"odd-indent", "odd.yaml", []Edit{
			{Op: Append, List: "nodes", Item: append(newNode("db", "container", "pve"), F("networks", List("lan-a")))},
			{Op: Set, Node: "nas", Path: []string{"specs", "memory_gb"}, Value: Int(8)},
			{Op: Set, Node: "nas", Path: []string{"live", "proxmox"}, Value: Str("nas")},
			{Op: Append, List: "links", Item: []Field{F("from", Str("pve")), F("to", Str("db")), F("type", Str("lan"))}},
		}},
		{"flow", "flow.yaml", []Edit{
			{Op: Append, List: "nodes", Item: newNode("db", "container", "pve")},
			{Op: Set, Node: "pve", Path: []string{"specs", "storage_tb"}, Value: Num(0.5)},
			{Op: Set, Node: "gw", Path: []string{"live", "probe"}, Value: Str("tcp://10.0.0.1:22")},
			{Op: Update, Node: "pve", Path: []string{"specs", "memory_gb"}, Value: Int(32)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lab.Parse(in, tt.input); err != nil {
				t.Fatalf("input does not load: %v", err)
			}
			out, err := Apply(in, tt.edits)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if _, err := lab.Parse(out, tt.name); err != nil {
				t.Errorf("result does not load: %v\n%s", err, out)
			}
			diff := Diff("lab.yaml", in, out)
			golden.Check(t, filepath.Join("testdata", "golden", tt.name+".out.yaml"), out)
			golden.Check(t, filepath.Join("testdata", "golden", tt.name+".diff"), []byte(diff))
			// Everything outside the edits is byte-identical: a line the
			// diff replaces only gains text, unless an update changed it.
			updates := 0
			for _, e := range tt.edits {
				if e.Op == Update {
					updates++
				}
			}
			if got := golden.RewrittenLines(diff); got > updates {
				t.Errorf("diff rewrites %d lines, want at most %d (one per update):\n%s", got, updates, diff)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("testdata", "block.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit Edit
		want string
	}{
		{"set over an operator's value", Edit{Op: Set, Node: "pve", Path: []string{"specs", "cores"}, Value: Int(16)}, `already "8"`},
		{"update of a missing key", Edit{Op: Update, Node: "pve", Path: []string{"specs", "storage_tb"}, Value: Int(1)}, "not set"},
		{"update of a block of text", Edit{Op: Update, Node: "pve", Path: []string{"description"}, Value: Str("x")}, "block of text"},
		{"unknown node", Edit{Op: Set, Node: "nope", Path: []string{"alias"}, Value: Str("x")}, `no node with id "nope"`},
		{"under a scalar", Edit{Op: Set, Node: "web", Path: []string{"name", "x"}, Value: Str("y")}, "not a mapping"},
		{"no such list", Edit{Op: Append, List: "agents", Item: []Field{F("id", Str("a"))}}, "no agents: list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Apply(in, []Edit{tt.edit})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// A Set to the value already there changes nothing.
	out, err := Apply(in, []Edit{{Op: Set, Node: "pve", Path: []string{"specs", "cores"}, Value: Int(8)}})
	if err != nil || string(out) != string(in) {
		t.Errorf("idempotent set: err = %v, changed = %v", err, string(out) != string(in))
	}
}

func TestWriteFileLeavesFileOnInvalidResult(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("testdata", "block.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(path, in, 0o644); err != nil {
		t.Fatal(err)
	}
	// A node whose parent does not exist fails lab validation.
	bad := []Edit{{Op: Append, List: "nodes", Item: newNode("db", "container", "ghost")}}
	_, _, err = WriteFile(path, "content/lab.yaml", bad)
	if err == nil || !strings.Contains(err.Error(), `content/lab.yaml:`) || !strings.Contains(err.Error(), `unknown node "ghost"`) {
		t.Errorf("err = %v, want a path:line problem about the unknown parent", err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(in) {
		t.Error("the file changed although the result was invalid")
	}
	old, updated, err := WriteFile(path, "content/lab.yaml", []Edit{{Op: Append, List: "nodes", Item: newNode("db", "container", "pve")}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(updated) || string(old) != string(in) {
		t.Error("WriteFile did not write what it returned")
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, a, b, want string }{
		{"equal", "x\n", "x\n", ""},
		{"append", "a\nb\n", "a\nb\nc\n", "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n b\n+c\n"},
		{"replace", "a\nb\nc\n", "a\nB\nc\n", "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"no newline", "a", "a\nb", "--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n\\ No newline at end of file\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
			"--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -8,3 +9,4 @@\n 8\n 9\n 10\n+11\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Diff("f", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestSeedLab edits the example site's lab.yaml, the biggest hand-written
// one there is: the result loads and the diff only adds lines.
func TestSeedLab(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("..", "..", "content", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	edits := []Edit{
		{Op: Append, List: "nodes", Item: []Field{F("id", Str("new-ct")), F("name", Str("new-ct")), F("type", Str("container")),
			F("site", Str("jove")), F("parent", Str("pve-io")), F("public", Bool(false)),
			F("specs", Map(F("cores", Int(2)), F("memory_gb", Int(4)))), F("live", Map(F("proxmox", Str("pve-io/lxc/150"))))}},
		{Op: Append, List: "links", Item: []Field{F("from", Str("pve-io")), F("to", Str("new-ct")), F("type", Str("lan"))}},
		{Op: Set, Node: "switch-jove", Path: []string{"live", "prometheus"}, Value: Str("10.10.0.3:9100")},
	}
	out, err := Apply(in, edits)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Parse(out, "lab.yaml")
	if err != nil {
		t.Fatalf("result does not load: %v", err)
	}
	if n := l.Node("new-ct"); n == nil || n.Public || n.Specs.Cores != 2 || n.Live.Get("proxmox") != "pve-io/lxc/150" {
		t.Errorf("new node = %+v", n)
	}
	if got := l.Node("switch-jove").Live.Get("prometheus"); got != "10.10.0.3:9100" {
		t.Errorf("switch-jove live.prometheus = %q", got)
	}
	diff := Diff("content/lab.yaml", in, out)
	if got := golden.RewrittenLines(diff); got != 0 {
		t.Errorf("diff rewrites %d lines:\n%s", got, diff)
	}
	t.Log(diff)
}
