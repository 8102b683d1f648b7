// Package importlimit bounds what one import may read and write: the
// Substack export, feed and pipeline readers today, and any later importer
// (Hugo, Astro, Jekyll). A hostile or broken archive — a zip bomb, one
// huge entry named by many rows, a million draft rows — is refused quickly
// with a message naming the file, instead of exhausting memory, disk or
// time.
package importlimit

import (
	"fmt"
	"io"
	"os"
)

// Limits are the bounds of one import. They are generous for real
// exports: a Substack post is rarely over 1 MiB of HTML, and a large
// publication has a few thousand posts.
type Limits struct {
	// ArchiveBytes bounds the decompressed bytes read from one archive,
	// every entry together; an entry read twice counts twice.
	ArchiveBytes int64
	// ArchiveEntries bounds the entries an archive's directory may list.
	ArchiveEntries int
	// ArticleBytes bounds one article's source: an archive entry, a
	// feed item's HTML, a single-article text file.
	ArticleBytes int64
	// IndexBytes bounds an archive's index of articles (posts.csv).
	IndexBytes int64
	// FeedBytes bounds a feed file (RSS), all items together.
	FeedBytes int64
	// Rows bounds the rows of an index: the articles one import may list.
	Rows int
	// Files bounds the files one import writes.
	Files int
}

// Default returns the limits every importer uses unless a caller (a test)
// asks for others.
func Default() Limits {
	return Limits{
		ArchiveBytes:   1 << 30,
		ArchiveEntries: 100_000,
		ArticleBytes:   8 << 20,
		IndexBytes:     64 << 20,
		FeedBytes:      64 << 20,
		Rows:           50_000,
		Files:          10_000,
	}
}

// OrDefault returns l, or Default when l is the zero value.
func (l Limits) OrDefault() Limits {
	if l == (Limits{}) {
		return Default()
	}
	return l
}

// TooLarge is the error of an input over a limit.
type TooLarge struct {
	Limit int64
	// Whole is set when the archive as a whole went over ArchiveBytes,
	// rather than the one entry being read.
	Whole bool
}

func (e *TooLarge) Error() string {
	if e.Whole {
		return fmt.Sprintf("the archive holds more than %s once decompressed (the limit of one import)", Size(e.Limit))
	}
	return "larger than " + Size(e.Limit)
}

// Size writes n bytes the way the limits are chosen: "8 MiB".
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Budget counts the decompressed bytes read from one archive against
// ArchiveBytes. An archive's headers state sizes that can lie, so only
// the bytes actually read are counted.
type Budget struct {
	limit, used int64
}

// NewBudget starts counting an archive against l.ArchiveBytes.
func (l Limits) NewBudget() *Budget { return &Budget{limit: l.ArchiveBytes} }

// Reader reads r, failing with *TooLarge once more than max bytes came
// from it or the budget is spent. It never reads more than one byte past
// either bound.
func (b *Budget) Reader(r io.Reader, max int64) io.Reader {
	return &limited{r: r, max: max, b: b}
}

// Read reads r whole through Reader.
func (b *Budget) Read(r io.Reader, max int64) ([]byte, error) {
	return io.ReadAll(b.Reader(r, max))
}

type limited struct {
	r    io.Reader
	max  int64
	read int64
	b    *Budget
}

func (l *limited) Read(p []byte) (int, error) {
	room := min(l.max-l.read, l.b.limit-l.b.used) + 1
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	l.b.used += int64(n)
	switch {
	case l.read > l.max:
		return 0, &TooLarge{Limit: l.max}
	case l.b.used > l.b.limit:
		return 0, &TooLarge{Limit: l.b.limit, Whole: true}
	}
	return n, err
}

// ReadFile reads a regular file of at most max bytes. Devices, FIFOs and
// the like are refused: they can be endless.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %w", path, &TooLarge{Limit: max})
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		// It grew while we read it.
		return nil, fmt.Errorf("%s: %w", path, &TooLarge{Limit: max})
	}
	return data, nil
}
