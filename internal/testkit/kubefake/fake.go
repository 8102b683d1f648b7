// Package kubefake is a fake Kubernetes API server, for tests: the four
// core/v1 list endpoints labfront reads (nodes, namespaces, services,
// pods), over TLS with its own CA, in the API's JSON shapes (a *List
// with apiVersion, kind, metadata.resourceVersion and items). Requests
// need Authorization: Bearer with the fake's token, or a client
// certificate its client CA signed; others get the 401 Status object the
// API server sends. No kube-apiserver can be installed
// where these tests run (Debian has only kubectl), so the fake follows
// the API reference, and a request it does not expect fails the test.
package kubefake

import (
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/labfront/labfront/internal/testkit/testcert"
)

// Token is the bearer token the fake accepts.
const Token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.kubefake.sig"

// Node is a cluster node.
type Node struct {
	Name        string
	Ready       bool
	CPU         string // capacity, "8" or "7500m"
	Memory      string // capacity, "32781868Ki"
	OSImage     string
	Kubelet     string
	Labels      map[string]string
	Annotations map[string]string
}

// Namespace is a namespace.
type Namespace struct {
	Name        string
	Annotations map[string]string
}

// Service is a service; Selector picks its pods by label.
type Service struct {
	Namespace, Name string
	Type            string // ClusterIP, NodePort, LoadBalancer
	Selector        map[string]string
	Annotations     map[string]string
}

// Pod is a pod with one container.
type Pod struct {
	Namespace, Name string
	Node            string
	Labels          map[string]string
	// Phase is Pending, Running, Succeeded, Failed or Unknown.
	Phase    string
	Ready    bool
	Restarts int
	// Waiting is the container's waiting reason (CrashLoopBackOff), "" when running.
	Waiting string
}

// Cluster is what the fake serves.
type Cluster struct {
	Nodes      []Node
	Namespaces []Namespace
	Services   []Service
	Pods       []Pod
}

// Server is a running fake API server.
type Server struct {
	// URL is the API server's https URL; CAPEM its CA certificate.
	URL   string
	CAPEM []byte
	// ClientCertPEM and ClientKeyPEM are a client certificate the server
	// accepts instead of the token (user "labfront"), as a kubeconfig's
	// client-certificate-data and client-key-data carry one.
	ClientCertPEM, ClientKeyPEM []byte

	t       testing.TB
	ts      *httptest.Server
	mu      sync.Mutex
	cluster Cluster
	calls   []string
}

// New starts a fake API server serving c.
func New(t testing.TB, c Cluster) *Server {
	t.Helper()
	s := &Server{t: t, cluster: c}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/nodes", s.list("NodeList", s.nodes))
	mux.HandleFunc("GET /api/v1/namespaces", s.list("NamespaceList", s.namespaces))
	mux.HandleFunc("GET /api/v1/services", s.list("ServiceList", s.services))
	mux.HandleFunc("GET /api/v1/pods", s.list("PodList", s.pods))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("kubefake: unexpected request %s %s", r.Method, r.URL.Path)
		s.status(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
	})
	s.ts = httptest.NewUnstartedServer(s.auth(mux))
	client := testcert.Issue(t, "labfront")
	s.ClientCertPEM, s.ClientKeyPEM = client.CertPEM, client.KeyPEM
	s.ts.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: client.Pool}
	s.ts.StartTLS()
	t.Cleanup(s.ts.Close)
	s.URL = s.ts.URL
	s.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
	return s
}

// Calls are the requests received, as "GET /path?query".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// SetPod replaces the pod of that namespace and name.
func (s *Server) SetPod(p Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, q := range s.cluster.Pods {
		if q.Namespace == p.Namespace && q.Name == p.Name {
			s.cluster.Pods[i] = p
			return
		}
	}
	s.cluster.Pods = append(s.cluster.Pods, p)
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls = append(s.calls, r.Method+" "+r.URL.RequestURI())
		s.mu.Unlock()
		// The TLS layer has verified a certificate that was given.
		certUser := r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "labfront"
		if !certUser && r.Header.Get("Authorization") != "Bearer "+Token {
			s.status(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
			return
		}
		if r.Header.Get("Accept") != "" && r.Header.Get("Accept") != "application/json" {
			s.t.Errorf("kubefake: %s: Accept %q, want application/json", r.URL.Path, r.Header.Get("Accept"))
		}
		for k := range r.URL.Query() {
			if k != "limit" && k != "resourceVersion" {
				s.t.Errorf("kubefake: %s: unexpected parameter %q", r.URL.Path, k)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) list(kind string, items func() []any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		body := map[string]any{"kind": kind, "apiVersion": "v1", "metadata": map[string]any{"resourceVersion": "48213"}, "items": items()}
		s.mu.Unlock()
		s.json(w, http.StatusOK, body)
	}
}

func meta(namespace, name string, labels, annotations map[string]string) map[string]any {
	m := map[string]any{"name": name, "uid": "0b1c" + strconv.Itoa(len(name)) + "-fake", "resourceVersion": "4821", "creationTimestamp": "2026-11-01T09:00:00Z"}
	if namespace != "" {
		m["namespace"] = namespace
	}
	if len(labels) > 0 {
		m["labels"] = labels
	}
	if len(annotations) > 0 {
		m["annotations"] = annotations
	}
	return m
}

func (s *Server) nodes() []any {
	out := []any{}
	for _, n := range s.cluster.Nodes {
		ready := map[bool]string{true: "True", false: "False"}[n.Ready]
		out = append(out, map[string]any{
			"metadata": meta("", n.Name, n.Labels, n.Annotations),
			"spec":     map[string]any{"podCIDR": "10.42.0.0/24"},
			"status": map[string]any{
				"capacity":    map[string]string{"cpu": n.CPU, "memory": n.Memory, "pods": "110"},
				"allocatable": map[string]string{"cpu": n.CPU, "memory": n.Memory, "pods": "110"},
				"conditions": []any{
					map[string]any{"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
					map[string]any{"type": "Ready", "status": ready, "reason": map[bool]string{true: "KubeletReady", false: "NodeStatusUnknown"}[n.Ready]},
				},
				"nodeInfo": map[string]string{"osImage": n.OSImage, "kubeletVersion": n.Kubelet, "architecture": "amd64", "operatingSystem": "linux"},
			},
		})
	}
	return out
}

func (s *Server) namespaces() []any {
	out := []any{}
	for _, n := range s.cluster.Namespaces {
		out = append(out, map[string]any{"metadata": meta("", n.Name, map[string]string{"kubernetes.io/metadata.name": n.Name}, n.Annotations),
			"spec": map[string]any{"finalizers": []string{"kubernetes"}}, "status": map[string]any{"phase": "Active"}})
	}
	return out
}

func (s *Server) services() []any {
	out := []any{}
	for _, sv := range s.cluster.Services {
		typ := sv.Type
		if typ == "" {
			typ = "ClusterIP"
		}
		spec := map[string]any{"type": typ, "clusterIP": "10.43.0.10", "ports": []any{map[string]any{"port": 80, "protocol": "TCP", "targetPort": 8080}}}
		if sv.Selector != nil {
			spec["selector"] = sv.Selector
		}
		out = append(out, map[string]any{"metadata": meta(sv.Namespace, sv.Name, nil, sv.Annotations), "spec": spec, "status": map[string]any{"loadBalancer": map[string]any{}}})
	}
	return out
}

func (s *Server) pods() []any {
	out := []any{}
	for _, p := range s.cluster.Pods {
		state := map[string]any{"running": map[string]any{"startedAt": "2026-12-01T10:00:00Z"}}
		if p.Waiting != "" {
			state = map[string]any{"waiting": map[string]any{"reason": p.Waiting, "message": "back-off restarting failed container"}}
		}
		ready := map[bool]string{true: "True", false: "False"}[p.Ready]
		out = append(out, map[string]any{
			"metadata": meta(p.Namespace, p.Name, p.Labels, nil),
			"spec":     map[string]any{"nodeName": p.Node, "containers": []any{map[string]any{"name": "app", "image": "app:1"}}},
			"status": map[string]any{
				"phase":      p.Phase,
				"conditions": []any{map[string]any{"type": "Ready", "status": ready}},
				"containerStatuses": []any{map[string]any{"name": "app", "ready": p.Ready, "restartCount": p.Restarts, "state": state,
					"image": "app:1", "imageID": "docker.io/library/app@sha256:ab", "started": p.Waiting == ""}},
			},
		})
	}
	return out
}

func (s *Server) json(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.t.Errorf("kubefake: encode: %v", err)
	}
}

func (s *Server) status(w http.ResponseWriter, code int, reason, msg string) {
	s.json(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": msg, "reason": reason, "code": code})
}
