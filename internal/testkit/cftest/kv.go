package cftest

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const maxKVValue = 25 << 20

// KV returns a value stored in a namespace.
func (s *Server) KV(namespace, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kv[namespace][key]
	return slices.Clone(v), ok
}

// KVKeys returns the keys of a namespace, sorted.
func (s *Server) KVKeys(namespace string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.kv[namespace] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// kvPut stores a value. cloudflare-go sends multipart/form-data with the
// fields value and metadata; other clients send the value as the raw
// body. Both are accepted, as by the API.
func (s *Server) kvPut(_ http.ResponseWriter, r *http.Request) (int, any) {
	if ttl := r.URL.Query().Get("expiration_ttl"); ttl != "" {
		if n, err := strconv.Atoi(ttl); err != nil || n < 60 {
			return http.StatusBadRequest, apiErr(10019, "Invalid expiration_ttl of %s. Expiration TTL must be at least 60.", ttl)
		}
	}
	value, e := readKVValue(r)
	if e != nil {
		return http.StatusBadRequest, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.kv[r.PathValue("ns")]
	if ns == nil {
		return http.StatusNotFound, apiErr(10013, "put: 'namespace not found'")
	}
	key := r.PathValue("key")
	if key == "" || len(key) > 512 || key == "." || key == ".." {
		return http.StatusBadRequest, apiErr(10020, "put: invalid key name")
	}
	ns[key] = value
	return http.StatusOK, map[string]any{}
}

func readKVValue(r *http.Request) ([]byte, apiErrors) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		v, err := io.ReadAll(io.LimitReader(r.Body, maxKVValue+1))
		if err != nil {
			return nil, apiErr(10000, "reading the value: %v", err)
		}
		if len(v) > maxKVValue {
			return nil, apiErr(10011, "put: value is larger than 25 MiB")
		}
		return v, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, apiErr(10001, "put: %v", err)
	}
	var value []byte
	found := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, apiErr(10001, "put: reading the form: %v", err)
		}
		data, err := io.ReadAll(io.LimitReader(part, maxKVValue+1))
		if err != nil {
			return nil, apiErr(10001, "put: reading %s: %v", part.FormName(), err)
		}
		switch part.FormName() {
		case "value":
			if len(data) > maxKVValue {
				return nil, apiErr(10011, "put: value is larger than 25 MiB")
			}
			value, found = data, true
		case "metadata":
			if !json.Valid(data) {
				return nil, apiErr(10028, "put: metadata is not valid JSON")
			}
		default:
			return nil, apiErr(10001, "put: unknown form field %q", part.FormName())
		}
	}
	if !found {
		return nil, apiErr(10001, "put: the form has no value field")
	}
	return value, nil
}

// kvGet answers with the raw value, not an envelope, as the API does.
func (s *Server) kvGet(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ns := s.kv[r.PathValue("ns")]
	v, ok := ns[r.PathValue("key")]
	v = slices.Clone(v)
	s.mu.Unlock()
	switch {
	case ns == nil:
		writeEnvelope(w, http.StatusNotFound, apiErr(10013, "get: 'namespace not found'"))
	case !ok:
		writeEnvelope(w, http.StatusNotFound, apiErr(10009, "get: 'key not found'"))
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		// A failed write means the client went away.
		_, _ = w.Write(v)
	}
}

// Purge is one cache purge request.
type Purge struct {
	Zone       string
	Prefixes   []string
	Files      []string
	Hosts      []string
	Tags       []string
	Everything bool
}

// Purges returns the purges received, oldest first.
func (s *Server) Purges() []Purge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.purges)
}

// purge takes exactly one kind of purge per request, as the API does.
func (s *Server) purge(_ http.ResponseWriter, r *http.Request) (int, any) {
	var body struct {
		Prefixes        []string          `json:"prefixes"`
		Files           []json.RawMessage `json:"files"`
		Hosts           []string          `json:"hosts"`
		Tags            []string          `json:"tags"`
		PurgeEverything *bool             `json:"purge_everything"`
	}
	if err := decodeJSON(r, 1<<20, &body); err != nil {
		return http.StatusBadRequest, apiErr(1012, "%v", err)
	}
	p := Purge{Zone: r.PathValue("zone"), Prefixes: body.Prefixes, Hosts: body.Hosts, Tags: body.Tags}
	kinds := 0
	for _, n := range []int{len(body.Prefixes), len(body.Files), len(body.Hosts), len(body.Tags)} {
		if n > 0 {
			kinds++
		}
	}
	if body.PurgeEverything != nil {
		if !*body.PurgeEverything {
			return http.StatusBadRequest, apiErr(1012, "purge_everything must be true when given")
		}
		p.Everything = true
		kinds++
	}
	if kinds != 1 {
		return http.StatusBadRequest, apiErr(1012, "Request must contain exactly one of \"files\", \"tags\", \"hosts\", \"prefixes\" or \"purge_everything\"")
	}
	for _, pre := range body.Prefixes {
		if strings.Contains(pre, "://") || pre == "" {
			return http.StatusBadRequest, apiErr(1012, "prefix %q must be a host and path without a scheme", pre)
		}
	}
	for _, raw := range body.Files {
		var u string
		var withHeaders struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(raw, &u) != nil {
			if err := json.Unmarshal(raw, &withHeaders); err != nil {
				return http.StatusBadRequest, apiErr(1012, "files: %s is neither a URL nor {url, headers}", raw)
			}
			u = withHeaders.URL
		}
		if pu, err := url.Parse(u); err != nil || pu.Scheme == "" || pu.Host == "" {
			return http.StatusBadRequest, apiErr(1012, "files: %q is not an absolute URL", u)
		}
		p.Files = append(p.Files, u)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purges = append(s.purges, p)
	return http.StatusOK, map[string]string{"id": randomHex(16)}
}
