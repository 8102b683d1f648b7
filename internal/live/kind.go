package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Kind is one type of source: the config keys it takes, the live: key it
// reads on lab nodes and how its collector is built. Everything about a
// collector is declared in its own file, so adding one is that file, its
// test and a line in Builtin; the admin config, lab.yaml's checks and the
// server all read the registry instead of listing types themselves.
type Kind struct {
	Name string
	// Keys are the source config keys the kind takes besides the common
	// ones (name, type, url, interval, timeout, secret_env, secret_file).
	Keys []string
	// NeedsURL makes url required.
	NeedsURL bool
	// LiveKey is the key under a lab node's live: that points this kind at
	// the node ("proxmox: pve-io/lxc/101"), "" when it maps onto no node.
	LiveKey string
	// CheckLive says what is wrong with one live: value, nil when the
	// collector can use it. Nil accepts any text.
	CheckLive func(value string) error
	// Configure reads the kind's own Keys into src. Nil when it has none.
	Configure func(s Settings, src *Source)
	// New builds the collector of src over the lab's nodes.
	New func(src Source, l *lab.Lab, now func() time.Time) (Collector, error)
	// Discover lists what the source can see, for `labfront lab
	// discover`; nil for kinds that have nothing to propose (a probe
	// only knows what lab.yaml told it).
	Discover func(ctx context.Context, src Source) ([]Found, error)
}

// Settings is one source's mapping in the admin config, as its kind's
// Configure reads it: values, and problems reported at their line.
type Settings struct {
	Doc    *yamldoc.Doc
	Fields yamldoc.Fields
	// Prefix names the source in messages ("sources[2]").
	Prefix string
	// Getenv resolves environment variables (secrets, account ids).
	Getenv func(string) string
}

// Errorf reports a problem with key's value.
func (s Settings) Errorf(key, format string, args ...any) {
	s.Doc.Errorf(s.Fields.Node(key), s.Prefix+"."+key, format, args...)
}

// Kinds is a registry of source kinds.
type Kinds []Kind

// Builtin is every kind this build has.
func Builtin() Kinds {
	return Kinds{prometheusKind(), proxmoxKind(), tailscaleKind(), probeKind(), demoKind(), cloudflaredKind(), dockerKind()}
}

// Lookup finds a kind by name.
func (ks Kinds) Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(ks, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return ks[i], true
}

func (ks Kinds) names() []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

// LiveKeys are the keys a lab node's live: may have, sorted.
func (ks Kinds) LiveKeys() []string {
	var out []string
	for _, k := range ks {
		if k.LiveKey != "" && !slices.Contains(out, k.LiveKey) {
			out = append(out, k.LiveKey)
		}
	}
	slices.Sort(out)
	return out
}

// commonKeys are the keys every source takes.
// site is for discovery: the lab.yaml site what the source finds is at,
// when nothing closer (a labfront.site label, the parent's site) says.
var commonKeys = []string{"name", "type", "url", "interval", "timeout", "secret_env", "secret_file", "site"}

// ParseSources reads the admin config's sources: list. Every problem is
// reported to doc at its line; a key that belongs to another kind is named
// as such rather than as unknown, since that is the likelier mistake.
func (ks Kinds) ParseSources(doc *yamldoc.Doc, list []*yaml.Node, getenv func(string) string) []Source {
	allowed := slices.Clone(commonKeys)
	for _, k := range ks {
		for _, key := range k.Keys {
			if !slices.Contains(allowed, key) {
				allowed = append(allowed, key)
			}
		}
	}
	var out []Source
	for i, n := range list {
		prefix := fmt.Sprintf("sources[%d]", i)
		f := doc.Map(n, prefix, allowed...)
		f.Require("name", "type")
		src := Source{Name: f.String("name"), Type: f.String("type"), URL: f.String("url"), Site: f.String("site")}
		kind, known := ks.Lookup(src.Type)
		if src.Type != "" && !known {
			doc.Errorf(f.Node("type"), prefix+".type", "must be one of %s, found %q", strings.Join(ks.names(), ", "), src.Type)
		}
		if kind.NeedsURL {
			f.Require("url")
		}
		src.Interval = duration(doc, f, prefix, "interval", 15*time.Second)
		src.Timeout = duration(doc, f, prefix, "timeout", min(src.Interval, 10*time.Second))
		src.Secret = secret(doc, f, prefix, getenv)
		if known {
			for _, key := range f.Keys() {
				if !slices.Contains(commonKeys, key) && !slices.Contains(kind.Keys, key) {
					doc.Errorf(f.Node(key), prefix+"."+key, "only %s sources take %s", andList(ks.takers(key)), key)
				}
			}
			if kind.Configure != nil {
				kind.Configure(Settings{Doc: doc, Fields: f, Prefix: prefix, Getenv: getenv}, &src)
			}
		}
		if slices.ContainsFunc(out, func(s Source) bool { return s.Name == src.Name }) {
			doc.Errorf(f.Node("name"), prefix+".name", "duplicate source name %q", src.Name)
		}
		out = append(out, src)
	}
	return out
}

// andList is "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// takers are the kinds that take key.
func (ks Kinds) takers(key string) []string {
	var out []string
	for _, k := range ks {
		if slices.Contains(k.Keys, key) {
			out = append(out, k.Name)
		}
	}
	return out
}

func duration(doc *yamldoc.Doc, f yamldoc.Fields, prefix, key string, def time.Duration) time.Duration {
	s := f.String(key)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		doc.Errorf(f.Node(key), prefix+"."+key, "must be a positive duration like 15s or 1m, found %q", s)
		return def
	}
	return d
}

// secret resolves secret_env or secret_file; the value is never reported.
func secret(doc *yamldoc.Doc, f yamldoc.Fields, prefix string, getenv func(string) string) string {
	var s string
	if env := f.String("secret_env"); env != "" {
		s = getenv(env)
		if s == "" {
			doc.Errorf(f.Node("secret_env"), prefix+".secret_env", "$%s is empty or unset", env)
		}
	}
	if file := f.String("secret_file"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			doc.Errorf(f.Node("secret_file"), prefix+".secret_file", "%v", err)
		}
		s = strings.TrimSpace(string(b))
	}
	return s
}

// CheckLab reports every live: key no kind reads and every value its kind
// cannot use, at the value's line in the lab's file. It is what makes
// `labfront check` catch a typo in live: although lab itself accepts any
// key.
func (ks Kinds) CheckLab(l *lab.Lab) error {
	if l == nil {
		return nil
	}
	var probs diag.List
	keys := ks.LiveKeys()
	for i, n := range l.Nodes {
		for _, key := range sortedKeys(n.Live) {
			ref := n.Live[key]
			field := fmt.Sprintf("nodes[%d].live.%s", i, key)
			k, ok := ks.byLiveKey(key)
			if !ok {
				probs.Add(l.File(), ref.Line, field, "unknown key (allowed: %s)", strings.Join(keys, ", "))
				continue
			}
			if k.CheckLive == nil {
				continue
			}
			if err := k.CheckLive(ref.Value); err != nil {
				probs.Add(l.File(), ref.Line, field, "%v", err)
			}
		}
	}
	return probs.Err()
}

func (ks Kinds) byLiveKey(key string) (Kind, bool) {
	i := slices.IndexFunc(ks, func(k Kind) bool { return k.LiveKey == key })
	if i < 0 {
		return Kind{}, false
	}
	return ks[i], true
}

func sortedKeys(l lab.Live) []string {
	out := make([]string, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// New builds the collector of a configured source.
func (ks Kinds) New(src Source, l *lab.Lab, now func() time.Time) (Collector, error) {
	k, ok := ks.Lookup(src.Type)
	if !ok {
		return nil, fmt.Errorf("source %q: type %q is not in this build", src.Name, src.Type)
	}
	return k.New(src, l, now)
}

// ErrNoDiscovery is returned by Discover for a kind that cannot discover.
var ErrNoDiscovery = errors.New("this kind of source cannot discover anything")

// Discover asks a configured source what it sees. Every Found carries the
// source's name and the kind's live key.
func (ks Kinds) Discover(ctx context.Context, src Source) ([]Found, error) {
	k, ok := ks.Lookup(src.Type)
	if !ok {
		return nil, fmt.Errorf("source %q: type %q is not in this build", src.Name, src.Type)
	}
	if k.Discover == nil {
		return nil, fmt.Errorf("source %q (%s): %w", src.Name, src.Type, ErrNoDiscovery)
	}
	found, err := k.Discover(ctx, src)
	if err != nil {
		return nil, err
	}
	for i := range found {
		found[i].Source = src.Name
		if found[i].LiveKey == "" {
			found[i].LiveKey = k.LiveKey
		}
	}
	return found, nil
}

// CanDiscover reports whether sources of type name can discover.
func (ks Kinds) CanDiscover(name string) bool {
	k, ok := ks.Lookup(name)
	return ok && k.Discover != nil
}
