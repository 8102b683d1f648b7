package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// nuReport is the Nu HTML Checker's JSON output (--format json).
type nuReport struct {
	Messages []struct {
		Type    string `json:"type"`    // error, info (subType warning), non-document-error
		SubType string `json:"subType"` // warning, fatal, io
		URL     string `json:"url"`
		Line    int    `json:"lastLine"`
		Column  int    `json:"firstColumn"`
		Message string `json:"message"`
		Extract string `json:"extract"`
	} `json:"messages"`
}

// nuControl is a page with two errors the checker must report: it is
// checked beside the site's pages, in the same run, so a checker that
// checks nothing cannot pass.
const nuControl = `<!doctype html><html lang="en"><head><title>control</title></head>
<body><p><div>a div in a paragraph</div></p><img src="x.png"></body></html>
`

// TestNuHTMLChecker runs the Nu HTML Checker (vnu) over every HTML page of
// the built example site, in one JVM, and fails on any error, naming the
// file, line and column; warnings are listed in the log.
func TestNuHTMLChecker(t *testing.T) {
	java, jar := sitetest.Vnu(t)
	dist := buildExample(t)
	pages, err := filepath.Glob(filepath.Join(dist, "*", "index.html"))
	if err != nil || len(pages) < 5 {
		t.Fatalf("the built site has only %d pages (%v)", len(pages), err)
	}
	// Beside dist/, not in it: the control is not the site's.
	control := filepath.Join(filepath.Dir(dist), "nu-control.html")
	if err := os.WriteFile(control, []byte(nuControl), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// --skip-non-html walks dist/ for its HTML files; --verbose names each
	// file checked on standard output, the JSON report goes to standard
	// error; --exit-zero-always leaves the verdict to the report.
	cmd := exec.CommandContext(ctx, java, "-jar", jar, "--skip-non-html", "--format", "json", "--verbose", "--exit-zero-always", dist, control)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vnu: %v\n%s", err, stderr.Bytes())
	}
	var rep nuReport
	if err := json.Unmarshal(stderr.Bytes(), &rep); err != nil {
		t.Fatalf("vnu report: %v\n%s", err, stderr.Bytes())
	}
	checked := map[string]bool{}
	for line := range strings.Lines(stdout.String()) {
		checked[strings.TrimSpace(line)] = true
	}
	for _, p := range append(pages, filepath.Join(dist, "index.html"), filepath.Join(dist, "404.html"), control) {
		if !checked[p] {
			t.Errorf("vnu did not check %s", p)
		}
	}
	controlErrors, skipped := 0, 0
	for _, m := range rep.Messages {
		file := strings.TrimPrefix(m.URL, "file:")
		if file == control {
			if m.Type == "error" {
				controlErrors++
			}
			continue
		}
		where := strings.TrimPrefix(file, dist+"/")
		switch {
		case strings.HasPrefix(m.Message, "File was not checked."):
			skipped++ // feeds, the sitemap, JSON: not HTML
		case m.Type == "info" && m.SubType == "warning":
			t.Logf("%s:%d:%d: warning: %s", where, m.Line, m.Column, m.Message)
		case m.Type == "info":
		default:
			t.Errorf("%s:%d:%d: %s: %s\n\t%s", where, m.Line, m.Column, m.Type, m.Message, strings.TrimSpace(m.Extract))
		}
	}
	if controlErrors != 2 {
		t.Errorf("vnu reported %d errors in the control page, want 2: is it checking?", controlErrors)
	}
	t.Logf("vnu checked %d HTML files of the site and the control, and passed over %d other files", len(checked)-1, skipped)
}
