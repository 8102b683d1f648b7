package cftest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tunnel is a Cloudflare Tunnel (cfd_tunnel) in the fake account.
type Tunnel struct {
	ID        string
	Name      string
	ConfigSrc string // "local" or "cloudflare"
	Secret    string // base64, as in the connector token
	CreatedAt time.Time
	// Config is the last configuration PUT, nil before the first;
	// ConfigVersion counts the PUTs.
	Config        json.RawMessage
	ConfigVersion int
	Connections   []Connection
}

// Connection is one connector connection to Cloudflare's edge.
type Connection struct {
	ID            string
	ClientID      string // the cloudflared instance
	ClientVersion string
	ColoName      string
	OriginIP      string
	OpenedAt      time.Time
}

// CreateTunnel makes a remotely managed tunnel through the fake's own API,
// as provisioning would, and returns its id: for tests of what reads
// tunnels and never creates one.
func (s *Server) CreateTunnel(t testing.TB, name string) string {
	t.Helper()
	body, err := json.Marshal(map[string]string{"name": name, "config_src": "cloudflare"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.APIBase+"accounts/"+s.Options().AccountID+"/cfd_tunnel", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Options().Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Result struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Result.ID == "" {
		t.Fatalf("create a tunnel: HTTP %d, %v", resp.StatusCode, err)
	}
	return env.Result.ID
}

// Tunnels returns the account's tunnels, oldest first.
func (s *Server) Tunnels() []Tunnel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tunnel, 0, len(s.tunnels))
	for _, t := range s.tunnels {
		c := *t
		c.Config = slices.Clone(t.Config)
		c.Connections = slices.Clone(t.Connections)
		out = append(out, c)
	}
	return out
}

// SetConnections replaces a tunnel's connections, as if cloudflared
// instances had connected (or, with none, all gone away). It reports
// whether the tunnel exists.
func (s *Server) SetConnections(tunnelID string, conns []Connection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tunnel(tunnelID)
	if t == nil {
		return false
	}
	t.Connections = slices.Clone(conns)
	for i := range t.Connections {
		if t.Connections[i].ID == "" {
			t.Connections[i].ID = randomUUID()
		}
	}
	return true
}

func (s *Server) tunnel(id string) *Tunnel {
	for _, t := range s.tunnels {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (s *Server) tunnelCreate(_ http.ResponseWriter, r *http.Request) (int, any) {
	var body struct {
		Name         string `json:"name"`
		ConfigSrc    string `json:"config_src"`
		TunnelSecret string `json:"tunnel_secret"`
	}
	if err := decodeJSON(r, 1<<20, &body); err != nil {
		return http.StatusBadRequest, apiErr(1001, "%v", err)
	}
	if strings.TrimSpace(body.Name) == "" {
		return http.StatusBadRequest, apiErr(1001, "name: required")
	}
	switch body.ConfigSrc {
	case "":
		body.ConfigSrc = "local"
	case "local", "cloudflare":
	default:
		return http.StatusBadRequest, apiErr(1001, "config_src: %q is not local or cloudflare", body.ConfigSrc)
	}
	if body.TunnelSecret == "" {
		body.TunnelSecret = base64.StdEncoding.EncodeToString(randomBytes(32))
	} else if b, err := base64.StdEncoding.DecodeString(body.TunnelSecret); err != nil || len(b) < 32 {
		return http.StatusBadRequest, apiErr(1001, "tunnel_secret: must be at least 32 bytes, base64-encoded")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tunnels {
		if t.Name == body.Name {
			return http.StatusConflict, apiErr(1013, "You already have a tunnel with this name.")
		}
	}
	t := &Tunnel{ID: randomUUID(), Name: body.Name, ConfigSrc: body.ConfigSrc, Secret: body.TunnelSecret, CreatedAt: s.opts.Now().UTC()}
	s.tunnels = append(s.tunnels, t)
	return http.StatusOK, s.tunnelJSON(t)
}

func (s *Server) tunnelJSON(t *Tunnel) map[string]any {
	conns := make([]map[string]any, 0, len(t.Connections))
	var activeAt any
	for _, c := range t.Connections {
		conns = append(conns, map[string]any{
			"id": c.ID, "client_id": c.ClientID, "client_version": c.ClientVersion,
			"colo_name": c.ColoName, "origin_ip": c.OriginIP, "opened_at": c.OpenedAt,
			"is_pending_reconnect": false, "uuid": c.ID,
		})
		activeAt = c.OpenedAt
	}
	status := "inactive"
	if len(t.Connections) > 0 {
		status = "healthy"
	}
	return map[string]any{
		"id": t.ID, "account_tag": s.opts.AccountID, "name": t.Name,
		"created_at": t.CreatedAt, "deleted_at": nil,
		"connections": conns, "conns_active_at": activeAt, "conns_inactive_at": nil,
		"tun_type": "cfd_tunnel", "status": status,
		"remote_config": t.ConfigSrc == "cloudflare", "config_src": t.ConfigSrc,
		"metadata": map[string]any{},
	}
}

func (s *Server) tunnelList(_ http.ResponseWriter, r *http.Request) (int, any) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []map[string]any
	for _, t := range s.tunnels {
		// Tunnels here are never deleted, so is_deleted=true matches none.
		if q.Get("is_deleted") == "true" ||
			q.Has("name") && t.Name != q.Get("name") ||
			q.Has("uuid") && t.ID != q.Get("uuid") ||
			q.Has("include_prefix") && !strings.HasPrefix(t.Name, q.Get("include_prefix")) ||
			q.Has("exclude_prefix") && strings.HasPrefix(t.Name, q.Get("exclude_prefix")) {
			continue
		}
		items = append(items, s.tunnelJSON(t))
	}
	return http.StatusOK, paginate(r, items, 20)
}

func (s *Server) tunnelByPath(r *http.Request) (*Tunnel, apiErrors) {
	t := s.tunnel(r.PathValue("id"))
	if t == nil {
		return nil, apiErr(1003, "Tunnel not found")
	}
	return t, nil
}

func (s *Server) tunnelGet(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.tunnelByPath(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	return http.StatusOK, s.tunnelJSON(t)
}

// tunnelConfigPut stores an ingress configuration. Like cloudflared, it
// requires every rule to have a service and the last rule to match
// everything.
func (s *Server) tunnelConfigPut(_ http.ResponseWriter, r *http.Request) (int, any) {
	var body struct {
		Config json.RawMessage `json:"config"`
	}
	if err := decodeJSON(r, 1<<20, &body); err != nil {
		return http.StatusBadRequest, apiErr(1001, "%v", err)
	}
	var cfg struct {
		Ingress []struct {
			Hostname string `json:"hostname"`
			Path     string `json:"path"`
			Service  string `json:"service"`
		} `json:"ingress"`
	}
	if len(body.Config) == 0 || json.Unmarshal(body.Config, &cfg) != nil {
		return http.StatusBadRequest, apiErr(1001, "config: required, a JSON object")
	}
	if len(cfg.Ingress) == 0 {
		return http.StatusBadRequest, apiErr(1056, "config.ingress: at least one rule is required")
	}
	for i, rule := range cfg.Ingress {
		if rule.Service == "" {
			return http.StatusBadRequest, apiErr(1056, "config.ingress[%d].service: required", i)
		}
	}
	if last := cfg.Ingress[len(cfg.Ingress)-1]; (last.Hostname != "" && last.Hostname != "*") || last.Path != "" {
		return http.StatusBadRequest, apiErr(1056, "The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.tunnelByPath(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	t.Config = slices.Clone(body.Config)
	t.ConfigVersion++
	return http.StatusOK, s.tunnelConfigJSON(t)
}

func (s *Server) tunnelConfigJSON(t *Tunnel) map[string]any {
	var cfg any
	if t.Config != nil {
		cfg = t.Config
	}
	return map[string]any{
		"tunnel_id": t.ID, "account_id": s.opts.AccountID, "version": t.ConfigVersion,
		"config": cfg, "source": "cloudflare", "created_at": t.CreatedAt,
	}
}

func (s *Server) tunnelConfigGet(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.tunnelByPath(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	return http.StatusOK, s.tunnelConfigJSON(t)
}

// tunnelToken answers with the connector token: base64 of
// {"a": account, "t": tunnel id, "s": secret}, the format cloudflared
// reads.
func (s *Server) tunnelToken(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.tunnelByPath(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	raw, err := json.Marshal(map[string]string{"a": s.opts.AccountID, "t": t.ID, "s": t.Secret})
	if err != nil {
		return http.StatusInternalServerError, apiErr(1000, "%v", err)
	}
	return http.StatusOK, base64.StdEncoding.EncodeToString(raw)
}

// tunnelConnections lists the connectors (cloudflared instances) with
// their connections.
func (s *Server) tunnelConnections(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.tunnelByPath(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	clients := []map[string]any{}
	index := map[string]int{}
	for _, c := range t.Connections {
		i, ok := index[c.ClientID]
		if !ok {
			i = len(clients)
			index[c.ClientID] = i
			clients = append(clients, map[string]any{
				"id": c.ClientID, "arch": "linux_amd64", "version": c.ClientVersion,
				"run_at": c.OpenedAt, "config_version": t.ConfigVersion,
				"features": []string{}, "conns": []map[string]any{},
			})
		}
		conns := clients[i]["conns"].([]map[string]any)
		clients[i]["conns"] = append(conns, map[string]any{
			"id": c.ID, "uuid": c.ID, "client_id": c.ClientID, "client_version": c.ClientVersion,
			"colo_name": c.ColoName, "origin_ip": c.OriginIP, "opened_at": c.OpenedAt,
			"is_pending_reconnect": false,
		})
	}
	return http.StatusOK, clients
}
