// Package substack brings an operator's Substack writing into the site:
// it reads a Substack export (.zip), a publication's RSS feed (.xml) or a
// content-pipeline text file, converts the HTML to safe Markdown, analyses
// each article against the lab (structure, implementation anchors, a
// promotion decision with its reasons), writes it to the inbox
// content/substack/, and promotes a reviewed article into content/notes/
// with its anchors linked to the architecture page.
//
// Everything is deterministic and offline: the same input and lab give the
// same files, byte for byte, so re-running an import or a promotion is safe.
package substack

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/importlimit"
)

// Post types and audiences as Substack's export names them.
const (
	TypeNewsletter = "newsletter"
	TypePodcast    = "podcast"
	TypeThread     = "thread"

	AudienceEveryone = "everyone"
	AudiencePaid     = "only_paid"
)

// Article is one post read from any of the sources, before analysis.
type Article struct {
	ID        string // substack_id: the export's numeric post id, the feed's guid, or "pipeline:" + source anchor
	Slug      string // the post's URL slug on Substack
	Title     string
	Subtitle  string
	Date      time.Time
	URL       string // substack_url
	Audience  string
	Type      string
	Published bool
	// Body is Markdown, already made safe.
	Body string
	// PodcastURL is the audio of a podcast post (not imported).
	PodcastURL string
	// Pipeline is the content pipeline's own record, for pipeline files.
	Pipeline *PipelineRecord
	// Source names where the article came from, for messages:
	// "export.zip: posts/123.slug.html".
	Source string
	// load, when set, reads Body from the source on demand (an export's
	// bodies stay in the archive until Import gets to them).
	load func() (string, error)
}

// readBody loads a deferred body; it reports whether it did, so the
// caller can drop the body again once it is written.
func (a *Article) readBody() (bool, error) {
	if a.load == nil {
		return false, nil
	}
	md, err := a.load()
	if err != nil {
		return false, err
	}
	a.Body = md
	return true, nil
}

// Batch is what a reader found in one file. An export's articles read
// their bodies from the open archive, so Close it when done.
type Batch struct {
	Articles []*Article
	close    func() error
}

// Close releases the file behind the batch.
func (b *Batch) Close() error {
	if b == nil || b.close == nil {
		return nil
	}
	return b.close()
}

// PipelineRecord is what the content pipeline wrote about an article: its
// generation time, source, and its own verdict, kept next to ours so a
// reviewer can compare them.
type PipelineRecord struct {
	Name         string `yaml:"name,omitempty"`
	Generated    string `yaml:"generated,omitempty"`
	Source       string `yaml:"source,omitempty"`
	SourceAnchor string `yaml:"source_anchor,omitempty"`
	Decision     string `yaml:"decision,omitempty"`
	Structure    string `yaml:"structure,omitempty"`
}

// Options tell the readers where the publication lives. Readers return
// every article, drafts and paid-only posts included; Import decides what
// to skip.
type Options struct {
	// Publication is site.yaml's substack key: the publication URL
	// without a trailing slash. Exports and pipeline files need it to
	// build each article's substack_url.
	Publication string
	// Limits bound what the readers read; the zero value means
	// importlimit.Default.
	Limits importlimit.Limits
}

// postURL is the canonical address of a post on the publication.
func postURL(publication, slug string) string {
	if publication == "" || slug == "" {
		return ""
	}
	return strings.TrimRight(publication, "/") + "/p/" + slug
}

// Read reads every article of file, choosing the reader by the file's
// name and, for XML, its root element. Every file is read within
// opts.Limits.
func Read(file string, opts Options) (*Batch, error) {
	lim := opts.Limits.OrDefault()
	switch strings.ToLower(filepath.Ext(file)) {
	case ".zip":
		return ReadExport(file, opts)
	case ".xml", ".rss":
		data, err := importlimit.ReadFile(file, lim.FeedBytes)
		if err != nil {
			return nil, err
		}
		articles, err := ReadFeed(data, file, opts)
		if err != nil {
			return nil, err
		}
		return &Batch{Articles: articles}, nil
	case ".md", ".txt", ".markdown":
		data, err := importlimit.ReadFile(file, lim.ArticleBytes)
		if err != nil {
			return nil, err
		}
		a, err := ReadPipeline(data, file, opts)
		if err != nil {
			return nil, err
		}
		return &Batch{Articles: []*Article{a}}, nil
	}
	return nil, fmt.Errorf("%s: not a Substack export (.zip), feed (.xml) or pipeline file (.md, .txt)", file)
}
