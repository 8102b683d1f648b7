package blogimport

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// config is a generator's configuration with its keys lower-cased (Hugo
// reads them case-insensitively; Jekyll and Astro's keys are lower case
// already where they matter).
type config map[string]any

// readConfig reads a TOML, YAML or JSON configuration file of the source.
func readConfig(s *source, name string) (config, error) {
	data, err := s.readText(name)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	switch path.Ext(name) {
	case ".toml":
		_, err = toml.Decode(string(data), &raw)
	case ".yaml", ".yml":
		err = yaml.Unmarshal(data, &raw)
	case ".json":
		err = json.Unmarshal(data, &raw)
	default:
		return nil, fmt.Errorf("%s: not a TOML, YAML or JSON file", s.display(name))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", s.display(name), err)
	}
	c, _ := lowerKeys(raw).(config)
	if c == nil {
		c = config{}
	}
	return c, nil
}

func lowerKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := config{}
		for k, x := range v {
			out[strings.ToLower(k)] = lowerKeys(x)
		}
		return out
	case []any:
		for i := range v {
			v[i] = lowerKeys(v[i])
		}
		return v
	case []map[string]any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = lowerKeys(v[i])
		}
		return out
	}
	return v
}

// merge adds every key of o that c lacks (config/_default/*.toml files
// each hold part of the configuration).
func (c config) merge(o config) {
	for k, v := range o {
		if cur, ok := c[k].(config); ok {
			if ov, ok := v.(config); ok {
				cur.merge(ov)
				continue
			}
		}
		if _, ok := c[k]; !ok {
			c[k] = v
		}
	}
}

func (c config) str(keys ...string) string {
	var v any = c
	for _, k := range keys {
		m, ok := v.(config)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (c config) bool(key string) bool {
	b, _ := c[key].(bool)
	return b
}

func (c config) sub(key string) config {
	m, _ := c[key].(config)
	return m
}
