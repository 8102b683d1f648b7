package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/slug"
)

// NewPage writes a new post or note with front matter and today's date and
// returns its path. It never overwrites: an existing file is an error. The
// page starts as a draft so it cannot be published by accident.
func NewPage(src string, kind Kind, title string, today time.Time) (string, error) {
	title = strings.TrimSpace(title)
	name := slug.Make(title)
	if name == "" {
		return "", fmt.Errorf("the title %q has no letters or digits to make a URL from", title)
	}
	name += ".md"
	if kind == Post {
		name = today.Format(time.DateOnly) + "-" + name
	}
	dir := filepath.Join(src, "content", kind.Dir())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	body := fmt.Sprintf("---\ntitle: %s\ndate: %s\nsummary: \"\"\ntags: []\ndraft: true\n---\n\nWrite the %s here. Remove `draft: true` to publish it.\n",
		strconv.Quote(title), today.Format(time.DateOnly), kind.Name())
	// O_EXCL makes "never overwrite" hold even against a concurrent run.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists", displayPath(src, filepath.Join("content", kind.Dir(), name)))
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(body); err != nil {
		return "", errors.Join(err, f.Close(), os.Remove(path))
	}
	if err := f.Close(); err != nil {
		return "", errors.Join(err, os.Remove(path))
	}
	return displayPath(src, filepath.Join("content", kind.Dir(), name)), nil
}
