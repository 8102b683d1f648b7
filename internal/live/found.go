package live

import "github.com/labfront/labfront/internal/lab"

// Found is one thing a source's discovery saw: a hypervisor, a guest, a
// tailnet device, a scrape target, a container. Package discover merges
// these with lab.yaml's nodes; a Kind's Discover produces them.
type Found struct {
	// Source is the name of the source that saw it.
	Source string
	// LiveKey and LiveValue are the live: entry a lab node needs for the
	// source's collector to find it ("proxmox": "pve-io/lxc/101"): the
	// surest way to tell whether lab.yaml already has it.
	LiveKey, LiveValue string
	// Name is what the source calls it; Hostname the machine's host name
	// when the source knows it. Both are matched against lab.yaml's node
	// names when no node has the live value yet.
	Name, Hostname string
	// Type is a lab node type (lab.NodeTypes), "" when the source cannot
	// tell what it is; such a thing is reported, never added.
	Type string
	// Parent is the LiveValue, under the same LiveKey, of the found thing
	// this one runs on ("pve-io" for a guest of pve-io), "" for none.
	Parent string
	// Specs are its resources as the source reports them; zero is unknown.
	Specs lab.Specs
	// Tags are the source's own tags (Proxmox tags, Tailscale ACL tags),
	// shown to the operator; they have no place in lab.yaml.
	Tags []string
	// Labels are the operator's declared intent at the source, keyed
	// labfront.public, labfront.alias, labfront.service, labfront.site.
	Labels map[string]string
	// Routes are the subnets it routes into (Tailscale subnet routes), as
	// CIDRs; they map onto lab.yaml networks with the same cidr.
	Routes []string
	// Links are connections the source knows of, to other found things
	// of the same LiveKey.
	Links []FoundLink
	// Detail is a short note for the operator ("running", "job node, up").
	Detail string
}

// FoundLink is a connection from a found thing to another one, named by
// its LiveValue.
type FoundLink struct {
	To, Type, Label string
}

// Intent labels: what an operator can declare at the source.
const (
	LabelPublic  = "labfront.public"
	LabelAlias   = "labfront.alias"
	LabelService = "labfront.service"
	LabelSite    = "labfront.site"
)

// IntentLabels copies the labfront.* labels out of a source's labels,
// trimmed; other labels are the source's business.
func IntentLabels(labels map[string]string, prefix string) map[string]string {
	var out map[string]string
	for _, key := range []string{LabelPublic, LabelAlias, LabelService, LabelSite} {
		v, ok := labels[prefix+key[len("labfront."):]]
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[key] = v
	}
	return out
}
