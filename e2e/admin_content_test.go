package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/labfront/labfront/internal/substack"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

const (
	seedSlug  = "from-cron-spaghetti-to-container-orchestra"
	seedTitle = "From Cron Spaghetti to Container Orchestra"
	seedURL   = "https://example.substack.com/p/" + seedSlug
)

// gitIn runs git in dir as a test user and returns its output. The
// machine's git configuration stays out (see TestAdminContentPromote).
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@lab.test",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@lab.test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// inboxSite is a git checkout of the example site whose inbox holds the
// seed article (imported afresh, not yet promoted) and the test feed's and
// export's articles, with a bare remote it is pushed to. It returns the
// checkout and the remote.
func inboxSite(t *testing.T) (site, remote string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	root := t.TempDir()
	site, remote = filepath.Join(root, "site"), filepath.Join(root, "site.git")
	copyTree(t, "../content", filepath.Join(site, "content"))
	for _, p := range []string{"content/substack/2026-02-19-" + seedSlug + ".md", "content/notes/" + seedSlug + ".md"} {
		if err := os.Remove(filepath.Join(site, p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"seed-homelab-architecture.txt", "feed.xml", "export.zip"} {
		if _, err := substack.ImportFile(context.Background(), site, filepath.Join("../internal/substack/testdata", f), substack.ImportOptions{}); err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
	}
	gitIn(t, site, "init", "-q", "-b", "main")
	gitIn(t, site, "add", "-A")
	gitIn(t, site, "commit", "-q", "-m", "Site with a Substack inbox")
	gitIn(t, root, "init", "-q", "--bare", "-b", "main", remote)
	gitIn(t, site, "remote", "add", "origin", remote)
	gitIn(t, site, "push", "-q", "-u", "origin", "main")
	return site, remote
}

// TestAdminContentPromote is the operator's path: open /admin/content,
// promote the seed article, and the commit is on the remote; the site
// built from the remote has the note, canonical to Substack and linked to
// the architecture page.
func TestAdminContentPromote(t *testing.T) {
	ctx := browser(t)
	site, remote := inboxSite(t)
	base, _ := startAdminSite(t, site, t.TempDir())
	console := watchConsole(ctx)

	do(t, ctx, chromedp.Navigate(base+"/admin/content"))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Content" {
		t.Fatalf("h1 %q", h1)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.inbox-item').length`)); n != 6 {
		t.Errorf("the inbox shows %d articles, want 6", n)
	}
	card := "#article-" + seedSlug
	if got := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('`+card+` .analysis .chip')].map(c => c.textContent.trim()).join('|')`)); !strings.HasPrefix(got, "Method|Architecture|Kubernetes ×3|Prefect ×3") {
		t.Errorf("seed chips %q", got)
	}
	if cur := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('nav[aria-label="Admin"] a[aria-current="page"]').textContent`)); cur != "Content" {
		t.Errorf("current nav entry %q", cur)
	}
	shots := os.Getenv("LABFRONT_SCREENSHOTS")
	shot := func(name string) {
		if shots == "" {
			return
		}
		png := get(t, ctx, chromedp.FullScreenshot(90))
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("admin_content.jpg")
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload())
	if w := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("/admin/content is %d px wide on a 390 px phone", w)
	}
	shot("phone_admin_content.jpg")
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	console.check(t)

	// Promote without JavaScript: the form and its confirmation are plain
	// HTML.
	disableScripts(t, ctx)
	do(t, ctx, chromedp.Navigate(base+"/admin/content"))
	// The box must be ticked: the browser refuses the form without it.
	do(t, ctx, chromedp.Click(chromedp.CSS(card+" button[type=submit]")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.outcome').length`)); n != 0 {
		t.Fatal("the form was sent without confirmation")
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(card+" input[name=confirm]")),
		chromedp.Click(chromedp.CSS(card+" button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".outcome")),
	)
	outcome := get(t, ctx, chromedp.Text(chromedp.CSS(".outcome")))
	if !strings.Contains(outcome, "Promoted “"+seedTitle+"” into content/notes/"+seedSlug+".md.") || !strings.Contains(outcome, "Pushed main to origin") {
		t.Fatalf("outcome:\n%s", outcome)
	}
	if st := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('`+card+` .status').textContent`)); st != "promoted" {
		t.Errorf("the seed's status after promotion is %q", st)
	}
	shot("admin_content_promoted.jpg")

	// The commit is on the remote: the git-push deploy starts from there.
	if subject := gitIn(t, site, "--git-dir="+remote, "log", "-1", "--format=%s|%an|%cn", "main"); subject != "Promote "+seedTitle+" from Substack|Developer|labfront" {
		t.Errorf("remote head %q", subject)
	}
	if status := gitIn(t, site, "status", "--porcelain"); status != "" {
		t.Errorf("the checkout is not clean:\n%s", status)
	}

	// What the deploy builds: a fresh clone of the remote.
	clone := filepath.Join(t.TempDir(), "deploy")
	gitIn(t, site, "clone", "-q", remote, clone)
	dist := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(context.Background(), web.Options{Src: clone, Out: dist, Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatalf("build the pushed site: %v", err)
	}
	page, err := os.ReadFile(filepath.Join(dist, "notes", seedSlug, "index.html"))
	if err != nil {
		t.Fatalf("the note page was not built: %v", err)
	}
	canonical, anchors := notePage(t, page)
	if canonical != seedURL {
		t.Errorf(`link rel="canonical" = %q, want %q`, canonical, seedURL)
	}
	for _, want := range []string{"/architecture/#service-prefect", "/architecture/#service-tailscale", "/architecture/#service-prometheus", "/architecture/#service-k3s"} {
		if !anchors[want] {
			t.Errorf("the note body does not link %s (links: %v)", want, anchors)
		}
	}
}

// notePage finds a built page's canonical link and every link into the
// architecture page.
func notePage(t *testing.T, page []byte) (canonical string, anchors map[string]bool) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	anchors = map[string]bool{}
	attr := func(n *html.Node, key string) string {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val
			}
		}
		return ""
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch {
		case n.Data == "link" && attr(n, "rel") == "canonical":
			canonical = attr(n, "href")
		case n.Data == "a" && strings.HasPrefix(attr(n, "href"), "/architecture/"):
			anchors[attr(n, "href")] = true
		}
	}
	return canonical, anchors
}
