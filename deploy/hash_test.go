package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/cftest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// hashVector is a file and the key wrangler gives it.
type hashVector struct {
	name    string
	content []byte
	hash    string
}

func seq(n int, f func(i int) byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = f(i)
	}
	return b
}

// wranglerVectors were produced by wrangler 4.86.0's own hashFile:
//
//	npm install --prefix /tmp/wr wrangler@4.86.0
//	node deploy/testdata/wrangler-hash.cjs /tmp/wr < inputs.json
//
// where inputs.json lists these names and base64 contents. The script cuts
// hashFile out of wrangler-dist/cli.js and runs it with the blake3-wasm
// package wrangler depends on. TestHashesMatchLiveWrangler repeats that
// when wrangler is installed.
var wranglerVectors = []hashVector{
	{"index.html", []byte("<!doctype html><title>x</title>\n"), "ae7693e92da4e4ca6a020a6fce3be1fc"},
	{"blog/page/2/index.html", []byte("<!doctype html><title>x</title>\n"), "ae7693e92da4e4ca6a020a6fce3be1fc"},
	{"empty.txt", nil, "f9bc91770fa5e997cbd47fba833629fc"},
	{"assets/app.min.js", []byte("console.log(\"✓\");\n"), "7c00cc9d85d59c64b7710b04b6f5a9a6"},
	{".htaccess", []byte("deny\n"), "42d151a83f0b97260edcbb3ee358d715"},
	{"noext", []byte("abc"), "c67219c1e9271fde4f573e4a3a12a0e4"},
	{"UPPER.CSS", []byte("body{}"), "70a55c2d906ca532b58f0adf8d713f9c"},
	{"file.", []byte("x"), "c89c27f28e24f706b72c408fe1d6537a"},
	{"données/été.json", []byte(`{"é":1}`), "42db560cc2f24bf110ad4f1e7df1db16"},
	{"img/logo.png", seq(256, func(i int) byte { return byte(i) }), "fb56b23982a3751c00984e3f6e00dd86"},
	{"big.bin", seq(200000, func(i int) byte { return byte(i * 7 % 251) }), "3fbd9542ef72229491829ba66e18a4f9"},
}

func TestAssetHashMatchesWrangler(t *testing.T) {
	for _, v := range wranglerVectors {
		if got := AssetHash(v.name, v.content); got != v.hash {
			t.Errorf("AssetHash(%q) = %s, wrangler says %s", v.name, got, v.hash)
		}
		// The fake API's independent implementation must agree too, or
		// it would accept what Cloudflare refuses.
		if got := cftest.AssetHash(v.content, Ext(v.name)); got != v.hash {
			t.Errorf("cftest.AssetHash(%q) = %s, wrangler says %s", v.name, got, v.hash)
		}
	}
}

func TestExt(t *testing.T) {
	// Node's path.extname(name).substring(1), checked with node 20.
	for name, want := range map[string]string{
		"index.html": "html", "a/b/c.min.js": "js", ".DS_Store": "", "a/.htaccess": "",
		"file.": "", "..": "", "a/..": "", "noext": "", "a.b/c": "", "x.TXT": "TXT",
		"..a": "a", "a..": "", "dir/.hidden.txt": "txt",
	} {
		if got := Ext(name); got != want {
			t.Errorf("Ext(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestContentType(t *testing.T) {
	// What mime@3.0.0 (bundled in wrangler 4.86.0) answers, read from
	// the bundle's type tables with node.
	for name, want := range map[string]string{
		"index.html":               "text/html",
		"assets/site.css":          "text/css",
		"assets/app.js":            "application/javascript",
		"feed.xml":                 "application/xml",
		"feed.json":                "application/json",
		"img/logo.svg":             "image/svg+xml",
		"favicon.ico":              "image/vnd.microsoft.icon",
		"fonts/a.woff2":            "font/woff2",
		"robots.txt":               "text/plain",
		"site.webmanifest":         "application/manifest+json",
		"PHOTO.JPG":                "image/jpeg",
		"data.unknownext":          "application/octet-stream",
		"dir/html":                 "application/octet-stream", // no dot, has a directory
		"js":                       "application/javascript",   // mime's quirk: a bare name is looked up whole
		"topology.json":            "application/json",
		"blog/page/2/index.html":   "text/html",
		"assets/app.0a1b2c3d.mjs":  "application/javascript",
		"assets/app.0a1b2c3d.map":  "application/json",
		"downloads/report.pdf":     "application/pdf",
		"notes/.well-known/x.json": "application/json",
	} {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestHashesMatchLiveWrangler recomputes the vectors with the installed
// wrangler (see sitetest.WranglerDir: e2e/install-deps.sh sets it up).
func TestHashesMatchLiveWrangler(t *testing.T) {
	// Skipped without wrangler, except on CI, where it must run.
	skip := t.Skip
	if os.Getenv("CI") == "true" {
		skip = t.Fatal
	}
	dir, err := sitetest.WranglerDir()
	if err != nil {
		t.Fatalf("find the cache directory for wrangler: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "wrangler")); err != nil {
		skip("no wrangler install to compare with in " + dir + " (make deps installs it; LABFRONT_WRANGLER_DIR overrides)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "wrangler", "wrangler-dist", "cli.js")); err != nil {
		t.Fatalf("LABFRONT_WRANGLER_DIR=%s holds no wrangler: %v", dir, err)
	}
	type input struct {
		Name    string `json:"name"`
		Content string `json:"content"`
	}
	var in []input
	for _, v := range wranglerVectors {
		in = append(in, input{v.name, base64.StdEncoding.EncodeToString(v.content)})
	}
	// A few names whose extension rules differ from Go's filepath.Ext.
	for _, name := range []string{"a/.env", "x.tar.gz", "weird..name", "trailing.dot.", ".a.b"} {
		in = append(in, input{name, base64.StdEncoding.EncodeToString([]byte(name))})
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "wrangler-hash.cjs"), dir)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got []struct {
		Name, Hash, Ext string
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(in) {
		t.Fatalf("node answered %d results (%v):\n%s", len(got), err, out)
	}
	for i, g := range got {
		content, _ := base64.StdEncoding.DecodeString(in[i].Content)
		if h := AssetHash(in[i].Name, content); h != g.Hash {
			t.Errorf("%s: Go %s, wrangler %s", in[i].Name, h, g.Hash)
		}
		if i < len(wranglerVectors) && wranglerVectors[i].hash != g.Hash {
			t.Errorf("%s: pinned %s, wrangler now %s", in[i].Name, wranglerVectors[i].hash, g.Hash)
		}
		if want := strings.TrimPrefix(g.Ext, "."); Ext(in[i].Name) != want {
			t.Errorf("Ext(%q) = %q, node's extname %q", in[i].Name, Ext(in[i].Name), g.Ext)
		}
	}
}
