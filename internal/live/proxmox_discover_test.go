package live

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/proxmoxfake"
)

func TestProxmoxDiscover(t *testing.T) {
	pve := proxmoxfake.New(t)
	pve.SetGuestNotes("pve-io/lxc/115", "Secrets store.\nlabfront.alias = Secrets\nlabfront.site=jove\nlabfront.colour=blue\n")
	src := Source{Name: "pve", Type: "proxmox", URL: pve.URL, Secret: proxmoxfake.Token, HTTP: pve.Client(), Timeout: 10 * time.Second}
	found, err := Builtin().Discover(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	byValue := map[string]Found{}
	var values []string
	for _, f := range found {
		if f.Source != "pve" || f.LiveKey != "proxmox" {
			t.Errorf("%s: source %q, live key %q", f.LiveValue, f.Source, f.LiveKey)
		}
		byValue[f.LiveValue] = f
		values = append(values, f.LiveValue)
	}
	want := []string{"pve-io", "pve-ni", "pve-io/lxc/105", "pve-io/lxc/115", "pve-io/lxc/200", "pve-io/lxc/203", "pve-io/qemu/160", "pve-io/qemu/161", "pve-ni/qemu/170"}
	if !slices.Equal(values, want) {
		t.Fatalf("found %v, want %v", values, want)
	}
	tests := []struct {
		value           string
		typ, name, host string
		parent          string
		specs           lab.Specs
		tags            []string
		labels          map[string]string
	}{
		{value: "pve-io", typ: "hypervisor", name: "pve-io", host: "pve-io",
			specs: lab.Specs{Cores: 16, MemoryGB: 62.5, CPU: "Intel(R) Core(TM) i9-12900K", OS: "Proxmox VE 8.3.0"}},
		// Offline: only what /cluster/resources keeps.
		{value: "pve-ni", typ: "hypervisor", name: "pve-ni", host: "pve-ni", specs: lab.Specs{Cores: 8, MemoryGB: 31.3}},
		// cpulimit 1.5 on 2 cores; 512 MiB; an 8 GiB root disk.
		{value: "pve-io/lxc/105", typ: "container", name: "ts-jove", host: "ts-jove", parent: "pve-io",
			specs: lab.Specs{Cores: 2, MemoryGB: 0.5, StorageTB: 0.009}, tags: []string{"vpn"}},
		{value: "pve-io/lxc/115", typ: "container", name: "vault", host: "vault", parent: "pve-io",
			specs: lab.Specs{Cores: 2, MemoryGB: 2, StorageTB: 0.009}, labels: map[string]string{LabelAlias: "Secrets", LabelSite: "jove"}},
		{value: "pve-io/qemu/160", typ: "vm", name: "k3s-io-1", parent: "pve-io", specs: lab.Specs{Cores: 4, MemoryGB: 8, StorageTB: 0.034}},
		{value: "pve-ni/qemu/170", typ: "vm", name: "backup-ni", parent: "pve-ni", specs: lab.Specs{Cores: 2, MemoryGB: 4, StorageTB: 0.034}},
	}
	for _, tt := range tests {
		f := byValue[tt.value]
		if f.Type != tt.typ || f.Name != tt.name || f.Hostname != tt.host || f.Parent != tt.parent || f.Specs != tt.specs {
			t.Errorf("%s = type %q name %q host %q parent %q specs %+v\nwant type %q name %q host %q parent %q specs %+v",
				tt.value, f.Type, f.Name, f.Hostname, f.Parent, f.Specs, tt.typ, tt.name, tt.host, tt.parent, tt.specs)
		}
		if !slices.Equal(f.Tags, tt.tags) {
			t.Errorf("%s: tags %v, want %v", tt.value, f.Tags, tt.tags)
		}
		if len(f.Labels) != len(tt.labels) {
			t.Errorf("%s: labels %v, want %v", tt.value, f.Labels, tt.labels)
		}
		for k, v := range tt.labels {
			if f.Labels[k] != v {
				t.Errorf("%s: labels %v, want %v", tt.value, f.Labels, tt.labels)
			}
		}
	}
	// One listing, the online node's status and its guests' configs;
	// nothing is asked of the offline node.
	var calls []string
	for _, c := range pve.Calls() {
		if !c.Authorized || c.Method != "GET" {
			t.Errorf("call %s: authorized %v", c, c.Authorized)
		}
		calls = append(calls, c.String())
	}
	wantCalls := []string{
		"GET /api2/json/cluster/resources", "GET /api2/json/nodes/pve-io/status",
		"GET /api2/json/nodes/pve-io/lxc/105/config", "GET /api2/json/nodes/pve-io/lxc/115/config",
		"GET /api2/json/nodes/pve-io/lxc/200/config", "GET /api2/json/nodes/pve-io/lxc/203/config",
		"GET /api2/json/nodes/pve-io/qemu/160/config", "GET /api2/json/nodes/pve-io/qemu/161/config",
	}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("calls:\n%v\nwant:\n%v", calls, wantCalls)
	}
}

func TestProxmoxDiscoverFails(t *testing.T) {
	pve := proxmoxfake.New(t)
	pve.Fail("GET", "/nodes/pve-io/lxc/200/config", 403, "Permission check failed (/vms/200, VM.Audit)")
	src := Source{Name: "pve", Type: "proxmox", URL: pve.URL, Secret: proxmoxfake.Token, HTTP: pve.Client(), Timeout: 10 * time.Second}
	_, err := Builtin().Discover(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "config of lxc/200 on pve-io") || !strings.Contains(err.Error(), "VM.Audit") {
		t.Errorf("err = %v, want the guest and PVE's reason", err)
	}
}
