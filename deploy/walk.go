package deploy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MaxAssetSize is the largest file Pages accepts.
const MaxAssetSize = 25 << 20

// Asset is one file of the site to upload.
type Asset struct {
	Name        string // slash-separated, relative to the output directory
	Path        string // on disk
	Size        int64
	Hash        string
	ContentType string
}

// Special files Pages takes as form fields of the deployment rather than as
// assets (they are never served as files).
const (
	headersFile   = "_headers"
	redirectsFile = "_redirects"
	routesFile    = "_routes.json"
	workerFile    = "_worker.js"
)

// skipped reports whether wrangler leaves a path out of the assets: the
// special files and functions/ and .wrangler/ at the top, and .DS_Store,
// node_modules and .git anywhere.
func skipped(rel string) bool {
	switch rel {
	case workerFile, redirectsFile, headersFile, routesFile, "functions", ".wrangler":
		return true
	}
	switch path.Base(rel) {
	case ".DS_Store", "node_modules", ".git":
		return true
	}
	return false
}

// Walk lists the assets under dir the way wrangler's pages validate step
// does, hashing each file. Symbolic links are skipped (wrangler means to
// skip them too, but its check runs on stat, not lstat, so it follows
// them; skipping keeps a link from publishing files outside dir). A file
// over 25 MiB is an error naming it. The result is sorted by name.
func Walk(dir string) ([]Asset, error) {
	var assets []Asset
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			if !d.IsDir() {
				return fmt.Errorf("%s is not a directory", dir)
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skipped(rel) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 || d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // sockets, devices: nothing Pages could serve
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxAssetSize {
			return fmt.Errorf("%s: %s is larger than the 25 MiB Pages allows for one file", p, sizeString(info.Size()))
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		assets = append(assets, Asset{
			Name:        rel,
			Path:        p,
			Size:        int64(len(content)),
			Hash:        AssetHash(rel, content),
			ContentType: ContentType(rel),
		})
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) && pe.Path == dir {
			return nil, fmt.Errorf("the output directory %s does not exist (build the site first)", dir)
		}
		return nil, fmt.Errorf("walk %s: %w", dir, err)
	}
	slices.SortFunc(assets, func(a, b Asset) int { return strings.Compare(a.Name, b.Name) })
	return assets, nil
}

// Manifest maps "/name" to hash for every asset, the deployment's
// manifest field.
func Manifest(assets []Asset) map[string]string {
	m := make(map[string]string, len(assets))
	for _, a := range assets {
		m["/"+a.Name] = a.Hash
	}
	return m
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
