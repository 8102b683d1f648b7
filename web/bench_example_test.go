package web

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/labfront/labfront/static"
)

func BenchmarkBuildExample(b *testing.B) {
	out := filepath.Join(b.TempDir(), "dist")
	for b.Loop() {
		if _, err := Build(context.Background(), Options{Src: "..", Out: out, Static: static.FS()}); err != nil {
			b.Fatal(err)
		}
	}
}
