package api

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The webhook deploys build in a child labfront (see deploy/deployrun/sandbox.go): the
// tests that deploy build the real binary once, on first use, and point
// the deployer at it.
var labfrontBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if labfrontBinary.dir != "" {
		if err := os.RemoveAll(labfrontBinary.dir); err != nil {
			fmt.Fprintln(os.Stderr, "remove the test binary:", err)
		}
	}
	os.Exit(code)
}

// labfrontBin answers the path of a labfront built from this checkout.
func labfrontBin(t *testing.T) string {
	t.Helper()
	b := &labfrontBinary
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "labfront-api-test-"); b.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		b.path = filepath.Join(b.dir, "labfront")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.path, "github.com/labfront/labfront/cmd/labfront")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}
