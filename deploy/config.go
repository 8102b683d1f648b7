package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/sitefs"
)

// Config is what a deploy needs: credentials and endpoint from the
// environment (the variables wrangler and cloudflare-go read) and the
// project from wrangler.toml.
type Config struct {
	cfapi.Credentials
	// Wrangler is the parsed wrangler.toml: the project name and the
	// SNAPSHOTS namespace.
	Wrangler *Wrangler
}

// LoadConfig reads wrangler.toml at wranglerPath and the environment
// through getenv (os.Getenv in production, a map in tests).
func LoadConfig(getenv func(string) string, wranglerPath string) (Config, error) {
	w, err := LoadWrangler(wranglerPath)
	if err != nil {
		return Config{}, err
	}
	return Config{Credentials: cfapi.FromEnv(getenv), Wrangler: w}, nil
}

// Project is the Pages project name.
func (c Config) Project() string {
	if c.Wrangler == nil {
		return ""
	}
	return c.Wrangler.Name
}

// CheckCredentials reports what is missing to talk to the API, naming the
// environment variables.
func (c Config) CheckCredentials() error {
	var missing []string
	if c.APIToken == "" {
		missing = append(missing, cfapi.EnvAPIToken)
	}
	if c.AccountID == "" {
		missing = append(missing, cfapi.EnvAccountID)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not set: create an API token with Cloudflare Pages:Edit (and Workers KV Storage:Edit for the snapshot) and export it with the account id", strings.Join(missing, " and "))
	}
	if c.Project() == "" {
		return errors.New("no Pages project: wrangler.toml has no name")
	}
	return nil
}

// Wrangler is the part of wrangler.toml labfront uses.
type Wrangler struct {
	Path                string
	Name                string // the Pages project
	PagesBuildOutputDir string
	CompatibilityDate   string
	// SnapshotsNamespace is the id of the KV namespace bound as
	// SNAPSHOTS, "" when there is none or it is the all-zero placeholder.
	SnapshotsNamespace string
	// Hash is the SHA-256 of the file, sent with a deployment as
	// wrangler_config_hash as wrangler does.
	Hash string
}

// SnapshotsBinding is the KV binding the edge worker reads the snapshot
// from.
const SnapshotsBinding = "SNAPSHOTS"

var (
	projectName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,56}[a-z0-9])?$`)
	namespaceID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	dateRe      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// LoadWrangler reads and checks wrangler.toml. Syntax errors and wrong
// fields come back as diag problems with the file and line. The file is
// part of the site checkout, which whoever can push controls, and the
// admin server reads it holding its secrets: it is read through sitefs,
// so a wrangler.toml that is a symlink out of its folder or a special
// file is refused, not read.
func LoadWrangler(path string) (*Wrangler, error) {
	files, err := sitefs.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	src, err := files.ReadFile(filepath.Base(path))
	if cerr := files.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s not found: labfront deploy reads the Pages project name from it", path)
		}
		if _, ok := diag.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseWrangler(path, src)
}

// ParseWrangler checks wrangler.toml's content; path is for messages.
func ParseWrangler(path string, src []byte) (*Wrangler, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if msg == "" {
				msg = strings.TrimPrefix(pe.Error(), "toml: ")
			}
			return nil, diag.List{{Path: path, Line: pe.Position.Line, Msg: msg}}
		}
		return nil, diag.List{{Path: path, Msg: err.Error()}}
	}
	sum := sha256.Sum256(src)
	w := &Wrangler{Path: path, Hash: hex.EncodeToString(sum[:])}
	lines := keyLines(string(src))
	var probs diag.List
	str := func(key string, v any, required bool) string {
		s, ok := v.(string)
		switch {
		case v == nil && required:
			probs.Add(path, lines.of(key), key, "required")
		case v != nil && !ok:
			probs.Add(path, lines.of(key), key, "must be a string, not %s", tomlType(v))
		}
		return s
	}
	w.Name = str("name", raw["name"], true)
	if w.Name != "" && !projectName.MatchString(w.Name) {
		probs.Add(path, lines.of("name"), "name", "%q is not a Pages project name (lower-case letters, digits and inner dashes, at most 58)", w.Name)
	}
	w.PagesBuildOutputDir = str("pages_build_output_dir", raw["pages_build_output_dir"], false)
	w.CompatibilityDate = str("compatibility_date", raw["compatibility_date"], false)
	if w.CompatibilityDate != "" && !dateRe.MatchString(w.CompatibilityDate) {
		probs.Add(path, lines.of("compatibility_date"), "compatibility_date", "%q is not a YYYY-MM-DD date", w.CompatibilityDate)
	}
	if v, ok := raw["kv_namespaces"]; ok {
		tables, ok := tableArray(v)
		if !ok {
			probs.Add(path, lines.of("kv_namespaces"), "kv_namespaces", "must be an array of tables ([[kv_namespaces]])")
		}
		for i, t := range tables {
			prefix := fmt.Sprintf("kv_namespaces[%d]", i)
			binding := str(prefix+".binding", t["binding"], true)
			id := str(prefix+".id", t["id"], true)
			if id != "" && !namespaceID.MatchString(id) {
				probs.Add(path, lines.of(prefix+".id"), prefix+".id", "%q is not a KV namespace id (32 hex digits)", id)
				continue
			}
			if binding == SnapshotsBinding && id != strings.Repeat("0", 32) {
				w.SnapshotsNamespace = id
			}
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return w, nil
}

// tableArray accepts both spellings of an array of tables: [[x]] headers
// and an inline array of inline tables.
func tableArray(v any) ([]map[string]any, bool) {
	switch v := v.(type) {
	case []map[string]any:
		return v, true
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

func tomlType(v any) string {
	switch v.(type) {
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// lineIndex maps a key path ("name", "vars.ORIGIN_URL",
// "kv_namespaces[0].id", and tables such as "kv_namespaces[0]") to the
// line that defines it. The TOML library checks the syntax but, in the
// version the module pins, reports no positions for keys, so a light scan
// of the already-valid file finds them for messages.
type lineIndex map[string]int

func keyLines(src string) lineIndex {
	idx := lineIndex{}
	arrays := map[string]int{}
	table := ""
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "[["):
			name := strings.TrimSpace(strings.SplitN(t[2:], "]]", 2)[0])
			table = fmt.Sprintf("%s[%d]", name, arrays[name])
			arrays[name]++
			idx.set(table, n)
			idx.set(name, n)
		case strings.HasPrefix(t, "["):
			table = strings.TrimSpace(strings.SplitN(t[1:], "]", 2)[0])
			idx.set(table, n)
		default:
			key, _, ok := strings.Cut(t, "=")
			if !ok {
				continue
			}
			key = strings.Trim(strings.TrimSpace(key), `"'`)
			if table != "" {
				key = table + "." + key
			}
			idx.set(key, n)
		}
	}
	return idx
}

func (l lineIndex) set(key string, n int) {
	if _, ok := l[key]; !ok {
		l[key] = n
	}
}

// of is the line of key, else of the nearest enclosing table, else 0 (the
// whole file).
func (l lineIndex) of(key string) int {
	for key != "" {
		if n, ok := l[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}
