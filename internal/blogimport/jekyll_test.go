package blogimport

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

const jekyllLiquidFixture = `
-- _config.yml --
title: Liquid Lab
url: https://old.example.org
baseurl: /blog
permalink: pretty
-- assets/pic.png --
PNG
-- _posts/2023-01-05-md-post.md --
---
title: Markdown post
---
Intro with ![Pic]({{ "/assets/pic.png" | relative_url }}).

{%- raw -%}
A literal {{ page.title }} and {% if x %}
{%- endraw -%}

{% comment %}
Not for readers.
{% endcomment %}
Visible again. {% comment %}inline{% endcomment %}

{% highlight sh linenos %}
echo {{ hi }}
{% endhighlight %}

{% include note.html %}

<iframe width="560" src="https://www.youtube.com/embed/xyz" allowfullscreen></iframe>
-- _posts/2023-03-01-html-post.html --
---
title: HTML post
tags: [html]
---
<h2>Wiring</h2>
<p>See <a href="{% post_url 2023-01-05-md-post %}">the Markdown post</a>
and <a href="{% link _posts/2023-01-05-md-post.md %}">again</a>.</p>
<p><img src="{{ site.baseurl }}/assets/pic.png" alt="Pic"></p>
<ul>
  <li>one <em>two</em></li>
  <li><code>three</code></li>
</ul>
{% highlight go %}
func main() {
	fmt.Println("<ok>")
}
{% endhighlight %}
<p>{% raw %}{{ kept }}{% endraw %} and {{ page.title }}</p>
{% include footer.html %}
<iframe src="https://www.youtube.com/embed/abc123"></iframe>
<script>alert(1)</script>
{% comment %}hidden{% endcomment %}
<p>The end.</p>
`

// TestJekyllLiquidAndHTMLPosts: a post of _posts/ written in HTML
// becomes Markdown with its Liquid converted, the common Liquid tags of
// Markdown posts too, and every tag the import does not know, and every
// element it leaves out, is reported at its source line.
func TestJekyllLiquidAndHTMLPosts(t *testing.T) {
	src := writeSite(t, jekyllLiquidFixture)
	dest := t.TempDir()
	rep, err := Jekyll(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Posts) != 2 {
		t.Fatalf("posts = %+v, want the Markdown and the HTML post", rep.Posts)
	}
	md := sitetest.ReadFile(t, dest, "content/posts/2023-01-05-md-post/index.md")
	for _, want := range []string{
		"![Pic](assets/pic.png)",
		"A literal {{ page.title }} and {% if x %}\n",
		"Visible again.",
		"```sh\necho {{ hi }}\n```",
		"` {% include note.html %} `",
		"[https://www.youtube.com/embed/xyz](https://www.youtube.com/embed/xyz)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown post lacks %q:\n%s", want, md)
		}
	}
	for _, gone := range []string{"Not for readers", "inline", "endraw", "endcomment"} {
		if strings.Contains(md, gone) {
			t.Errorf("Markdown post still has %q:\n%s", gone, md)
		}
	}
	html := sitetest.ReadFile(t, dest, "content/posts/2023-03-01-html-post/index.md")
	for _, want := range []string{
		"tags: [html]",
		"## Wiring",
		"See [the Markdown post](/blog/md-post/) and [again](/blog/md-post/).",
		"![Pic](assets/pic.png)",
		"- one *two*\n- `three`",
		"```go\nfunc main() {\n\tfmt.Println(\"<ok>\")\n}\n```",
		"{{ kept }} and ` {{ page.title }} `",
		"` {% include footer.html %} `",
		"[https://www.youtube.com/embed/abc123](https://www.youtube.com/embed/abc123)",
		"The end.",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML post lacks %q:\n%s", want, html)
		}
	}
	for _, gone := range []string{"alert", "hidden", "<p>", "zq"} {
		if strings.Contains(html, gone) {
			t.Errorf("HTML post still has %q:\n%s", gone, html)
		}
	}
	var out strings.Builder
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	report := strings.ReplaceAll(out.String(), filepath.ToSlash(src)+"/", "")
	for _, want := range []string{
		"_posts/2023-01-05-md-post.md:19: Liquid tag {% include %} is not known to the import",
		"_posts/2023-01-05-md-post.md:21: an <iframe> (an embed) is not shown by labfront: it is a link to https://www.youtube.com/embed/xyz now",
		"_posts/2023-03-01-html-post.html:18: Liquid output {{ page.title }} is not known to the import",
		"_posts/2023-03-01-html-post.html:19: Liquid tag {% include %} is not known to the import",
		"_posts/2023-03-01-html-post.html:20: an <iframe> (an embed) is not shown by labfront: it is a link to https://www.youtube.com/embed/abc123 now",
		"_posts/2023-03-01-html-post.html:21: <script> is not shown by labfront",
		"HTML post 1", "post_url 1", "link 1", "highlight 2", "raw 1", "relative_url 1", "site.baseurl 1",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	tree := importAndBuild(t, dest, false)
	if page := tree["blog/html-post/index.html"]; !strings.Contains(page, "Wiring") || !strings.Contains(page, `href="/blog/md-post/"`) {
		t.Errorf("built HTML post:\n%s", page)
	}
}
