package corpus

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var corpusWords = strings.Fields(`the lab cluster node proxmox container tunnel cloudflare edge cache
latency snapshot metrics prometheus alert backup storage network mesh tailscale subnet route
build drone orchestrator kernel package compile cores memory disk volume replica service deploy
pipeline commit review static render template feed sitemap worker origin fallback health probe
we it is was and or but with from into over under after before while because so then also`)

// Write writes a deterministic site of n posts of about 900 words
// each — front matter with tags from a pool of 50, a code block, a table,
// lists and links — the corpus the build benchmarks and the Hugo
// comparison use.
func Write(dir string, n int) error {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	posts := filepath.Join(dir, "content", "posts")
	if err := os.MkdirAll(posts, 0o755); err != nil {
		return err
	}
	site := "title: Benchmark Lab\nbase_url: https://bench.lab.test\ndescription: A generated corpus.\nauthor: {name: Bench}\npaginate: 10\n"
	if err := os.WriteFile(filepath.Join(dir, "content", "site.yaml"), []byte(site), 0o644); err != nil {
		return err
	}
	sentence := func(words int) string {
		w := make([]string, words)
		for i := range w {
			w[i] = corpusWords[r.IntN(len(corpusWords))]
		}
		s := strings.Join(w, " ")
		return strings.ToUpper(s[:1]) + s[1:] + "."
	}
	for i := range n {
		var b strings.Builder
		day := i % 28
		month := (i / 28) % 12
		year := 2000 + i/(28*12)
		fmt.Fprintf(&b, "---\ntitle: \"Post %d: %s\"\ndate: %04d-%02d-%02d\nsummary: %q\ntags: [tag-%d, tag-%d, tag-%d]\n---\n\n",
			i, strings.TrimSuffix(sentence(5), "."), year, month+1, day+1, sentence(14), r.IntN(50), r.IntN(50), r.IntN(50))
		for sec := range 5 {
			fmt.Fprintf(&b, "## Section %d\n\n", sec+1)
			for range 3 {
				for range 4 {
					b.WriteString(sentence(12) + " ")
				}
				b.WriteString("\n\n")
			}
			switch sec {
			case 1:
				b.WriteString("```go\nfunc handler(w http.ResponseWriter, r *http.Request) {\n\tif err := serve(w, r); err != nil {\n\t\thttp.Error(w, err.Error(), 500)\n\t}\n}\n```\n\n")
			case 2:
				b.WriteString("| node | cores | memory |\n|---|---:|---:|\n| pve-io | 32 | 128 GB |\n| pve-titan | 24 | 96 GB |\n\n")
			case 3:
				b.WriteString("- first item with **bold**\n- second item with `code`\n- third item\n\n1. one\n2. two\n\n")
				if i > 0 {
					fmt.Fprintf(&b, "See [the previous post](/blog/post-%d/) and [the site](https://example.com/).\n\n", i-1)
				}
			}
		}
		name := fmt.Sprintf("%04d-%02d-%02d-post-%d.md", year, month+1, day+1, i)
		if err := os.WriteFile(filepath.Join(posts, name), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Edit turns a corpus Write wrote into its second version:
// the site's title changes (every page changes with it), the newest post
// goes, one post arrives and an old one gains a paragraph. A tree that
// is half one version and half the other differs from both, which the
// crash tests rely on.
func Edit(dir string) error {
	site := filepath.Join(dir, "content", "site.yaml")
	data, err := os.ReadFile(site)
	if err != nil {
		return err
	}
	renamed := strings.Replace(string(data), "title: Benchmark Lab", "title: Renamed Lab", 1)
	if renamed == string(data) {
		return fmt.Errorf("%s: not a corpus's site.yaml", site)
	}
	if err := os.WriteFile(site, []byte(renamed), 0o644); err != nil {
		return err
	}
	posts, err := filepath.Glob(filepath.Join(dir, "content", "posts", "*.md"))
	if err != nil {
		return err
	}
	if len(posts) < 4 {
		return fmt.Errorf("%s: %d posts, want at least 4", dir, len(posts))
	}
	if err := os.Remove(posts[len(posts)-1]); err != nil {
		return err
	}
	f, err := os.OpenFile(posts[3], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\nA paragraph added later.\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	body := "---\ntitle: A fresh post\ndate: 2030-01-01\ntags: [tag-1]\n---\nFresh words.\n"
	return os.WriteFile(filepath.Join(dir, "content", "posts", "2030-01-01-fresh.md"), []byte(body), 0o644)
}
