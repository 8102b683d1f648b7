package cftest

import (
	"net/http"
	"strings"
	"time"
)

// DNSRecord is a record in the fake zone.
type DNSRecord struct {
	ID      string
	Type    string
	Name    string // fully qualified, as the API stores it
	Content string
	Proxied bool
	TTL     int // 1 means automatic
	Comment string
	Created time.Time
}

// DNSRecords returns the zone's records, oldest first.
func (s *Server) DNSRecords() []DNSRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DNSRecord, 0, len(s.dns))
	for _, r := range s.dns {
		out = append(out, *r)
	}
	return out
}

// fqdn turns a record name into the fully qualified name the API stores:
// "@" is the zone apex and a name outside the zone gets the zone appended.
func (s *Server) fqdn(name string) string {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	zone := s.opts.ZoneName
	switch {
	case name == "@" || name == zone:
		return zone
	case strings.HasSuffix(name, "."+zone):
		return name
	default:
		return name + "." + zone
	}
}

func (s *Server) dnsCreate(_ http.ResponseWriter, r *http.Request) (int, any) {
	var body struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Content string `json:"content"`
		Proxied *bool  `json:"proxied"`
		TTL     *int   `json:"ttl"`
		Comment string `json:"comment"`
	}
	if err := decodeJSON(r, 1<<20, &body); err != nil {
		return http.StatusBadRequest, apiErr(9207, "%v", err)
	}
	switch body.Type {
	case "A", "AAAA", "CNAME", "TXT":
	case "":
		return http.StatusBadRequest, apiErr(9000, "DNS record type is required")
	default:
		return http.StatusBadRequest, apiErr(1004, "DNS Validation Error: type %q is not supported here", body.Type)
	}
	if strings.TrimSpace(body.Name) == "" {
		return http.StatusBadRequest, apiErr(9005, "DNS record name is required")
	}
	if body.Content == "" {
		return http.StatusBadRequest, apiErr(9021, "DNS record content is required")
	}
	ttl := 1
	if body.TTL != nil {
		ttl = *body.TTL
	}
	if ttl != 1 && (ttl < 60 || ttl > 86400) {
		return http.StatusBadRequest, apiErr(9021, "ttl: must be 1 (automatic) or between 60 and 86400")
	}
	proxied := body.Proxied != nil && *body.Proxied
	if proxied && body.Type == "TXT" {
		return http.StatusBadRequest, apiErr(9004, "This record type cannot be proxied.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := s.fqdn(body.Name)
	for _, old := range s.dns {
		if old.Name != name {
			continue
		}
		addressLike := func(t string) bool { return t == "A" || t == "AAAA" || t == "CNAME" }
		if (body.Type == "CNAME" || old.Type == "CNAME") && addressLike(body.Type) && addressLike(old.Type) {
			return http.StatusBadRequest, apiErr(81053, "An A, AAAA, or CNAME record with that host already exists.")
		}
		if old.Type == body.Type && old.Content == body.Content {
			return http.StatusBadRequest, apiErr(81058, "An identical record already exists.")
		}
	}
	rec := &DNSRecord{
		ID: randomHex(16), Type: body.Type, Name: name, Content: body.Content,
		Proxied: proxied, TTL: ttl, Comment: body.Comment, Created: s.opts.Now().UTC(),
	}
	s.dns = append(s.dns, rec)
	return http.StatusOK, s.dnsJSON(rec)
}

func (s *Server) dnsJSON(r *DNSRecord) map[string]any {
	var comment any
	if r.Comment != "" {
		comment = r.Comment
	}
	return map[string]any{
		"id": r.ID, "zone_id": s.opts.ZoneID, "zone_name": s.opts.ZoneName,
		"type": r.Type, "name": r.Name, "content": r.Content,
		"proxiable": r.Type != "TXT", "proxied": r.Proxied, "ttl": r.TTL,
		"comment": comment, "tags": []string{}, "settings": map[string]any{}, "meta": map[string]any{},
		"created_on": r.Created, "modified_on": r.Created,
	}
}

// dnsList filters by type, name and content; names and contents may be
// given plainly or as name.exact / content.exact, as cloudflare-go sends
// them.
func (s *Server) dnsList(_ http.ResponseWriter, r *http.Request) (int, any) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	name := firstOf(q.Get("name.exact"), q.Get("name"))
	content := firstOf(q.Get("content.exact"), q.Get("content"))
	var items []map[string]any
	for _, rec := range s.dns {
		if q.Has("type") && rec.Type != q.Get("type") ||
			name != "" && rec.Name != s.fqdn(name) ||
			content != "" && rec.Content != content ||
			q.Has("proxied") && (q.Get("proxied") == "true") != rec.Proxied {
			continue
		}
		items = append(items, s.dnsJSON(rec))
	}
	return http.StatusOK, paginate(r, items, 100)
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
