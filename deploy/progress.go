package deploy

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Progress hears about a deploy as it goes. Calls may come from several
// goroutines; implementations serialise them.
type Progress interface {
	// Step is a phase starting or a status change, one line of text.
	Step(msg string)
	// Upload is the upload so far, called at the start and after every
	// bucket.
	Upload(doneFiles, totalFiles int, doneBytes, totalBytes int64)
}

type discardProgress struct{}

func (discardProgress) Step(string)                   {}
func (discardProgress) Upload(int, int, int64, int64) {}

// NewProgress reports to w: a bar redrawn in place when w is a terminal,
// plain lines otherwise (logs, CI).
func NewProgress(w io.Writer, terminal bool) Progress {
	if terminal {
		return &barProgress{w: w, width: 30}
	}
	return &lineProgress{w: w}
}

type lineProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *lineProgress) Step(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, msg)
}

func (p *lineProgress) Upload(done, total int, doneBytes, totalBytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total == 0 {
		fmt.Fprintln(p.w, "uploading: nothing to upload, every file is already on Cloudflare")
		return
	}
	fmt.Fprintf(p.w, "uploading: %d/%d files, %s/%s\n", done, total, sizeString(doneBytes), sizeString(totalBytes))
}

// barProgress redraws one line with a carriage return; any other output
// first ends that line.
type barProgress struct {
	mu     sync.Mutex
	w      io.Writer
	width  int
	inLine bool
}

func (p *barProgress) Step(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inLine {
		fmt.Fprintln(p.w)
		p.inLine = false
	}
	fmt.Fprintln(p.w, msg)
}

func (p *barProgress) Upload(done, total int, doneBytes, totalBytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total == 0 {
		fmt.Fprintln(p.w, "nothing to upload, every file is already on Cloudflare")
		return
	}
	filled := p.width * done / total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d files %s/%s", strings.Repeat("#", filled), strings.Repeat(".", p.width-filled),
		done, total, sizeString(doneBytes), sizeString(totalBytes))
	p.inLine = done < total
	if !p.inLine {
		fmt.Fprintln(p.w)
	}
}
