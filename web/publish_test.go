package web

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/corpus"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// crashPosts keeps the many builds of the crash tests quick while still
// paginating and tagging.
const crashPosts = 12

// writeVersion writes the corpus at src, version 2 edited (see
// corpus.Edit).
func writeVersion(t *testing.T, src string, version int) {
	t.Helper()
	if err := corpus.Write(src, crashPosts); err != nil {
		t.Fatal(err)
	}
	if version == 2 {
		if err := corpus.Edit(src); err != nil {
			t.Fatal(err)
		}
	}
}

// cleanTree is the tree a clean build of version makes.
func cleanTree(t *testing.T, version int) map[string]string {
	t.Helper()
	src := t.TempDir()
	writeVersion(t, src, version)
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, true))
	return sitetest.Tree(t, out)
}

// leftovers lists what a build left beside out besides out and its cache.
func leftovers(t *testing.T, out string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if n := e.Name(); n != filepath.Base(out) && n != filepath.Base(cacheDir(out)) {
			left = append(left, n)
		}
	}
	return left
}

// TestPublishStoppedAtEveryRename stops a build dead (runtime.Goexit: no
// error path runs; the lock goes as it does when the kernel reaps a
// killed process) just before and just after each rename of its publish
// step, for full and incremental builds, with the atomic swap and with
// the two-rename fallback. With the swap, dist/ is then wholly the old
// site or wholly the new one; with the fallback it may be missing
// between its two renames. Either way the next build puts things right:
// dist/ equals a clean build and nothing is left beside it.
func TestPublishStoppedAtEveryRename(t *testing.T) {
	v1, v2 := cleanTree(t, 1), cleanTree(t, 2)
	noExchange := func(a, b string) error { return errNoExchange }
	for _, tc := range []struct {
		name     string
		clean    bool
		exchange func(a, b string) error
		// missing are the stop points where dist/ may be missing: after
		// the fallback's first rename of out and before its second (an
		// incremental build first renames the spare tree into place).
		missing []int
	}{
		{"incremental", false, nil, nil},
		{"full", true, nil, nil},
		{"incremental fallback", false, noExchange, []int{4, 5}},
		{"full fallback", true, noExchange, []int{2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Stop point 2n-1 is just before rename n, 2n just after it;
			// the first point a build passes without stopping is the end.
			const maxPoints = 16
			stopped := 0
			for point := 1; point <= maxPoints; point++ {
				src := t.TempDir()
				writeVersion(t, src, 1)
				out := filepath.Join(t.TempDir(), "dist")
				// Twice: the second keeps a spare tree, which the
				// incremental build takes up (see takeSpare).
				mustBuild(t, buildOpts(src, out, false))
				mustBuild(t, buildOpts(src, out, false))
				writeVersion(t, src, 2)
				opts := buildOpts(src, out, tc.clean)
				opts.exchange = tc.exchange
				opts.AtRename = func(n int, after bool) {
					p := 2*n - 1
					if after {
						p++
					}
					if p == point {
						runtime.Goexit()
					}
				}
				done := make(chan error, 1)
				finished := false
				go func() {
					defer close(done)
					_, err := Build(context.Background(), opts)
					finished = true
					done <- err
				}()
				if err := <-done; err != nil {
					t.Fatalf("point %d: build: %v", point, err)
				}
				if finished {
					if point < 3 {
						t.Fatalf("the build passed stop point %d: its renames are not hooked", point)
					}
					break
				}
				stopped++
				_, err := os.Stat(out)
				switch got := sitetest.Tree(t, filepath.Dir(out)); {
				case err != nil && slices.Contains(tc.missing, point):
				case err != nil:
					t.Errorf("stopped at point %d: dist/ is missing: %v", point, err)
				case !maps.Equal(sitetest.Tree(t, out), v1) && !maps.Equal(sitetest.Tree(t, out), v2):
					t.Errorf("stopped at point %d: dist/ is neither the old site nor the new one (%d files beside it)", point, len(got))
				}
				if err != nil {
					// A build that fails on its input still puts the
					// parked site back.
					bad := filepath.Join(src, "content", "posts", "2099-01-01-broken.md")
					if err := os.WriteFile(bad, []byte("---\ntitle: [unclosed\n---\n"), 0o644); err != nil {
						t.Fatal(err)
					}
					if _, err := Build(context.Background(), buildOpts(src, out, false)); err == nil {
						t.Fatal("build of a broken post succeeded")
					}
					if _, err := os.Stat(out); err != nil || !maps.Equal(sitetest.Tree(t, out), v1) {
						t.Errorf("stopped at point %d: a failed build did not put the old site back: %v", point, err)
					}
					if err := os.Remove(bad); err != nil {
						t.Fatal(err)
					}
				}
				mustBuild(t, buildOpts(src, out, false))
				if !maps.Equal(sitetest.Tree(t, out), v2) {
					t.Errorf("stopped at point %d: the next build's dist/ differs from a clean build", point)
				}
				if left := leftovers(t, out); len(left) > 0 {
					t.Errorf("stopped at point %d: the next build left %v", point, left)
				}
			}
			if stopped == 0 || stopped == maxPoints {
				t.Fatalf("stopped %d times; the hook does not bound the publish step", stopped)
			}
		})
	}
}

// TestIncrementalSpareTree runs a series of incremental builds, so that
// each one brings the spare tree (the build before the previous one) up
// to date: after each, dist/ must be byte for byte a clean build of the
// source, the spare must be in use, and only the changed files written.
// One round vandalises a file of dist/ in place, which a hard link
// shares with the spare: the spare must not pass it on.
func TestIncrementalSpareTree(t *testing.T) {
	src := t.TempDir()
	if err := corpus.Write(src, crashPosts); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, false))
	posts, err := filepath.Glob(filepath.Join(src, "content", "posts", "*.md"))
	if err != nil || len(posts) != crashPosts {
		t.Fatalf("corpus posts: %d, %v", len(posts), err)
	}
	rounds := []struct {
		name string
		edit func(t *testing.T)
	}{
		{"nothing", func(*testing.T) {}},
		{"one post", func(t *testing.T) {
			editFile(t, posts[2], func(s string) string { return s + "\nRound two.\n" })
		}},
		{"another post", func(t *testing.T) {
			editFile(t, posts[5], func(s string) string { return s + "\nRound three.\n" })
		}},
		{"a vandalised page", func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(out, "index.html"), []byte("vandalised"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"a deleted post", func(t *testing.T) {
			if err := os.Remove(posts[len(posts)-1]); err != nil {
				t.Fatal(err)
			}
		}},
		{"the corpus edit", func(t *testing.T) {
			if err := corpus.Edit(src); err != nil {
				t.Fatal(err)
			}
		}},
		{"nothing again", func(*testing.T) {}},
	}
	for i, r := range rounds {
		r.edit(t)
		res := mustBuild(t, buildOpts(src, out, false))
		clean := filepath.Join(t.TempDir(), "dist")
		mustBuild(t, buildOpts(src, clean, true))
		sameTree(t, out, clean)
		spares, err := filepath.Glob(filepath.Join(cacheDir(out), spareDir+"*"))
		if err != nil || len(spares) != 1 {
			t.Errorf("round %d (%s): spare trees %v, %v; want one", i, r.name, spares, err)
		}
		if strings.HasPrefix(r.name, "nothing") && res.Written != 0 {
			t.Errorf("round %d (%s): wrote %d files, want none", i, r.name, res.Written)
		}
		if r.name == "a vandalised page" && res.Written != 1 {
			t.Errorf("round %d (%s): wrote %d files, want the vandalised one", i, r.name, res.Written)
		}
	}
}
