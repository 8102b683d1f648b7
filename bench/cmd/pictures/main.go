// Command pictures processes every .jpg of a directory with
// internal/picture on all cores, as the build will, and writes the
// variants: bench/images.sh times it against Hugo's image processing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labfront/labfront/internal/picture"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pictures:", err)
		os.Exit(1)
	}
}

func run(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("pictures", flag.ContinueOnError)
	in := fs.String("in", "", "directory of source .jpg files")
	out := fs.String("out", "", "directory for the variants")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return errors.New("usage: pictures -in DIR -out DIR")
	}
	srcs, err := filepath.Glob(filepath.Join(*in, "*.jpg"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	var files, written atomic.Int64
	jobs := make(chan string)
	errs := make(chan error, len(srcs))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for path := range jobs {
				errs <- one(path, *out, &files, &written)
			}
		})
	}
	for _, p := range srcs {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	if err := errors.Join(all...); err != nil {
		return err
	}
	fmt.Printf("images %d files %d bytes %d seconds %.3f\n", len(srcs), files.Load(), written.Load(), time.Since(start).Seconds())
	return nil
}

func one(path, out string, files, written *atomic.Int64) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	r, err := picture.Process(filepath.Base(path), src, picture.Options{})
	if err != nil {
		return err
	}
	for _, v := range r.Variants {
		// A throwaway benchmark output: plain writes, as Hugo's are, so
		// neither side pays for fsync.
		if err := os.WriteFile(filepath.Join(out, v.Name), v.Data, 0o644); err != nil {
			return err
		}
		files.Add(1)
		written.Add(int64(v.Size))
	}
	return nil
}
