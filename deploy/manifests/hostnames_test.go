package manifests_test

import (
	"net"
	"testing"

	"github.com/labfront/labfront/internal/hostallow"
	"github.com/labfront/labfront/tunnel"
)

// TestK3sHostnames: the k3s admin config names the public host name the
// tunnel routes (a name cloudflared can match), and its Host allowlist
// answers both that name, as cloudflared sends it, and the kubelet's
// probes, which use the pod's address.
func TestK3sHostnames(t *testing.T) {
	k := loadStack(t)
	cfg := k.adminCfg
	if len(cfg.Hostnames) == 0 {
		t.Fatal("the k3s admin config has no hostnames: every tunnelled request would get 421")
	}
	for _, h := range cfg.Hostnames {
		if _, err := tunnel.CheckHostname(h); err != nil {
			t.Errorf("hostnames: %q is no name a tunnel can route: %v", h, err)
		}
	}
	hosts, err := hostallow.New(cfg.Listen, cfg.Hostnames)
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{cfg.Hostnames[0], "127.0.0.1:" + port, net.JoinHostPort("10.42.0.7", port)} {
		if !hosts.Allows(host) {
			t.Errorf("listen %s, hostnames %v: Host %q (cloudflared, the sidecar or the kubelet) is refused", cfg.Listen, cfg.Hostnames, host)
		}
	}
}
