package content

import (
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// TestCoverFrontMatter: the shape of cover: and the required cover_alt:
// are checked with their lines; whether the file exists is the build's.
func TestCoverFrontMatter(t *testing.T) {
	page := func(fm string) string {
		return "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML + "-- content/posts/a.md --\n---\ntitle: A\ndate: 2026-01-02\n" + fm + "---\nBody.\n"
	}
	for _, tc := range []struct {
		name, fm string
		want     []string
	}{
		{"bundle file", "cover: img/rack.jpg\ncover_alt: The rack\n", nil},
		{"media file", "cover: /media/rack.jpg\ncover_alt: The rack\n", nil},
		{"a space in the name", "cover: my rack.jpg\ncover_alt: The rack\n", nil},
		{"no alt", "cover: rack.jpg\n", []string{"content/posts/a.md:4: cover_alt: missing: describe the cover for people who cannot see it (cover_alt: what the picture shows)"}},
		{"empty alt", "cover: rack.jpg\ncover_alt: \"  \"\n", []string{"content/posts/a.md:5: cover_alt: missing: describe the cover for people who cannot see it (cover_alt: what the picture shows)"}},
		{"alt without a cover", "cover_alt: The rack\n", []string{"content/posts/a.md:4: cover_alt: there is no cover: to describe; add cover: or remove cover_alt:"}},
		{"empty cover", "cover: \"\"\ncover_alt: x\n", []string{"content/posts/a.md:4: cover: empty: name a picture of the bundle (photo.jpg) or of content/media (/media/photo.jpg), or remove the key"}},
		{"a URL", "cover: https://cdn.example/x.jpg\ncover_alt: x\n", []string{`content/posts/a.md:4: cover: must be a file of the site, not a URL (download the picture into the bundle), found "https://cdn.example/x.jpg"`}},
		{"protocol-relative", "cover: //cdn.example/x.jpg\ncover_alt: x\n", []string{`content/posts/a.md:4: cover: must be a file of the site, not a URL (download the picture into the bundle), found "//cdn.example/x.jpg"`}},
		{"a data URL", "cover: \"data:image/png;base64,AAAA\"\ncover_alt: x\n", []string{`content/posts/a.md:4: cover: must be a file of the site, not a URL (download the picture into the bundle), found "data:image/png;base64,AAAA"`}},
		{"out of the bundle", "cover: ../other/x.jpg\ncover_alt: x\n", []string{`content/posts/a.md:4: cover: must name a file inside the bundle or content/media, without ., .. or empty segments, found "../other/x.jpg"`}},
		{"absolute outside media", "cover: /assets/x.jpg\ncover_alt: x\n", []string{`content/posts/a.md:4: cover: an absolute path must be under /media/ (content/media); name a bundle file relative to the bundle, found "/assets/x.jpg"`}},
		{"query", "cover: x.jpg?v=2\ncover_alt: x\n", []string{`content/posts/a.md:4: cover: must be a plain file path: no backslash, query or fragment, found "x.jpg?v=2"`}},
		{"not a string", "cover: [a, b]\ncover_alt: x\n", []string{"content/posts/a.md:4: cover: expected a single value, found a list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, page(tc.fm))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}
