package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/lab"
)

const kubeLiveKey = "kubernetes"

// kubeServiceAccountDir is where a pod finds its service account's token
// and the cluster's CA.
const kubeServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// kubeAnnotationPrefix is where operators declare intent on nodes,
// namespaces and services: labfront.dev/public, labfront.dev/alias, …
const kubeAnnotationPrefix = "labfront.dev/"

// KubernetesOptions are a kubernetes source's own settings.
type KubernetesOptions struct {
	// Kubeconfig is the kubeconfig file, "" for the in-cluster account;
	// Context the context in it, "" for its current-context.
	Kubeconfig, Context string
	// ServiceHost and ServicePort are $KUBERNETES_SERVICE_HOST and
	// _PORT, read when the config is, for the in-cluster account.
	ServiceHost, ServicePort string
	// AccountDir overrides kubeServiceAccountDir (tests).
	AccountDir string
}

// A kubernetes live: value is "NODE" for a cluster node or
// "NAMESPACE/SERVICE" for a service, whose pods give its status.
var kubeNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

func parseKubeRef(v string) (namespace, name string, err error) {
	ns, name, isService := strings.Cut(v, "/")
	if !isService {
		name, ns = ns, ""
	}
	if !kubeNamePattern.MatchString(name) || (isService && !kubeNamePattern.MatchString(ns)) {
		return "", "", fmt.Errorf(`must be "NODE" or "NAMESPACE/SERVICE" (lower-case Kubernetes names), found %q`, v)
	}
	return ns, name, nil
}

func kubernetesKind() Kind {
	return Kind{
		Name: "kubernetes", Keys: []string{"kubeconfig", "context", "insecure"}, LiveKey: kubeLiveKey,
		CheckLive: func(v string) error { _, _, err := parseKubeRef(v); return err },
		Configure: func(s Settings, src *Source) {
			src.Insecure = s.Fields.Bool("insecure")
			src.Options = KubernetesOptions{Kubeconfig: s.Fields.String("kubeconfig"), Context: s.Fields.String("context"),
				ServiceHost: s.Getenv("KUBERNETES_SERVICE_HOST"), ServicePort: s.Getenv("KUBERNETES_SERVICE_PORT")}
		},
		New: func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) { return NewKubernetes(src, l) },
		Discover: func(ctx context.Context, src Source) ([]Found, error) {
			k, err := NewKubernetes(src, &lab.Lab{})
			if err != nil {
				return nil, err
			}
			return k.Discover(ctx)
		},
	}
}

// Kubernetes reads a cluster through its API server: node readiness and
// the pods behind services, with restart counts.
type Kubernetes struct {
	name   string
	server string
	client *http.Client
	// token gives the bearer token for each request; a service account's
	// is re-read every time, since the kubelet rotates it.
	token   func() (string, error)
	targets []kubeTarget
}

type kubeTarget struct {
	node, namespace, name string
}

// NewKubernetes builds the collector of src from its kubeconfig, or the
// in-cluster service account when it names none. url: overrides the
// server, and a secret (secret_env, secret_file) the token.
func NewKubernetes(src Source, l *lab.Lab) (*Kubernetes, error) {
	opts, _ := src.Options.(KubernetesOptions)
	k := &Kubernetes{name: src.Name}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	var err error
	if opts.Kubeconfig != "" {
		err = k.fromKubeconfig(opts, tlsConf)
	} else {
		err = k.inCluster(opts, tlsConf)
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes source %q: %w", src.Name, err)
	}
	if src.URL != "" {
		k.server = strings.TrimSuffix(src.URL, "/")
	}
	if src.Secret != "" {
		secret := src.Secret
		k.token = func() (string, error) { return secret, nil }
	}
	if k.server == "" {
		return nil, fmt.Errorf("kubernetes source %q: no API server (kubeconfig, url: or $KUBERNETES_SERVICE_HOST)", src.Name)
	}
	if src.Insecure {
		tlsConf.InsecureSkipVerify = true //nolint:gosec // opt-in with insecure: true
	}
	timeout := src.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	switch {
	case src.HTTP != nil:
		k.client = src.HTTP
	default:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsConf
		k.client = &http.Client{Transport: tr, Timeout: timeout}
	}
	for _, n := range l.Nodes {
		v := n.Live.Get(kubeLiveKey)
		if v == "" {
			continue
		}
		ns, name, err := parseKubeRef(v)
		if err != nil {
			return nil, fmt.Errorf("kubernetes source %q: node %s: %w", src.Name, n.ID, err)
		}
		k.targets = append(k.targets, kubeTarget{node: n.ID, namespace: ns, name: name})
	}
	return k, nil
}

type kubeNamedContext struct {
	Name    string `yaml:"name"`
	Context struct {
		Cluster string `yaml:"cluster"`
		User    string `yaml:"user"`
	} `yaml:"context"`
}

// kubeconfig is the part of a kubeconfig file labfront reads.
type kubeconfig struct {
	CurrentContext string             `yaml:"current-context"`
	Contexts       []kubeNamedContext `yaml:"contexts"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server   string `yaml:"server"`
			CA       string `yaml:"certificate-authority"`
			CAData   string `yaml:"certificate-authority-data"`
			Insecure bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token      string `yaml:"token"`
			TokenFile  string `yaml:"tokenFile"`
			ClientCert string `yaml:"client-certificate"`
			CertData   string `yaml:"client-certificate-data"`
			ClientKey  string `yaml:"client-key"`
			KeyData    string `yaml:"client-key-data"`
			Exec       any    `yaml:"exec"`
		} `yaml:"user"`
	} `yaml:"users"`
}

func (k *Kubernetes) fromKubeconfig(opts KubernetesOptions, tlsConf *tls.Config) error {
	data, err := os.ReadFile(opts.Kubeconfig)
	if err != nil {
		return err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return fmt.Errorf("%s: %w", opts.Kubeconfig, err)
	}
	// Relative paths in a kubeconfig are relative to the file.
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(opts.Kubeconfig), p)
	}
	ctxName := opts.Context
	if ctxName == "" {
		ctxName = kc.CurrentContext
	}
	ci := slices.IndexFunc(kc.Contexts, func(c kubeNamedContext) bool { return c.Name == ctxName })
	if ci < 0 {
		return fmt.Errorf("%s: no context %q", opts.Kubeconfig, ctxName)
	}
	kctx := kc.Contexts[ci].Context
	for _, c := range kc.Clusters {
		if c.Name != kctx.Cluster {
			continue
		}
		k.server = strings.TrimSuffix(c.Cluster.Server, "/")
		tlsConf.InsecureSkipVerify = c.Cluster.Insecure //nolint:gosec // the kubeconfig's own choice
		pem, err := kubeBytes(c.Cluster.CAData, rel(c.Cluster.CA))
		if err != nil {
			return fmt.Errorf("%s: cluster %q: certificate authority: %w", opts.Kubeconfig, c.Name, err)
		}
		if pem != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("%s: cluster %q: certificate authority holds no PEM certificate", opts.Kubeconfig, c.Name)
			}
			tlsConf.RootCAs = pool
		}
	}
	if k.server == "" {
		return fmt.Errorf("%s: context %q: no cluster %q with a server", opts.Kubeconfig, ctxName, kctx.Cluster)
	}
	for _, u := range kc.Users {
		if u.Name != kctx.User {
			continue
		}
		if u.User.Exec != nil && u.User.Token == "" && u.User.TokenFile == "" && u.User.CertData == "" && u.User.ClientCert == "" {
			return fmt.Errorf("%s: user %q authenticates with an exec plugin, which labfront does not run; give it a token or a client certificate", opts.Kubeconfig, u.Name)
		}
		switch {
		case u.User.Token != "":
			token := u.User.Token
			k.token = func() (string, error) { return token, nil }
		case u.User.TokenFile != "":
			file := rel(u.User.TokenFile)
			k.token = func() (string, error) { return readToken(file) }
		}
		cert, err := kubeBytes(u.User.CertData, rel(u.User.ClientCert))
		if err != nil {
			return fmt.Errorf("%s: user %q: client certificate: %w", opts.Kubeconfig, u.Name, err)
		}
		key, err := kubeBytes(u.User.KeyData, rel(u.User.ClientKey))
		if err != nil {
			return fmt.Errorf("%s: user %q: client key: %w", opts.Kubeconfig, u.Name, err)
		}
		if cert != nil || key != nil {
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				return fmt.Errorf("%s: user %q: client certificate: %w", opts.Kubeconfig, u.Name, err)
			}
			tlsConf.Certificates = []tls.Certificate{pair}
		}
	}
	return nil
}

// kubeBytes is inline base64 data, else the file's content, nil for neither.
func kubeBytes(data, file string) ([]byte, error) {
	if data != "" {
		return base64.StdEncoding.DecodeString(data)
	}
	if file != "" {
		return os.ReadFile(file)
	}
	return nil, nil
}

func readToken(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func (k *Kubernetes) inCluster(opts KubernetesOptions, tlsConf *tls.Config) error {
	dir := opts.AccountDir
	if dir == "" {
		dir = kubeServiceAccountDir
	}
	if opts.ServiceHost != "" && opts.ServicePort != "" {
		k.server = "https://" + net.JoinHostPort(opts.ServiceHost, opts.ServicePort)
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	switch {
	case err == nil:
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return fmt.Errorf("%s: no PEM certificate", filepath.Join(dir, "ca.crt"))
		}
		tlsConf.RootCAs = pool
	case k.server != "":
		return fmt.Errorf("in-cluster account: %w", err)
	}
	tokenFile := filepath.Join(dir, "token")
	k.token = func() (string, error) { return readToken(tokenFile) }
	return nil
}

// kubeMeta is an object's metadata.
type kubeMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type kubeNode struct {
	Metadata kubeMeta `json:"metadata"`
	Status   struct {
		Capacity   map[string]string `json:"capacity"`
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"conditions"`
		NodeInfo struct {
			OSImage        string `json:"osImage"`
			KubeletVersion string `json:"kubeletVersion"`
		} `json:"nodeInfo"`
	} `json:"status"`
}

func (n kubeNode) ready() (bool, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True", c.Reason
		}
	}
	return false, "no Ready condition"
}

type kubeService struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		Type     string            `json:"type"`
		Selector map[string]string `json:"selector"`
	} `json:"spec"`
}

type kubePod struct {
	Metadata kubeMeta `json:"metadata"`
	Spec     struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase             string `json:"phase"`
		ContainerStatuses []struct {
			Ready        bool `json:"ready"`
			RestartCount int  `json:"restartCount"`
			State        struct {
				Waiting *struct {
					Reason string `json:"reason"`
				} `json:"waiting"`
			} `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

func (p kubePod) ready() bool {
	if p.Status.Phase != "Running" || len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if !c.Ready {
			return false
		}
	}
	return true
}

// kubeStatus is the API server's error object.
type kubeStatus struct {
	Message string `json:"message"`
	Reason  string `json:"reason"`
}

// get lists one resource into out (its items).
func (k *Kubernetes) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "labfront")
	if k.token != nil {
		token, err := k.token()
		if err != nil {
			return fmt.Errorf("kubernetes %s: token: %w", k.name, err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("kubernetes %s: GET %s: %w", k.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("kubernetes %s: GET %s: %w", k.name, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var st kubeStatus
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			msg = st.Message
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Errorf("kubernetes %s: GET %s: HTTP %d: %s", k.name, path, resp.StatusCode, msg)
	}
	list := struct {
		Items json.RawMessage `json:"items"`
	}{}
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("kubernetes %s: GET %s: decode: %w", k.name, path, err)
	}
	if err := json.Unmarshal(list.Items, out); err != nil {
		return fmt.Errorf("kubernetes %s: GET %s: decode items: %w", k.name, path, err)
	}
	return nil
}

// Collect reports each node's readiness and, for each service a lab
// node names, its pods: up while at least one is ready.
func (k *Kubernetes) Collect(ctx context.Context) (*Result, error) {
	var nodes []kubeNode
	if err := k.get(ctx, "/api/v1/nodes", &nodes); err != nil {
		return nil, err
	}
	var pods []kubePod
	if err := k.get(ctx, "/api/v1/pods", &pods); err != nil {
		return nil, err
	}
	var services []kubeService
	if slices.ContainsFunc(k.targets, func(t kubeTarget) bool { return t.namespace != "" }) {
		if err := k.get(ctx, "/api/v1/services", &services); err != nil {
			return nil, err
		}
	}
	res := &Result{Nodes: map[string]NodeData{}, Summary: fmt.Sprintf("%d nodes, %d pods", len(nodes), len(pods))}
	for _, t := range k.targets {
		if t.namespace == "" {
			res.Nodes[t.node] = kubeNodeData(nodes, pods, t.name)
			continue
		}
		i := slices.IndexFunc(services, func(s kubeService) bool { return s.Metadata.Namespace == t.namespace && s.Metadata.Name == t.name })
		if i < 0 {
			res.Nodes[t.node] = NodeData{Status: Unknown, Detail: fmt.Sprintf("no service %s/%s", t.namespace, t.name)}
			continue
		}
		res.Nodes[t.node] = kubeServiceData(services[i], pods)
	}
	return res, nil
}

func kubeNodeData(nodes []kubeNode, pods []kubePod, name string) NodeData {
	i := slices.IndexFunc(nodes, func(n kubeNode) bool { return n.Metadata.Name == name })
	if i < 0 {
		return NodeData{Status: Unknown, Detail: fmt.Sprintf("no cluster node %q", name)}
	}
	n := nodes[i]
	running := 0
	for _, p := range pods {
		if p.Spec.NodeName == name && p.Status.Phase == "Running" {
			running++
		}
	}
	ready, reason := n.ready()
	d := NodeData{Status: Down, Detail: fmt.Sprintf("not ready (%s), %d pods running", reason, running)}
	if ready {
		d = NodeData{Status: Up, Detail: fmt.Sprintf("ready, %s, %d pods running", n.Status.NodeInfo.KubeletVersion, running)}
	}
	return d
}

// selected are the pods a service's selector picks.
func selected(s kubeService, pods []kubePod) []kubePod {
	if len(s.Spec.Selector) == 0 {
		return nil
	}
	var out []kubePod
	for _, p := range pods {
		if p.Metadata.Namespace != s.Metadata.Namespace {
			continue
		}
		match := true
		for k, v := range s.Spec.Selector {
			if p.Metadata.Labels[k] != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}

func kubeServiceData(s kubeService, pods []kubePod) NodeData {
	if len(s.Spec.Selector) == 0 {
		return NodeData{Status: Unknown, Detail: "a service without a selector: no pods to judge it by"}
	}
	ps := selected(s, pods)
	ready, restarts := 0, 0
	var waiting []string
	for _, p := range ps {
		if p.ready() {
			ready++
		}
		for _, c := range p.Status.ContainerStatuses {
			restarts += c.RestartCount
			if c.State.Waiting != nil && c.State.Waiting.Reason != "" && !slices.Contains(waiting, c.State.Waiting.Reason) {
				waiting = append(waiting, c.State.Waiting.Reason)
			}
		}
	}
	d := NodeData{Status: Down, Restarts: &restarts}
	if ready > 0 {
		d.Status = Up
	}
	d.Detail = fmt.Sprintf("%d of %d pods ready, %d %s", ready, len(ps), restarts, map[bool]string{true: "restart", false: "restarts"}[restarts == 1])
	if len(waiting) > 0 {
		d.Detail += " (" + strings.Join(waiting, ", ") + ")"
	}
	return d
}

// Discover lists the cluster's nodes (no type: a node is a VM or a
// machine, which lab.yaml knows and the API does not), and its services.
// A service whose annotations (or its namespace's) carry labfront.dev/*
// intent is proposed as a container node; others are listed only, as
// are kube-system's and the API server's own.
func (k *Kubernetes) Discover(ctx context.Context) ([]Found, error) {
	var nodes []kubeNode
	if err := k.get(ctx, "/api/v1/nodes", &nodes); err != nil {
		return nil, err
	}
	var namespaces []struct {
		Metadata kubeMeta `json:"metadata"`
	}
	if err := k.get(ctx, "/api/v1/namespaces", &namespaces); err != nil {
		return nil, err
	}
	var services []kubeService
	if err := k.get(ctx, "/api/v1/services", &services); err != nil {
		return nil, err
	}
	var pods []kubePod
	if err := k.get(ctx, "/api/v1/pods", &pods); err != nil {
		return nil, err
	}
	var out []Found
	for _, n := range nodes {
		ready, _ := n.ready()
		f := Found{LiveKey: kubeLiveKey, LiveValue: n.Metadata.Name, Name: n.Metadata.Name, Hostname: n.Metadata.Name,
			Labels: IntentLabels(n.Metadata.Annotations, kubeAnnotationPrefix),
			Specs:  lab.Specs{Cores: kubeCPU(n.Status.Capacity["cpu"]), MemoryGB: kubeGB(n.Status.Capacity["memory"]), OS: n.Status.NodeInfo.OSImage},
			Detail: fmt.Sprintf("cluster node, %s, %s", n.Status.NodeInfo.KubeletVersion, map[bool]string{true: "ready", false: "not ready"}[ready])}
		out = append(out, f)
	}
	nsIntent := map[string]map[string]string{}
	for _, ns := range namespaces {
		nsIntent[ns.Metadata.Name] = IntentLabels(ns.Metadata.Annotations, kubeAnnotationPrefix)
	}
	for _, s := range services {
		ns, name := s.Metadata.Namespace, s.Metadata.Name
		if ns == "kube-system" || (ns == "default" && name == "kubernetes") {
			continue
		}
		labels := map[string]string{}
		for k, v := range nsIntent[ns] {
			labels[k] = v
		}
		own := IntentLabels(s.Metadata.Annotations, kubeAnnotationPrefix)
		for k, v := range own {
			labels[k] = v
		}
		f := Found{LiveKey: kubeLiveKey, LiveValue: ns + "/" + name, Name: name, Tags: []string{"namespace:" + ns}}
		if len(labels) > 0 {
			f.Labels = labels
		}
		ps := selected(s, pods)
		f.Detail = fmt.Sprintf("service %s/%s (%s), %s", ns, name, s.Spec.Type, kubeServiceData(s, pods).Detail)
		if len(own)+len(nsIntent[ns]) > 0 {
			f.Type = "container"
			// A service whose pods all run on one node runs there.
			var hosts []string
			for _, p := range ps {
				if p.Spec.NodeName != "" && !slices.Contains(hosts, p.Spec.NodeName) {
					hosts = append(hosts, p.Spec.NodeName)
				}
			}
			if len(hosts) == 1 {
				f.Parent = hosts[0]
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// kubeCPU is a CPU quantity ("8", "7500m") in whole cores, rounded up.
func kubeCPU(q string) int {
	if m, ok := strings.CutSuffix(q, "m"); ok {
		n, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return 0
		}
		return int(math.Ceil(n / 1000))
	}
	n, err := strconv.ParseFloat(q, 64)
	if err != nil {
		return 0
	}
	return int(math.Ceil(n))
}

// kubeGB is a memory quantity ("32781868Ki", "16Gi", bytes) in GiB, to
// two decimals.
func kubeGB(q string) float64 {
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}} {
		if s, ok := strings.CutSuffix(q, u.suffix); ok {
			q, mult = s, u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(q, 64)
	if err != nil {
		return 0
	}
	return math.Round(n*mult/(1<<30)*100) / 100
}
