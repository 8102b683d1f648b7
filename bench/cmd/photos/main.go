// Command photos writes N deterministic JPEGs (by default 12 MP,
// 4000×3000) that look like photos to an encoder — gradients, soft rings
// and per-pixel noise, not flat colour — for bench/images.sh. Photo i is
// the same bytes whatever N is, so a run can make one photo more than it
// publishes and use it as an edit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "photos:", err)
		os.Exit(1)
	}
}

func run(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("photos", flag.ContinueOnError)
	n := fs.Int("n", 200, "number of photos")
	out := fs.String("out", "", "directory to write photo-NNNN.jpg into")
	w := fs.Int("w", 4000, "width in pixels")
	h := fs.Int("h", 3000, "height in pixels")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *n < 1 || *w < 1 || *h < 1 || fs.NArg() != 0 {
		return errors.New("usage: photos -n N [-w W -h H] -out DIR")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	jobs := make(chan int)
	errs := make(chan error, *n)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				errs <- write(filepath.Join(*out, fmt.Sprintf("photo-%04d.jpg", i)), *w, *h, uint64(i))
			}
		})
	}
	for i := range *n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(errs <-chan error) []error {
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	return all
}

func write(path string, w, h int, seed uint64) error {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	// The same draws as when the size was fixed: the same photos as before.
	cx, cy := int(rng.Uint32()%uint32(w)), int(rng.Uint32()%uint32(h))
	for y := range h {
		for x := range w {
			dx, dy := x-cx, y-cy
			ring := (dx*dx + dy*dy) / (w + 1) % 64
			n := int(rng.Uint32()%24) - 12
			i := m.PixOffset(x, y)
			m.Pix[i+0] = clamp(x*200/w + ring + n)
			m.Pix[i+1] = clamp(y*180/h + 30 + n)
			m.Pix[i+2] = clamp((x+y)*120/(w+h) + 60 - ring/2 + n)
			m.Pix[i+3] = 255
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, m, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

func clamp(v int) uint8 { return uint8(max(0, min(255, v))) }
