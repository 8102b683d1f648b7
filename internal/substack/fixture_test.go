package substack

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files and testdata/export.zip from testdata/export/")

const (
	exportDir = "testdata/export"
	exportZip = "testdata/export.zip"
)

// buildZip packs dir the way Substack's export is laid out, with fixed
// times and sorted names so the archive is reproducible byte for byte.
func buildZip(t *testing.T, dir string) []byte {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExportZipMatchesSource proves the committed zip is exactly the
// unpacked fixture next to it, so a reviewer can read what the tests feed
// the importer. Run with -update after editing testdata/export/.
func TestExportZipMatchesSource(t *testing.T) {
	if *update {
		if err := os.WriteFile(exportZip, buildZip(t, exportDir), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zr, err := zip.OpenReader(exportZip)
	if err != nil {
		t.Fatalf("%v (run go test -run TestExportZipMatchesSource -update to build it)", err)
	}
	defer zr.Close()
	inZip := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		inZip[f.Name] = data
	}
	onDisk := map[string][]byte{}
	err = filepath.WalkDir(exportDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(exportDir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		onDisk[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range onDisk {
		got, ok := inZip[name]
		if !ok {
			t.Errorf("%s is in %s but not in the zip (run -update)", name, exportDir)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s differs between the zip and %s (run -update)", name, exportDir)
		}
	}
	for name := range inZip {
		if _, ok := onDisk[name]; !ok {
			t.Errorf("%s is in the zip but not in %s (run -update)", name, exportDir)
		}
	}
}

// testSite copies testdata/site (site.yaml with a substack key, a lab with
// the seed's services) into a temporary directory.
func testSite(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("testdata/site", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("testdata/site", p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n%s", path, got)
	}
}
