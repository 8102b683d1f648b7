package blogimport

// Small synthetic sites, one per generator, each with page bundles or
// their equivalent, images in every place the generator keeps them,
// drafts, aliases, translations and the syntax the import converts.
// A file whose text is "PNG" is replaced by a real 4×4 PNG.

const hugoFixture = `
-- hugo.toml --
baseURL = "https://old.example.org/"
title = "Rack Notes"
languageCode = "en-us"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
[params]
description = "A homelab blog"
[permalinks]
posts = "/:year/:month/:slug/"
[languages.en]
weight = 1
[languages.fr]
weight = 2
-- content/posts/_index.md --
---
title: Posts
---
-- content/posts/rack-tour/index.md --
+++
title = "Rack tour"
date = 2024-03-02T10:00:00Z
tags = ["Homelab"]
categories = ["Hardware"]
aliases = ["/old/rack/"]
series = "Lab build"
author = "Mara"
toc = true
[cover]
image = "front.png"
alt = "The front of the rack"
+++
The rack from the front:

{{< figure src="front.png" alt="Front of the rack" caption="Built in 2024" >}}

Next: [the network]({{< ref "posts/network.md" >}}), and the [backup post]({{< relref "backups" >}}#restore).

{{< youtube dQw4w9WgXcQ >}}

{{< gist mara 0123abcd >}}

{{< highlight go >}}
func main() {}
{{< /highlight >}}

{{< details summary="Parts list" >}}
- two switches
{{< /details >}}

{{< notice warning >}}
Mind the cables.
{{< /notice >}}

How to write one: ` + "`{{</* figure src=\"x.png\" */>}}`" + `

A diagram from static/: ![Topology](/images/topology.png), a logo from assets/: ![Logo](/logo.png).
-- content/posts/rack-tour/front.png --
PNG
-- content/posts/rack-tour/wiring.txt --
patch panel map
-- content/posts/rack-tour/index.fr.md --
---
title: "Visite du rack"
---
Le rack, vu de face.
-- content/posts/network.md --
---
title: "The network"
date: 2024-04-10
description: "VLANs and a firewall"
slug: the-network
weight: 3
---
Back to the [rack](/en/2024/03/rack-tour/) and [about](/en/about/).
-- content/posts/backups/index.md --
{
  "title": "Backups",
  "date": "2024-05-01",
  "draft": true,
  "summary": "Restic to the NAS",
  "tags": ["backup"]
}

## Restore

It works.
-- content/about.md --
---
title: About
date: 2024-01-01
---
Who runs this.
-- static/images/topology.png --
PNG
-- assets/logo.png --
PNG
`

const jekyllFixture = `
-- _config.yml --
title: Jekyll Lab
description: Old blog
url: https://jekyll.example.org
baseurl: /blog
permalink: /:categories/:year/:month/:day/:title:output_ext
-- _posts/2023-01-05-first-light.md --
---
layout: post
title: "First light"
categories: homelab linux
tags: [proxmox]
image: /assets/img/rack.png
redirect_from:
  - /first/
---
Hello from {{ site.baseurl }}. See [the second]({% post_url 2023-02-10-second %}) and ![The rack]({{ "/assets/img/rack.png" | relative_url }}).

{% highlight bash %}
echo hi
{% endhighlight %}

{% include note.html %}

A notice.
{: .notice}
-- _posts/2023-02-10-second.md --
---
title: Second
date: 2023-02-10 08:30:00 +0100
---
Back to [first]({% link _posts/2023-01-05-first-light.md %}). Literal: {% raw %}{{ page.title }}{% endraw %}
-- _drafts/unfinished.md --
---
title: Unfinished
date: 2023-03-01
---
Draft text.
-- assets/img/rack.png --
PNG
`

const astroFixture = `
-- astro.config.mjs --
import { defineConfig } from 'astro/config';
export default defineConfig({
  site: 'https://astro.example.org',
  integrations: [],
});
-- src/consts.ts --
export const SITE_TITLE = 'Astro Lab';
export const SITE_DESCRIPTION = 'Posts from the lab';
-- src/content.config.ts --
const blog = defineCollection({
  loader: glob({ base: './src/content/blog', pattern: '**/*.{md,mdx}' }),
});
const notes = defineCollection({
  loader: glob({ base: './src/content/notes', pattern: '**/*.md' }),
});
-- src/content/blog/first-post.md --
---
title: 'First post'
description: 'Lorem ipsum'
pubDate: 'Jul 08 2022'
heroImage: '/blog-placeholder-1.png'
---
Text with ![A chart](./chart.png).
-- src/content/blog/chart.png --
PNG
-- src/content/blog/using-mdx.mdx --
---
title: 'Using MDX'
pubDate: 'Jun 01 2024'
updatedDate: 'Jun 02 2024'
tags: ['astro']
category: 'web'
draft: true
---
import HeaderLink from '../../components/HeaderLink.astro';

Some text and a <HeaderLink href="/">component</HeaderLink>.

See [first](/blog/first-post/).
-- src/content/notes/til.md --
---
title: TIL
published: 2024-02-02
---
A note.
-- public/blog-placeholder-1.png --
PNG
`
