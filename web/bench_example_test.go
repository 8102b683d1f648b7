package web

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/labfront/labfront/internal/corpus"
	"github.com/labfront/labfront/static"
)

func benchBuild(b *testing.B, src string) {
	out := filepath.Join(b.TempDir(), "dist")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(context.Background(), Options{Src: src, Out: out, Static: static.FS(), Islands: Islands(), Clean: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildExample builds the repository's example site: the dev
// server's rebuild after each save costs about this much.
func BenchmarkBuildExample(b *testing.B) { benchBuild(b, "..") }

// BenchmarkBuild1000 builds a generated corpus of 1,000 posts of about 900
// words with tags, code, tables and links.
func BenchmarkBuild1000(b *testing.B) {
	src := b.TempDir()
	if err := corpus.Write(src, 1000); err != nil {
		b.Fatal(err)
	}
	benchBuild(b, src)
}

// BenchmarkRebuildExample is the dev server's rebuild after a save: every
// page unchanged but one is served from the content cache.
func BenchmarkRebuildExample(b *testing.B) {
	out := filepath.Join(b.TempDir(), "dist")
	opts := Options{Src: "..", Out: out, Static: static.FS(), Islands: Islands(), Cache: NewCache()}
	if _, err := Build(context.Background(), opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}
