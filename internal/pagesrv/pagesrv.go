// Package pagesrv serves a built site the way Cloudflare Pages does, so the
// dev server and the browser tests see what visitors will: /x/ serves
// x/index.html, /x redirects to /x/, misses get 404.html with status 404,
// _redirects rules apply, and _headers rules set headers (with Pages' "!"
// detach syntax and its joining of repeated headers), each rule's path
// matched the way Pages matches it: a splat anywhere, placeholders.
package pagesrv

import (
	"bufio"
	"bytes"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/sitefs"
)

// Handler serves Root. HTML, when set, may rewrite every HTML body (the dev
// server injects its reload script).
type Handler struct {
	Root  string
	files *sitefs.Site // Root, for one request
	HTML  func([]byte) []byte
	// Header, when set, adjusts the headers _headers produced for a path
	// (tests drop upgrade-insecure-requests on plain-http servers).
	Header func(h http.Header)
}

func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every file comes through an os.Root of Root, opened per request
	// because a build swaps Root for a new directory: a symlink in the
	// tree never serves a file from outside it, nor a FIFO or device.
	files, err := sitefs.Open(h.Root)
	if err != nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	defer files.Close()
	h.files = files
	p := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") && p != "/" {
		p += "/"
	}
	if to, status, ok := h.redirect(p); ok {
		if status >= 300 && status < 400 {
			http.Redirect(w, r, to, status)
			return
		}
		h.serve(w, r, to, status)
		return
	}
	h.serve(w, r, p, http.StatusOK)
}

func (h Handler) serve(w http.ResponseWriter, r *http.Request, p string, status int) {
	name := strings.TrimPrefix(p, "/")
	if strings.HasSuffix(p, "/") {
		name += "index.html"
	}
	if name == "" {
		name = "."
	}
	st, err := h.files.Stat(name)
	if err == nil && st.IsDir() {
		if _, err := h.files.Stat(path.Join(name, "index.html")); err == nil {
			http.Redirect(w, r, p+"/", http.StatusPermanentRedirect)
			return
		}
	}
	if err != nil || st.IsDir() || strings.HasPrefix(path.Base(p), "_") {
		p, name, status = "/404.html", "404.html", http.StatusNotFound
	}
	data, err := h.files.ReadFile(name)
	if err != nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h.applyHeaders(w.Header(), p)
	ctype := mime.TypeByExtension(path.Ext(name))
	if w.Header().Get("Content-Type") == "" && ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	if strings.HasSuffix(name, ".html") && h.HTML != nil {
		data = h.HTML(data)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data) // a failed write means the client left
	}
}

// redirect applies the first matching _redirects rule.
func (h Handler) redirect(p string) (to string, status int, ok bool) {
	data, err := h.files.ReadFile("_redirects")
	if err != nil {
		return "", 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		captures, match := matchPattern(f[0], p)
		if !match {
			continue
		}
		status = http.StatusFound
		if len(f) > 2 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				status = n
			}
		}
		return expand(f[1], captures), status, true
	}
	return "", 0, false
}

// matchPattern matches a Pages path pattern as Pages' rules engine does:
// the whole path must match; the one splat (*) matches any run of
// characters, slashes included, so /blog/*.png matches every .png at
// any depth under /blog/; a placeholder (:name) matches one path segment.
// The captures fill the target's :splat and :name. A pattern Pages would
// drop (two splats, a placeholder named twice) matches nothing, and so
// does one for another host (https://…), which this server has not.
func matchPattern(pattern, p string) (captures map[string]string, ok bool) {
	re := compilePattern(pattern)
	if re == nil {
		return nil, false
	}
	m := re.FindStringSubmatch(p)
	if m == nil {
		return nil, false
	}
	captures = map[string]string{}
	for i, name := range re.SubexpNames() {
		if name != "" {
			captures[name] = m[i]
		}
	}
	return captures, true
}

var placeholder = regexp.MustCompile(`:([A-Za-z]\w*)`)

func compilePattern(pattern string) *regexp.Regexp {
	if strings.HasPrefix(pattern, "https://") || strings.Count(pattern, "*") > 1 {
		return nil
	}
	var expr strings.Builder
	expr.WriteByte('^')
	seen := map[string]bool{}
	for i, part := range strings.Split(pattern, "*") {
		if i > 0 {
			expr.WriteString(`(?P<splat>.*)`)
		}
		quoted := regexp.QuoteMeta(part)
		last := 0
		for _, m := range placeholder.FindAllStringSubmatchIndex(quoted, -1) {
			name := quoted[m[2]:m[3]]
			if seen[name] || name == "splat" {
				return nil
			}
			seen[name] = true
			expr.WriteString(quoted[last:m[0]])
			expr.WriteString(`(?P<` + name + `>[^/]+)`)
			last = m[1]
		}
		expr.WriteString(quoted[last:])
	}
	expr.WriteByte('$')
	re, err := regexp.Compile(expr.String())
	if err != nil {
		return nil
	}
	return re
}

// expand fills a redirect target's placeholders from the captures.
func expand(to string, captures map[string]string) string {
	return placeholder.ReplaceAllStringFunc(to, func(ph string) string {
		if v, ok := captures[ph[1:]]; ok {
			return v
		}
		return ph
	})
}

func (h Handler) applyHeaders(hdr http.Header, p string) {
	data, err := h.files.ReadFile("_headers")
	if err == nil {
		applyRules(hdr, data, p)
	}
	if h.Header != nil {
		h.Header(hdr)
	}
}

func applyRules(hdr http.Header, rules []byte, p string) {
	sc := bufio.NewScanner(bytes.NewReader(rules))
	active := false
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t"):
			_, active = matchPattern(trimmed, p)
		case !active:
		case strings.HasPrefix(trimmed, "!"):
			hdr.Del(strings.TrimSpace(trimmed[1:]))
		default:
			k, v, found := strings.Cut(trimmed, ":")
			if !found {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if old := hdr.Get(k); old != "" {
				v = old + ", " + v
			}
			hdr.Set(k, v)
		}
	}
}
