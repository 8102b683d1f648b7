package substack

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strings"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/importlimit"
)

type rssItem struct {
	Title       string `xml:"title"`
	Description string `xml:"description"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	PubDate     string `xml:"pubDate"`
	Creator     string `xml:"http://purl.org/dc/elements/1.1/ creator"`
	Encoded     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	Enclosure   struct {
		URL  string `xml:"url,attr"`
		Type string `xml:"type,attr"`
	} `xml:"enclosure"`
}

// ReadFeed reads a publication's RSS feed. Every item is published and,
// as far as the feed tells, for everyone; a feed item whose enclosure is
// audio is a podcast. The caller bounds the feed's size (Limits.FeedBytes);
// ReadFeed bounds the items (Limits.Rows) and each item's HTML
// (Limits.ArticleBytes).
func ReadFeed(data []byte, display string, opts Options) ([]*Article, error) {
	lim := opts.Limits.OrDefault()
	dec := xml.NewDecoder(bytes.NewReader(data))
	lines := diag.NewLines(data)
	var probs diag.List
	var out []*Article
	channelLink := ""
	sawRSS := false
	items := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				probs.Add(display, se.Line, "", "invalid XML: %s", se.Msg)
				return nil, probs.Err()
			}
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "feed":
			if !sawRSS {
				return nil, diag.List{{Path: display, Line: lines.Line(dec.InputOffset()), Msg: "this is an Atom feed; Substack publishes RSS at https://<publication>.substack.com/feed"}}
			}
		case "rss":
			sawRSS = true
		case "link":
			if channelLink == "" && len(out) == 0 && start.Name.Space == "" {
				var s string
				if err := dec.DecodeElement(&s, &start); err == nil {
					channelLink = strings.TrimSpace(s)
				}
			}
		case "item":
			line := lines.Line(dec.InputOffset())
			if items++; items > lim.Rows {
				return nil, diag.List{{Path: display, Line: line, Msg: fmt.Sprintf("more than %d items: an import takes at most %d articles", lim.Rows, lim.Rows)}}
			}
			var it rssItem
			if err := dec.DecodeElement(&it, &start); err != nil {
				var se *xml.SyntaxError
				if errors.As(err, &se) {
					probs.Add(display, se.Line, "", "invalid XML: %s", se.Msg)
				} else {
					probs.Add(display, line, "item", "%v", err)
				}
				return nil, probs.Err()
			}
			if n := int64(len(it.Encoded)); n > lim.ArticleBytes {
				probs.Add(display, line, "content:encoded", "%v", &importlimit.TooLarge{Limit: lim.ArticleBytes})
				continue
			}
			a, err := feedArticle(&it, channelLink)
			if err != nil {
				probs.Add(display, line, "item", "%v", err)
				continue
			}
			a.Source = fmt.Sprintf("%s:%d", display, line)
			out = append(out, a)
		}
	}
	if !sawRSS && len(probs) == 0 {
		probs.Add(display, 1, "", "not an RSS feed: no <rss> element")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func feedArticle(it *rssItem, channelLink string) (*Article, error) {
	title := strings.TrimSpace(it.Title)
	if title == "" {
		return nil, errors.New("title: required")
	}
	link := safeHref(strings.TrimSpace(it.Link), "")
	if link == "" {
		return nil, fmt.Errorf("link: %q is not an http(s) URL", it.Link)
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	slug := ""
	if rest, ok := strings.CutPrefix(u.Path, "/p/"); ok {
		slug = strings.Trim(rest, "/")
	}
	if !slugPattern.MatchString(slug) {
		return nil, fmt.Errorf("link: %q has no /p/<slug> path", link)
	}
	t, err := mail.ParseDate(strings.TrimSpace(it.PubDate))
	if err != nil {
		return nil, fmt.Errorf("pubDate: %q is not an RFC 822 date", it.PubDate)
	}
	id := strings.TrimSpace(it.GUID)
	if id == "" {
		id = link
	}
	site := channelLink
	if site == "" {
		site = u.Scheme + "://" + u.Host
	}
	body, err := ToMarkdown(it.Encoded, site)
	if err != nil {
		return nil, err
	}
	a := &Article{
		ID: id, Slug: slug, Title: title, Subtitle: strings.TrimSpace(it.Description), Date: t.UTC(),
		URL: link, Audience: AudienceEveryone, Type: TypeNewsletter, Published: true, Body: body,
	}
	if strings.HasPrefix(it.Enclosure.Type, "audio/") {
		a.Type = TypePodcast
		a.PodcastURL = safeHref(it.Enclosure.URL, "")
	}
	return a, nil
}
