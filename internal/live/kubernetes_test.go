package live

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/kubefake"
)

func kubeTestCluster(t *testing.T) *kubefake.Server {
	app := map[string]string{"app": "web"}
	return kubefake.New(t, kubefake.Cluster{
		Nodes: []kubefake.Node{
			{Name: "k3s-io-1", Ready: true, CPU: "4", Memory: "8131432Ki", OSImage: "Debian GNU/Linux 12 (bookworm)", Kubelet: "v1.31.4+k3s1",
				Annotations: map[string]string{"labfront.dev/site": "jove", "k3s.io/hostname": "k3s-io-1"}},
			{Name: "k3s-io-2", Ready: false, CPU: "3500m", Memory: "4Gi", OSImage: "Debian GNU/Linux 12 (bookworm)", Kubelet: "v1.31.4+k3s1"},
		},
		Namespaces: []kubefake.Namespace{{Name: "default"}, {Name: "kube-system"}, {Name: "apps", Annotations: map[string]string{"labfront.dev/site": "jove"}}, {Name: "lab"}},
		Services: []kubefake.Service{
			{Namespace: "default", Name: "kubernetes"},
			{Namespace: "kube-system", Name: "kube-dns", Selector: map[string]string{"k8s-app": "kube-dns"}},
			{Namespace: "apps", Name: "web", Selector: app, Annotations: map[string]string{"labfront.dev/public": "true", "labfront.dev/alias": "Website"}},
			{Namespace: "lab", Name: "crashy", Selector: map[string]string{"app": "crashy"}},
		},
		Pods: []kubefake.Pod{
			{Namespace: "apps", Name: "web-1", Node: "k3s-io-1", Labels: app, Phase: "Running", Ready: true, Restarts: 1},
			{Namespace: "apps", Name: "web-2", Node: "k3s-io-1", Labels: app, Phase: "Running", Ready: false, Restarts: 4, Waiting: "CrashLoopBackOff"},
			// Same labels, another namespace: not the service's.
			{Namespace: "lab", Name: "web-x", Node: "k3s-io-1", Labels: app, Phase: "Running", Ready: true},
			{Namespace: "lab", Name: "crashy-1", Node: "k3s-io-2", Labels: map[string]string{"app": "crashy"}, Phase: "Running", Restarts: 30, Waiting: "CrashLoopBackOff"},
		},
	})
}

// kubeconfigFor writes a kubeconfig for the fake with its CA inline and
// the token given, as `kubectl config view --raw` shows one.
func kubeconfigFor(t *testing.T, api *kubefake.Server, token string) string {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	body := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: other
contexts:
  - {name: other, context: {cluster: nowhere, user: nobody}}
  - {name: lab, context: {cluster: lab, user: labfront}}
clusters:
  - name: lab
    cluster:
      server: %s
      certificate-authority-data: %s
users:
  - name: labfront
    user:
      token: %s
`, api.URL, base64.StdEncoding.EncodeToString(api.CAPEM), token)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKubernetesCollect(t *testing.T) {
	t.Parallel()
	api := kubeTestCluster(t)
	l, err := lab.Parse([]byte(`title: t
sites: [{id: home, name: Home}]
nodes:
  - {id: k1, name: k3s-io-1, type: vm, site: home, live: {kubernetes: k3s-io-1}}
  - {id: k2, name: k3s-io-2, type: vm, site: home, live: {kubernetes: k3s-io-2}}
  - {id: web, name: web, type: container, site: home, live: {kubernetes: apps/web}}
  - {id: crashy, name: crashy, type: container, site: home, live: {kubernetes: lab/crashy}}
  - {id: gone, name: gone, type: container, site: home, live: {kubernetes: apps/gone}}
  - {id: api, name: api, type: container, site: home, live: {kubernetes: default/kubernetes}}
links: []
`), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Name: "k3s", Type: "kubernetes", Timeout: 5 * time.Second,
		Options: KubernetesOptions{Kubeconfig: kubeconfigFor(t, api, kubefake.Token), Context: "lab"}}
	c, err := Builtin().New(src, l, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status, detail string
		restarts       int
	}{
		"k1":     {Up, "ready, v1.31.4+k3s1, 3 pods running", -1},
		"k2":     {Down, "not ready (NodeStatusUnknown), 1 pods running", -1},
		"web":    {Up, "1 of 2 pods ready, 5 restarts (CrashLoopBackOff)", 5},
		"crashy": {Down, "0 of 1 pods ready, 30 restarts (CrashLoopBackOff)", 30},
		"gone":   {Unknown, "no service apps/gone", -1},
		"api":    {Unknown, "a service without a selector: no pods to judge it by", -1},
	}
	for id, w := range want {
		got := res.Nodes[id]
		if got.Status != w.status || got.Detail != w.detail {
			t.Errorf("%s = %s %q, want %s %q", id, got.Status, got.Detail, w.status, w.detail)
		}
		if w.restarts >= 0 && (got.Restarts == nil || *got.Restarts != w.restarts) {
			t.Errorf("%s restarts = %v, want %d", id, got.Restarts, w.restarts)
		}
	}
	if calls := api.Calls(); !slices.Equal(calls, []string{"GET /api/v1/nodes", "GET /api/v1/pods", "GET /api/v1/services"}) {
		t.Errorf("calls %v", calls)
	}
}

func TestKubernetesAuth(t *testing.T) {
	t.Parallel()
	api := kubeTestCluster(t)
	// A wrong token: the API server's own message.
	k, err := NewKubernetes(Source{Name: "k3s", Options: KubernetesOptions{Kubeconfig: kubeconfigFor(t, api, "wrong"), Context: "lab"}}, &lab.Lab{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 401: Unauthorized") {
		t.Errorf("wrong token: %v", err)
	}
	// Without the CA the fake's certificate is refused.
	k, err = NewKubernetes(Source{Name: "k3s", URL: api.URL, Secret: kubefake.Token, Options: KubernetesOptions{AccountDir: t.TempDir()}}, &lab.Lab{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
	// The in-cluster account: the service host from the environment, the
	// token and CA from the account folder, read on every request.
	dir := t.TempDir()
	for name, body := range map[string][]byte{"ca.crt": api.CAPEM, "token": []byte("stale\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	host, port, _ := strings.Cut(strings.TrimPrefix(api.URL, "https://"), ":")
	k, err = NewKubernetes(Source{Name: "k3s", Options: KubernetesOptions{ServiceHost: host, ServicePort: port, AccountDir: dir}}, &lab.Lab{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Collect(context.Background()); err == nil {
		t.Error("a stale token was accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(kubefake.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Collect(context.Background()); err != nil {
		t.Errorf("after the token rotated: %v", err)
	}
	// A client certificate instead of a token, from files beside the
	// kubeconfig (relative paths are relative to it).
	dir = t.TempDir()
	for name, body := range map[string][]byte{"client.crt": api.ClientCertPEM, "client.key": api.ClientKeyPEM, "ca.crt": api.CAPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(fmt.Sprintf(`current-context: lab
contexts: [{name: lab, context: {cluster: lab, user: cert}}]
clusters: [{name: lab, cluster: {server: %q, certificate-authority: ca.crt}}]
users: [{name: cert, user: {client-certificate: client.crt, client-key: client.key}}]
`, api.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err = NewKubernetes(Source{Name: "k3s", Options: KubernetesOptions{Kubeconfig: kc}}, &lab.Lab{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Collect(context.Background()); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	// No kubeconfig and not in a cluster.
	if _, err := NewKubernetes(Source{Name: "k3s", Options: KubernetesOptions{AccountDir: t.TempDir()}}, &lab.Lab{}); err == nil || !strings.Contains(err.Error(), "no API server") {
		t.Errorf("no server: %v", err)
	}
	for _, tt := range []struct {
		v  string
		ok bool
	}{{"k3s-io-1", true}, {"apps/web", true}, {"Apps/web", false}, {"apps/", false}, {"a/b/c", false}} {
		if err := Builtin().CheckLab(&lab.Lab{Nodes: []lab.Node{{ID: "n", Live: lab.Live{"kubernetes": {Value: tt.v}}}}}); (err == nil) != tt.ok {
			t.Errorf("live.kubernetes %q: err = %v, want ok %v", tt.v, err, tt.ok)
		}
	}
}

func TestKubernetesDiscover(t *testing.T) {
	t.Parallel()
	api := kubeTestCluster(t)
	src := Source{Name: "k3s", Type: "kubernetes", Options: KubernetesOptions{Kubeconfig: kubeconfigFor(t, api, kubefake.Token), Context: "lab"}}
	found, err := Builtin().Discover(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|public=%s alias=%s site=%s|cores %d mem %g", f.LiveKey, f.LiveValue, f.Name, f.Type, f.Parent,
			f.Labels[LabelPublic], f.Labels[LabelAlias], f.Labels[LabelSite], f.Specs.Cores, f.Specs.MemoryGB))
	}
	want := []string{
		"kubernetes|k3s-io-1|k3s-io-1|||public= alias= site=jove|cores 4 mem 7.75",
		"kubernetes|k3s-io-2|k3s-io-2|||public= alias= site=|cores 4 mem 4",
		// Intent on the service and its namespace: a container on the
		// node all its pods run on.
		"kubernetes|apps/web|web|container|k3s-io-1|public=true alias=Website site=jove|cores 0 mem 0",
		// No intent: listed, not proposed.
		"kubernetes|lab/crashy|crashy|||public= alias= site=|cores 0 mem 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
