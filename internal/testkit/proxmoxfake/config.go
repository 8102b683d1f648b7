package proxmoxfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// SetGuestNotes sets a guest's notes, the config's description (ref as in
// SetGuestStatus, the node part not checked).
func (s *Server) SetGuestNotes(ref, notes string) {
	s.t.Helper()
	_, kind, vmid := s.parseRef(ref)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(kind, strconv.Itoa(vmid))
	if r == nil {
		s.t.Fatalf("proxmoxfake: SetGuestNotes: no guest %s/%d", kind, vmid)
		return
	}
	r[notesKey] = notes
}

// notesKey keeps a guest's notes beside its resource entry; it is never
// sent in /cluster/resources.
const notesKey = "\x00description"

// GET /nodes/{node}/{lxc|qemu}/{vmid}/config[?current=0|1]: the guest's
// configuration as PVE::LXC::Config / PVE::QemuServer::Config parse it
// from /etc/pve: sizes as PVE writes them (memory in MiB, disks as
// size=8G), cores only when limited, the notes in description. It is
// served by the guest's own node: another node answers that the config
// file does not exist, and an offline node 595.
func (s *Server) guestConfig(w http.ResponseWriter, r *http.Request) {
	nodeName, kind, vmidText := r.PathValue("node"), r.PathValue("kind"), r.PathValue("vmid")
	vmid, err := strconv.Atoi(vmidText)
	if (kind != "lxc" && kind != "qemu") || err != nil {
		s.unexpected(w, r)
		return
	}
	if !s.checkQuery(w, r, map[string][]string{"current": {"0", "1"}, "snapshot": nil}) {
		return
	}
	if _, ok := s.node(w, nodeName); !ok {
		return
	}
	confDir := map[string]string{"lxc": "lxc", "qemu": "qemu-server"}[kind]
	s.mu.Lock()
	g := s.find(kind, vmidText)
	if g == nil || g["node"] != nodeName {
		s.mu.Unlock()
		s.fail(w, http.StatusInternalServerError, fmt.Sprintf("Configuration file 'nodes/%s/%s/%d.conf' does not exist", nodeName, confDir, vmid), nil)
		return
	}
	maxcpu := num(g["maxcpu"])
	memMiB := int64(num(g["maxmem"]) / (1 << 20))
	diskG := int64(math.Round(num(g["maxdisk"]) / (1 << 30)))
	conf := map[string]any{"digest": fmt.Sprintf("%040x", vmid*7919), "memory": memMiB}
	cores := int(math.Ceil(maxcpu))
	if kind == "lxc" {
		conf["arch"] = "amd64"
		conf["hostname"] = g["name"]
		conf["ostype"] = "debian"
		conf["swap"] = 512
		conf["rootfs"] = fmt.Sprintf("local-lvm:vm-%d-disk-0,size=%dG", vmid, diskG)
		conf["net0"] = fmt.Sprintf("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:%02X:%02X:01,ip=dhcp,type=veth", vmid/256%256, vmid%256)
		conf["cores"] = cores
		if maxcpu != float64(cores) {
			// A fractional maxcpu is a cpulimit below the cores.
			conf["cpulimit"] = json.Number(strconv.FormatFloat(maxcpu, 'f', -1, 64))
		}
	} else {
		conf["name"] = g["name"]
		conf["ostype"] = "l26"
		conf["sockets"] = 1
		conf["cores"] = cores
		conf["boot"] = "order=scsi0;net0"
		conf["scsihw"] = "virtio-scsi-single"
		conf["scsi0"] = fmt.Sprintf("local-lvm:vm-%d-disk-0,iothread=1,size=%dG", vmid, diskG)
		conf["net0"] = fmt.Sprintf("virtio=BC:24:11:%02X:%02X:02,bridge=vmbr0", vmid/256%256, vmid%256)
	}
	if tags, ok := g["tags"]; ok {
		conf["tags"] = tags
	}
	if notes, ok := g[notesKey]; ok {
		conf["description"] = notes
	}
	s.mu.Unlock()
	s.ok(w, conf)
}
