// Package tunnel puts the admin server behind Cloudflare Tunnel: it writes
// the configuration of a locally managed cloudflared connector, which dials
// out to Cloudflare and forwards the admin host name to the admin server's
// loopback address, so the homelab needs no inbound ports.
package tunnel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/yamldoc"
)

const (
	// DefaultListen is the admin server's address when its configuration
	// names none. It must equal adminconfig.Parse's default; this package
	// cannot import api (the admin server reads tunnel health through it),
	// so a test in cmd/labfront compares the two.
	DefaultListen = "127.0.0.1:8443"
	// DefaultMetrics is where cloudflared serves /metrics and /ready
	// (cfapi.CloudflaredMetrics, which the admin server's tunnel health
	// reads too).
	DefaultMetrics = cfapi.CloudflaredMetrics
	// CatchAll answers every host name but the admin's. cloudflared refuses
	// a configuration whose last rule matches a host name.
	CatchAll = "http_status:404"
)

// Rule is one ingress rule. The json tags are the Cloudflare API's names
// for a remotely managed tunnel's configuration, which uses the same rules.
type Rule struct {
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	Service  string `yaml:"service" json:"service"`
}

// Config is cloudflared's config.yml for the admin tunnel. Field order is
// the order written.
type Config struct {
	Tunnel          string `yaml:"tunnel"`
	CredentialsFile string `yaml:"credentials-file"`
	Metrics         string `yaml:"metrics"`
	Ingress         []Rule `yaml:"ingress"`
}

// Options are the inputs of New, named after the command's flags.
type Options struct {
	Listen      string // the admin server's listen address (host:port)
	Hostname    string // the admin host name on Cloudflare
	Tunnel      string // name or UUID; empty takes the credentials file's TunnelID
	Credentials string // the credentials JSON, as cloudflared will find it
	Metrics     string // cloudflared's metrics address, loopback only
}

// Ingress is the admin tunnel's routing: the admin host name to origin,
// anything else 404.
func Ingress(hostname, origin string) []Rule {
	return []Rule{{Hostname: hostname, Service: origin}, {Service: CatchAll}}
}

// New validates opts and returns the configuration. Every flag problem is
// reported, not only the first. A credentials file that is not there yet
// is only a warning: it is often written on the server after the config.
func New(opts Options, log *slog.Logger) (*Config, error) {
	var probs diag.List
	flagErr := func(flag string, err error) {
		probs.Add("--"+flag, 0, "", "%v", err)
	}
	host, err := CheckHostname(opts.Hostname)
	if err != nil {
		flagErr("hostname", err)
	}
	origin, err := Origin(opts.Listen)
	if err != nil {
		// The address came from the admin configuration; ReadListen has
		// already named its line, so this only guards direct callers.
		probs.Add("listen", 0, "", "%v", err)
	}
	if err := checkMetrics(opts.Metrics); err != nil {
		flagErr("metrics", err)
	}
	name := opts.Tunnel
	if name != "" {
		if err := checkTunnelName(name); err != nil {
			flagErr("tunnel", err)
			name = ""
		}
	}
	switch {
	case opts.Credentials == "":
		flagErr("credentials", errors.New("required: the tunnel's credentials JSON (cloudflared tunnel create writes it)"))
	case !filepath.IsAbs(opts.Credentials):
		// cloudflared resolves a relative path against its own working
		// directory, which under systemd is /, not where this ran.
		flagErr("credentials", fmt.Errorf("must be an absolute path (cloudflared does not run from this directory), found %q", opts.Credentials))
	default:
		id, err := readCredentials(opts.Credentials, log)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			log.Warn("the credentials file does not exist yet; cloudflared will not start until it does", "path", opts.Credentials)
			if opts.Tunnel == "" {
				flagErr("tunnel", errors.New("required when --credentials does not exist yet to name the tunnel"))
			}
		case errors.Is(err, fs.ErrPermission):
			// Normal when it belongs to cloudflared's user: check it as
			// that user, or name the tunnel.
			log.Warn("cannot read the credentials file to check it", "path", opts.Credentials)
			if opts.Tunnel == "" {
				flagErr("tunnel", errors.New("required when --credentials cannot be read to name the tunnel"))
			}
		case err != nil:
			probs.Append(asProblems(opts.Credentials, err))
		case isUUID(name) && !strings.EqualFold(name, id):
			flagErr("tunnel", fmt.Errorf("%s belongs to tunnel %s, not %s", opts.Credentials, id, name))
		case name == "" && opts.Tunnel == "":
			name = id
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return &Config{
		Tunnel:          name,
		CredentialsFile: opts.Credentials,
		Metrics:         opts.Metrics,
		Ingress:         Ingress(host, origin),
	}, nil
}

func asProblems(path string, err error) diag.List {
	if l, ok := diag.As(err); ok {
		return l
	}
	return diag.List{{Path: path, Msg: err.Error()}}
}

// Marshal renders the configuration as cloudflared reads it, with a header
// that says where it came from. The output depends only on c, so running
// the command twice writes the same bytes.
func (c *Config) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`# cloudflared configuration of the labfront admin tunnel, written by
# "labfront tunnel config"; run the command again rather than editing this.
# Start it with: cloudflared tunnel --config THIS_FILE run
# The admin host name goes to the admin server; any other host name gets 404.
# metrics serves /ready, which the admin server reads for tunnel health.
`)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode cloudflared config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode cloudflared config: %w", err)
	}
	return b.Bytes(), nil
}

// ReadListen reads the admin server's listen address from its
// configuration file, or DefaultListen when the file names none. It reads
// only that key: validating the rest is the admin server's job, and doing
// it here would demand the server's secrets just to write a tunnel config.
func ReadListen(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the admin configuration: %w", err)
	}
	var probs diag.List
	doc := &yamldoc.Doc{Path: path, Problems: &probs}
	root := doc.Parse(data)
	if root == nil {
		return "", probs.Err()
	}
	var node *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "listen" {
			continue
		}
		if node != nil {
			doc.Errorf(root.Content[i], "listen", "duplicate key")
			return "", probs.Err()
		}
		node = root.Content[i+1]
	}
	if node == nil || node.Tag == "!!null" {
		return DefaultListen, nil
	}
	if node.Kind != yaml.ScalarNode {
		doc.Errorf(node, "listen", "expected host:port, found a %s", kindName(node))
		return "", probs.Err()
	}
	if _, err := Origin(node.Value); err != nil {
		doc.Errorf(node, "listen", "%v", err)
		return "", probs.Err()
	}
	return node.Value, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// Origin is the URL cloudflared forwards to for a listen address. The
// admin server speaks plain HTTP: TLS ends at Cloudflare, and the hop from
// cloudflared is loopback. A wildcard listen address is reached through
// loopback, which it includes.
func Origin(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("must be host:port, found %q", listen)
	}
	if err := checkPort(port); err != nil {
		return "", err
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func checkPort(port string) error {
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port must be a number from 1 to 65535, found %q", port)
	}
	return nil
}

var label = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckHostname checks that h is a DNS name cloudflared can match, and
// returns it in lower case. People paste URLs; the message says what to
// type instead.
func CheckHostname(h string) (string, error) {
	if h == "" {
		return "", errors.New("required: the admin host name, e.g. admin.example.com")
	}
	if i := strings.Index(h, "://"); i >= 0 {
		rest := h[i+3:]
		if j := strings.IndexAny(rest, "/:?#"); j >= 0 {
			rest = rest[:j]
		}
		return "", fmt.Errorf("must be a host name, not a URL: use %q instead of %q", rest, h)
	}
	switch {
	case strings.ContainsAny(h, "/?#"):
		return "", fmt.Errorf("must be a host name without a path, found %q", h)
	case strings.Contains(h, ":"):
		return "", fmt.Errorf("must be a host name without a port (Cloudflare serves it on 443), found %q", h)
	case strings.Contains(h, "*"):
		return "", fmt.Errorf("must be one host name, not a wildcard, found %q", h)
	case strings.HasSuffix(h, "."):
		return "", fmt.Errorf("must not end with a dot, found %q", h)
	case len(h) > 253:
		return "", fmt.Errorf("must be at most 253 characters, found %d", len(h))
	case net.ParseIP(h) != nil:
		return "", fmt.Errorf("must be a DNS name on your Cloudflare zone, not an IP address, found %q", h)
	}
	lower := strings.ToLower(h)
	labels := strings.Split(lower, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("must be a name in your Cloudflare zone, like admin.example.com, found %q", h)
	}
	for _, l := range labels {
		if !label.MatchString(l) {
			return "", fmt.Errorf("%q is not a valid DNS label in %q: letters, digits and inner hyphens, 1 to 63 characters (internationalised names in their xn-- form)", l, h)
		}
	}
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return "", fmt.Errorf("must end in a top-level domain, not a number, found %q", h)
	}
	return lower, nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidRE.MatchString(s) }

// checkTunnelName accepts a UUID or a name cloudflared can take as one
// command-line word.
func checkTunnelName(name string) error {
	if strings.HasPrefix(name, "-") {
		return fmt.Errorf("must be a tunnel name or UUID, found %q, which reads as a flag", name)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("must be a tunnel name or UUID without spaces or control characters, found %q", name)
	}
	return nil
}

func checkMetrics(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port, e.g. %s, found %q", DefaultMetrics, addr)
	}
	if err := checkPort(port); err != nil {
		return err
	}
	// The metrics server also reports the tunnel's connections and
	// configuration: keep it on the machine, where the admin server reads it.
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("must be a loopback address such as 127.0.0.1, found %q", host)
	}
	return nil
}

// credentials is the file `cloudflared tunnel create` writes. The secret is
// decoded only to check it is there; it is never printed.
type credentials struct {
	AccountTag   string
	TunnelID     string
	TunnelSecret string
}

// readCredentials checks the credentials file and returns its tunnel ID.
// Decoding errors are not quoted: encoding/json echoes the offending
// character, which could be part of the secret.
func readCredentials(path string, log *slog.Logger) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("is not a regular file")
	}
	if st.Mode().Perm()&0o004 != 0 {
		log.Warn("the credentials file is readable by every user; it holds the tunnel secret: chmod o-r it", "path", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var c credentials
	if json.Unmarshal(data, &c) != nil {
		return "", errors.New("is not a cloudflared credentials file (JSON with AccountTag, TunnelID and TunnelSecret)")
	}
	var probs diag.List
	if !isUUID(c.TunnelID) {
		probs.Add(path, 0, "TunnelID", "must be the tunnel's UUID, found %q", c.TunnelID)
	}
	if c.AccountTag == "" {
		probs.Add(path, 0, "AccountTag", "required")
	}
	if c.TunnelSecret == "" {
		probs.Add(path, 0, "TunnelSecret", "required")
	}
	if err := probs.Err(); err != nil {
		return "", err
	}
	return strings.ToLower(c.TunnelID), nil
}

// WriteResult says what Write did.
type WriteResult int

// The outcomes of Write.
const (
	Created WriteResult = iota
	Unchanged
	Replaced
)

// ErrExists is returned when the file exists with other content and force
// is off: someone may have edited it by hand.
var ErrExists = errors.New("already exists with different content")

// Write writes data to path atomically (temp file, sync, rename), creating
// its directory. An identical file is left alone; a different one is
// replaced only with force.
func Write(path string, data []byte, force bool) (WriteResult, error) {
	result := Created
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		return Unchanged, nil
	case err == nil && !force:
		return 0, fmt.Errorf("%s %w; pass --force to replace it", path, ErrExists)
	case err == nil:
		result = Replaced
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("create %s: %w", dir, err)
	}
	// cloudflared may run as another user; the file holds no secret (the
	// credentials are a separate file), so it is readable by all.
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return result, nil
}
