package discover

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/live"
)

// MinTimeout is the least time a source gets to answer discovery: it asks
// more than a collection does (Proxmox reads every guest's config), so a
// collection timeout of a few seconds would fail it on a busy host.
const MinTimeout = 30 * time.Second

// SourceError is a source that could not be asked.
type SourceError struct {
	Source string
	Err    error
}

func (e SourceError) Error() string { return fmt.Sprintf("source %q: %v", e.Source, e.Err) }

func (e SourceError) Unwrap() error { return e.Err }

// Asked is what the configured sources answered.
type Asked struct {
	// Input is ready for Merge.
	Input Input
	// Sources are the names of the sources asked, in config order; a
	// source whose kind cannot discover is not asked.
	Sources []string
	// Failed are the sources that were asked and did not answer.
	Failed []SourceError
}

// Ask asks every source whose kind can discover, all at once. A source
// that fails leaves its live key out of Input.Asked, so what it would
// have seen is not reported as unseen; the others' findings are kept.
func Ask(ctx context.Context, kinds live.Kinds, sources []live.Source) *Asked {
	type answer struct {
		found []live.Found
		err   error
	}
	var asked []live.Source
	for _, src := range sources {
		if kinds.CanDiscover(src.Type) {
			asked = append(asked, src)
		}
	}
	answers := make([]answer, len(asked))
	var wg sync.WaitGroup
	for i, src := range asked {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, max(src.Timeout, MinTimeout))
			defer cancel()
			answers[i].found, answers[i].err = kinds.Discover(ctx, src)
		})
	}
	wg.Wait()

	out := &Asked{Input: Input{Sites: map[string]string{}}}
	failedKeys := map[string]bool{}
	var keys []string
	for i, src := range asked {
		out.Sources = append(out.Sources, src.Name)
		if src.Site != "" {
			out.Input.Sites[src.Name] = src.Site
		}
		k, _ := kinds.Lookup(src.Type) // CanDiscover found it
		if k.LiveKey != "" && !slices.Contains(keys, k.LiveKey) {
			keys = append(keys, k.LiveKey)
		}
		if err := answers[i].err; err != nil {
			out.Failed = append(out.Failed, SourceError{Source: src.Name, Err: err})
			failedKeys[k.LiveKey] = true
			continue
		}
		out.Input.Found = append(out.Input.Found, answers[i].found...)
	}
	for _, k := range keys {
		if !failedKeys[k] {
			out.Input.Asked = append(out.Input.Asked, k)
		}
	}
	return out
}
