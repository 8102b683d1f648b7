package tunnel

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/dns"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/diag"
)

const (
	// DefaultName is the name `labfront tunnel provision` gives the tunnel.
	DefaultName = "labfront"
	// TargetDomain is where a tunnel's DNS records point: a proxied CNAME
	// to <tunnel id>.cfargotunnel.com routes the host name into the tunnel.
	TargetDomain = "cfargotunnel.com"
	// apiAttempts is how many times a provisioning call is tried
	// calls (rate limits, 5xx); every call is safe to repeat.
	apiAttempts = 4
	// codeTunnelExists is the API's answer to creating a tunnel under a
	// name that is taken.
	codeTunnelExists = 1013
)

// Client talks to the Cloudflare API about one account's tunnels and,
// for provisioning, one zone's DNS records.
type Client struct {
	cf        *cloudflare.Client
	accountID string
	zoneID    string
	log       *slog.Logger
	// Retry is how calls are retried; tests shorten its waits.
	Retry cfapi.Retry
}

// NewClient makes a client from the credentials in cfg (the Wrangler part
// is not used). extra options go to cloudflare-go after labfront's own:
// tests pass option.WithMaxRetries(0).
func NewClient(cfg deploy.Config, log *slog.Logger, extra ...option.RequestOption) (*Client, error) {
	if err := cfg.RequireEnv("the tunnel API", cfapi.EnvAPIToken, cfapi.EnvAccountID); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append(cfg.ClientOptions(), option.WithMaxRetries(0))
	opts = append(opts, extra...)
	return &Client{cf: cloudflare.NewClient(opts...), accountID: cfg.AccountID, zoneID: cfg.ZoneID, log: log,
		Retry: cfapi.Retry{Attempts: apiAttempts, Log: log}}, nil
}

// retried makes one API call with the client's retry policy (cfapi.Retry: a
// limit per attempt, backoff, Retry-After). Every call here may be made
// twice: reads, a PUT of the whole configuration, a create whose second
// try finds the first (tunnel names and DNS names are unique).
func retried[P, T any](ctx context.Context, c *Client, what string, fn func(context.Context, P, ...option.RequestOption) (T, error), p P) (T, error) {
	var out T
	err := c.Retry.Do(ctx, what, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx, p)
		return err
	})
	return out, err
}

// retriedID is retried for calls about one object, named by id.
func retriedID[P, T any](ctx context.Context, c *Client, what string, fn func(context.Context, string, P, ...option.RequestOption) (T, error), id string, p P) (T, error) {
	var out T
	err := c.Retry.Do(ctx, what, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx, id, p)
		return err
	})
	return out, err
}

// ProvisionOptions are the inputs of Provision, named after the command's
// flags.
type ProvisionOptions struct {
	Name      string // the tunnel's name; DefaultName when empty
	Hostname  string // the admin host name, in the zone
	Listen    string // the admin server's listen address (host:port)
	TokenFile string // where the connector token goes, mode 0600
}

// ProvisionResult says what Provision found and what it changed.
type ProvisionResult struct {
	TunnelID string
	Name     string
	// Created is set when the tunnel was created, not found by name.
	Created bool
	// ConfigUpdated is set when the ingress was pushed because it differed.
	ConfigUpdated bool
	Ingress       []Rule
	// DNSCreated is set when the CNAME was created, not already there.
	DNSCreated bool
	DNSName    string
	DNSTarget  string
	// Token says whether the token file was created, replaced or left
	// as it was; TokenModeFixed when the file's or its folder's
	// permissions were tightened (to 0600 and 0700).
	Token          WriteResult
	TokenModeFixed bool
}

// Changed reports whether the run changed anything at all.
func (r *ProvisionResult) Changed() bool {
	return r.Created || r.ConfigUpdated || r.DNSCreated || r.Token != Unchanged || r.TokenModeFixed
}

// Provision makes the remotely managed tunnel that puts the admin server
// on o.Hostname: the tunnel (found by name, else created), its ingress
// (the host name to the admin server, anything else 404), a proxied CNAME
// to <id>.cfargotunnel.com, and the connector token in o.TokenFile. Each
// step first reads what is there, so a second run changes nothing. The
// token is written only to the file: never logged, never returned.
func (c *Client) Provision(ctx context.Context, o ProvisionOptions) (*ProvisionResult, error) {
	host, origin, err := c.checkProvision(&o)
	if err != nil {
		return nil, err
	}
	res := &ProvisionResult{Name: o.Name, DNSName: host, Ingress: Ingress(host, origin)}
	t, created, err := c.findOrCreate(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	res.TunnelID, res.Created = t.ID, created
	res.DNSTarget = t.ID + "." + TargetDomain
	if res.ConfigUpdated, err = c.pushIngress(ctx, t.ID, res.Ingress); err != nil {
		return nil, err
	}
	if res.DNSCreated, err = c.ensureCNAME(ctx, host, res.DNSTarget, o.Name); err != nil {
		return nil, err
	}
	if res.Token, res.TokenModeFixed, err = c.saveToken(ctx, t.ID, o.TokenFile); err != nil {
		return nil, err
	}
	return res, nil
}

// checkProvision validates o (every problem, not only the first) and
// returns the host name in lower case and the origin URL.
func (c *Client) checkProvision(o *ProvisionOptions) (host, origin string, err error) {
	var probs diag.List
	flagErr := func(flag string, err error) { probs.Add("--"+flag, 0, "", "%v", err) }
	if o.Name == "" {
		o.Name = DefaultName
	}
	if err := checkTunnelName(o.Name); err != nil {
		flagErr("name", err)
	}
	if host, err = CheckHostname(o.Hostname); err != nil {
		flagErr("hostname", err)
	}
	if origin, err = Origin(o.Listen); err != nil {
		probs.Add("listen", 0, "", "%v", err)
	}
	if o.TokenFile == "" {
		flagErr("token-file", errors.New("required: where to write the connector token"))
	}
	if c.zoneID == "" {
		probs.Add(cfapi.EnvZoneID, 0, "", "not set: the DNS record for the host name goes in that zone (the zone id is on the zone's overview page)")
	}
	if err := probs.Err(); err != nil {
		return "", "", err
	}
	return host, origin, nil
}

// findOrCreate returns the account's tunnel called name, creating a
// remotely managed one when there is none.
func (c *Client) findOrCreate(ctx context.Context, name string) (t tunnelRef, created bool, err error) {
	t, found, err := c.find(ctx, name)
	if err != nil || found {
		return t, false, err
	}
	nt, err := retried(ctx, c, "create the tunnel", c.cf.ZeroTrust.Tunnels.Cloudflared.New, zero_trust.TunnelCloudflaredNewParams{
		AccountID: cloudflare.F(c.accountID),
		Name:      cloudflare.F(name),
		ConfigSrc: cloudflare.F(zero_trust.TunnelCloudflaredNewParamsConfigSrcCloudflare),
	})
	if hasCode(err, codeTunnelExists) {
		// Created between our list and our create (another run): use it.
		t, found, err = c.find(ctx, name)
		if err == nil && !found {
			err = fmt.Errorf("create tunnel %q: the API says the name is taken, but lists no such tunnel", name)
		}
		return t, false, err
	}
	if err != nil {
		return tunnelRef{}, false, c.explain(err, fmt.Sprintf("create tunnel %q", name))
	}
	c.log.Info("created tunnel", "name", name, "id", nt.ID)
	return tunnelRef{ID: nt.ID, ConfigSrc: string(nt.ConfigSrc)}, true, nil
}

type tunnelRef struct{ ID, ConfigSrc string }

func (c *Client) find(ctx context.Context, name string) (tunnelRef, bool, error) {
	page, err := retried(ctx, c, "list the tunnels", c.cf.ZeroTrust.Tunnels.Cloudflared.List, zero_trust.TunnelCloudflaredListParams{
		AccountID: cloudflare.F(c.accountID),
		Name:      cloudflare.F(name),
		IsDeleted: cloudflare.F(false),
	})
	if err != nil {
		return tunnelRef{}, false, c.explain(err, fmt.Sprintf("look up tunnel %q", name))
	}
	var hits []tunnelRef
	for _, t := range page.Result {
		if t.Name == name && t.DeletedAt.IsZero() {
			hits = append(hits, tunnelRef{ID: t.ID, ConfigSrc: string(t.ConfigSrc)})
		}
	}
	switch {
	case len(hits) == 0:
		return tunnelRef{}, false, nil
	case len(hits) > 1:
		return tunnelRef{}, false, fmt.Errorf("look up tunnel %q: the account has %d tunnels of that name; delete the extra ones or pass another --name", name, len(hits))
	case hits[0].ConfigSrc != "" && hits[0].ConfigSrc != "cloudflare":
		return tunnelRef{}, false, fmt.Errorf("tunnel %q (%s) is locally managed (its ingress lives in cloudflared's config.yml): use `labfront tunnel config` for it, or pass another --name to provision a remotely managed one", name, hits[0].ID)
	}
	return hits[0], true, nil
}

// pushIngress sets the tunnel's ingress to want unless it already is.
func (c *Client) pushIngress(ctx context.Context, id string, want []Rule) (bool, error) {
	cur, err := retriedID(ctx, c, "get the tunnel configuration", c.cf.ZeroTrust.Tunnels.Cloudflared.Configurations.Get, id, zero_trust.TunnelCloudflaredConfigurationGetParams{
		AccountID: cloudflare.F(c.accountID),
	})
	if err != nil {
		return false, c.explain(err, "read the tunnel's configuration")
	}
	have := make([]Rule, 0, len(cur.Config.Ingress))
	pathRules := false
	for _, r := range cur.Config.Ingress {
		have = append(have, Rule{Hostname: r.Hostname, Service: r.Service})
		pathRules = pathRules || r.Path != ""
	}
	if !pathRules && sameRules(have, want) {
		return false, nil
	}
	if len(have) > 0 {
		// The dashboard may have added rules: say what is replaced.
		c.log.Warn("replacing the tunnel's ingress rules", "tunnel", id, "old_rules", len(have), "old_hostnames", hostnames(have))
	}
	rules := make([]zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfigIngress, 0, len(want))
	for _, r := range want {
		ing := zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfigIngress{Service: cloudflare.F(r.Service)}
		if r.Hostname != "" {
			ing.Hostname = cloudflare.F(r.Hostname)
		}
		rules = append(rules, ing)
	}
	_, err = retriedID(ctx, c, "update the tunnel configuration", c.cf.ZeroTrust.Tunnels.Cloudflared.Configurations.Update, id, zero_trust.TunnelCloudflaredConfigurationUpdateParams{
		AccountID: cloudflare.F(c.accountID),
		Config:    cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfig{Ingress: cloudflare.F(rules)}),
	})
	if err != nil {
		return false, c.explain(err, "push the tunnel's ingress")
	}
	return true, nil
}

// sameRules compares ingress rules as cloudflared applies them: host
// names case-insensitively, and "*" is the same catch-all as no host name.
func sameRules(a, b []Rule) bool {
	if len(a) != len(b) {
		return false
	}
	norm := func(h string) string {
		if h == "*" {
			return ""
		}
		return strings.ToLower(h)
	}
	for i := range a {
		if norm(a[i].Hostname) != norm(b[i].Hostname) || a[i].Service != b[i].Service {
			return false
		}
	}
	return true
}

func hostnames(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		if r.Hostname != "" {
			out = append(out, r.Hostname)
		}
	}
	return out
}

// ensureCNAME makes host a proxied CNAME to target. A record that is
// already right is left alone; any other record on host is an error
// rather than overwritten: it may be serving something.
func (c *Client) ensureCNAME(ctx context.Context, host, target, tunnelName string) (bool, error) {
	page, err := retried(ctx, c, "list the DNS records", c.cf.DNS.Records.List, dns.RecordListParams{
		ZoneID: cloudflare.F(c.zoneID),
		Name:   cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F(host)}),
	})
	if err != nil {
		return false, c.explain(err, "look up the DNS records of "+host)
	}
	for _, r := range page.Result {
		if !strings.EqualFold(r.Name, host) {
			continue
		}
		isTarget := r.Type == dns.RecordResponseTypeCNAME && strings.EqualFold(strings.TrimSuffix(r.Content, "."), target)
		switch {
		case isTarget && r.Proxied:
			return false, nil
		case isTarget:
			return false, fmt.Errorf("%s is a CNAME to %s but is not proxied, so it cannot reach the tunnel: turn the proxy on for it in the Cloudflare dashboard (orange cloud), then run this again", host, target)
		case r.Type == dns.RecordResponseTypeCNAME && strings.HasSuffix(strings.ToLower(r.Content), "."+TargetDomain):
			return false, fmt.Errorf("%s already points to another tunnel (%s): delete that DNS record if that tunnel is gone, or pass another --hostname", host, r.Content)
		case r.Type == dns.RecordResponseTypeA || r.Type == dns.RecordResponseTypeAAAA || r.Type == dns.RecordResponseTypeCNAME:
			return false, fmt.Errorf("%s already has a %s record (%s): delete it first if the admin server should take the name over, or pass another --hostname", host, r.Type, r.Content)
		}
	}
	_, err = retried(ctx, c, "create the DNS record", c.cf.DNS.Records.New, dns.RecordNewParams{
		ZoneID: cloudflare.F(c.zoneID),
		Body: dns.CNAMERecordParam{
			Name:    cloudflare.F(host),
			Type:    cloudflare.F(dns.CNAMERecordTypeCNAME),
			Content: cloudflare.F(target),
			Proxied: cloudflare.F(true),
			TTL:     cloudflare.F(dns.TTL1),
			Comment: cloudflare.F("labfront admin tunnel " + tunnelName),
		},
	})
	if err != nil {
		// The create may have been carried out with its answer lost, and a
		// second try then refused as a duplicate: a right record found now
		// is the one made.
		if made, lerr := c.hasCNAME(ctx, host, target); lerr == nil && made {
			c.log.Info("created DNS record (found after an unclear answer)", "name", host, "type", "CNAME", "target", target, "error", err)
			return true, nil
		}
		return false, c.explain(err, "create the DNS record "+host)
	}
	c.log.Info("created DNS record", "name", host, "type", "CNAME", "target", target)
	return true, nil
}

// hasCNAME reports whether host is a proxied CNAME to target.
func (c *Client) hasCNAME(ctx context.Context, host, target string) (bool, error) {
	page, err := retried(ctx, c, "list the DNS records", c.cf.DNS.Records.List, dns.RecordListParams{
		ZoneID: cloudflare.F(c.zoneID),
		Name:   cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F(host)}),
	})
	if err != nil {
		return false, err
	}
	for _, r := range page.Result {
		if strings.EqualFold(r.Name, host) && r.Type == dns.RecordResponseTypeCNAME && r.Proxied && strings.EqualFold(strings.TrimSuffix(r.Content, "."), target) {
			return true, nil
		}
	}
	return false, nil
}

// saveToken fetches the connector token and writes it to path. The token
// never reaches a log or an error message.
func (c *Client) saveToken(ctx context.Context, id, path string) (WriteResult, bool, error) {
	tok, err := retriedID(ctx, c, "fetch the connector token", c.cf.ZeroTrust.Tunnels.Cloudflared.Token.Get, id, zero_trust.TunnelCloudflaredTokenGetParams{
		AccountID: cloudflare.F(c.accountID),
	})
	if err != nil {
		var ae *cloudflare.Error
		var ue *url.Error
		if !errors.As(err, &ae) && !errors.As(err, &ue) {
			// A decoding error could quote part of the answer, which is
			// the token.
			return 0, false, errors.New("fetch the connector token: the API's answer could not be read")
		}
		return 0, false, c.explain(err, "fetch the connector token")
	}
	if tok == nil || *tok == "" || strings.ContainsAny(*tok, " \t\r\n") {
		return 0, false, errors.New("fetch the connector token: the API returned no usable token")
	}
	if tid, ok := tokenTunnel(*tok); ok && !strings.EqualFold(tid, id) {
		return 0, false, fmt.Errorf("fetch the connector token: the API returned a token for another tunnel than %s", id)
	}
	return WriteSecret(path, []byte(*tok+"\n"))
}

// tokenTunnel reads the tunnel id out of a connector token (base64 of
// {"a": account, "t": tunnel, "s": secret}), when it has that form.
func tokenTunnel(tok string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	var t struct {
		T string `json:"t"`
	}
	if json.Unmarshal(raw, &t) != nil || t.T == "" {
		return "", false
	}
	return t.T, true
}

// secretMode is the only mode a secret file may have: cloudflared's user
// reads it, nobody else.
const secretMode fs.FileMode = 0o600

// secretDirMode is the mode of a secret's folder. A 0600 file in a folder
// others can write is not safe: they can rename it away and put their own
// token (or a symlink) in its place, and a folder others can list tells
// them the token's name and age.
const secretDirMode fs.FileMode = 0o700

// WriteSecret writes data to path atomically with mode 0600, in a folder
// of mode 0700 (created if missing, tightened if wider). An identical file
// is left alone, with its permissions (and its folder's) tightened if they
// were wider (the bool says so); a different one is replaced. Messages name
// the path, never the content.
func WriteSecret(path string, data []byte) (WriteResult, bool, error) {
	dirFixed, err := secretDir(filepath.Dir(path))
	if err != nil {
		return 0, false, err
	}
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		st, err := os.Stat(path)
		if err != nil {
			return 0, false, fmt.Errorf("stat %s: %w", path, err)
		}
		if st.Mode().Perm() == secretMode {
			return Unchanged, dirFixed, nil
		}
		if err := os.Chmod(path, secretMode); err != nil {
			return 0, false, fmt.Errorf("chmod %s to 0600: %w", path, err)
		}
		return Unchanged, true, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return 0, false, fmt.Errorf("read %s: %w", path, err)
	}
	result := Created
	if err == nil {
		result = Replaced
	}
	if err := atomicfile.Write(path, data, secretMode); err != nil {
		return 0, false, fmt.Errorf("write %s: %w", path, err)
	}
	return result, dirFixed, nil
}

// secretDir makes dir, the folder of a secret, exist with mode 0700 and
// reports whether an existing folder had to be tightened. A shared sticky
// folder such as /tmp is refused rather than tightened: changing its mode
// would break every other user of it, and a secret does not belong there.
func secretDir(dir string) (bool, error) {
	if err := os.MkdirAll(dir, secretDirMode); err != nil {
		return false, fmt.Errorf("create %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", dir, err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s: not a directory", dir)
	}
	if st.Mode()&fs.ModeSticky != 0 {
		return false, fmt.Errorf("%s: a shared folder (sticky bit set); put the token in a folder of its own, e.g. cloudflared/token", dir)
	}
	if st.Mode().Perm() == secretDirMode {
		return false, nil
	}
	if err := os.Chmod(dir, secretDirMode); err != nil {
		return false, fmt.Errorf("chmod %s to 0700: %w", dir, err)
	}
	return true, nil
}

func hasCode(err error, code int64) bool {
	ae, ok := cfapi.AsAPIError(err)
	return ok && ae.Has(code)
}

// explain turns an API error into a message that says what failed and,
// for a refused token, which permissions the steps need. cloudflare-go's
// own message carries the request URL and raw answer; the API's error
// messages are enough here.
func (c *Client) explain(err error, what string) error {
	ae, ok := cfapi.AsAPIError(err)
	if !ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	if ae.TokenRefused() {
		return fmt.Errorf("%s: Cloudflare refused the API token (HTTP %d: %s): check %s, that the token is for account %s, and that it has Cloudflare Tunnel: Edit (account) and DNS: Edit (zone); reading tunnel health needs Cloudflare Tunnel: Read",
			what, ae.Status, ae.Detail, cfapi.EnvAPIToken, c.accountID)
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, ae.Status, ae.Detail)
}
