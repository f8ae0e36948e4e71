// A host's source of truth: esxsim (state file or command), or memory for generated hosts.
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
)

// Backend reads and tags one host.
type Backend interface {
	// Facts returns the host's current facts; changed is false when they cannot differ from the
	// previous call's (same state file content), so the caller may skip updating the inventory.
	// With err set, facts (when not nil) are the last known ones: the host is not responding.
	Facts() (facts *HostFacts, changed bool, err error)
	// SetTag adds or removes an esxcli tag on a vmknic.
	SetTag(device, tag string, add bool) error
}

// EsxsimBackend reads a host through esxsim. With a state file it re-reads only when the file's
// content changed; with a command (e.g. inside a network namespace, live mode) on every call.
type EsxsimBackend struct {
	run       Runner
	local     Runner // localcli: works while hostd is down
	statePath string // "" for the command form

	mu       sync.Mutex
	lastHash [32]byte
	last     *HostFacts
}

func NewStateBackend(esxsim, statePath string) *EsxsimBackend {
	prefix := []string{esxsim, "--state", statePath}
	return &EsxsimBackend{run: CommandRunner(prefix), local: personalityRunner(prefix, "localcli"),
		statePath: statePath}
}

func NewCommandBackend(command []string) *EsxsimBackend {
	return &EsxsimBackend{run: CommandRunner(command), local: personalityRunner(command, "localcli")}
}

func (b *EsxsimBackend) Facts() (*HostFacts, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var hash [32]byte
	if b.statePath != "" {
		data, err := os.ReadFile(b.statePath)
		if err != nil {
			return nil, false, fmt.Errorf("esxsim state: %v", err)
		}
		hash = sha256.Sum256(data)
		if b.last != nil && bytes.Equal(hash[:], b.lastHash[:]) {
			return b.last, false, nil
		}
	}
	f, err := ReadFacts(b.run)
	if err != nil {
		if b.last != nil {
			return b.last, false, err
		}
		// hostd down before the first read: vCenter would still show the config it read before
		// hostd went down; localcli (no hostd) gives it, and the host shows as not responding.
		lf, lerr := ReadFacts(b.local)
		if lerr != nil {
			return nil, false, err
		}
		b.last = lf
		return lf, true, err
	}
	b.last, b.lastHash = f, hash
	return f, true, nil
}

func (b *EsxsimBackend) SetTag(device, tag string, add bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return SetTag(b.run, device, tag, add)
}

// MemoryBackend is a host that exists only in the server (benchmarks).
type MemoryBackend struct {
	mu      sync.Mutex
	facts   *HostFacts
	changed bool
}

func NewMemoryBackend(f *HostFacts) *MemoryBackend { return &MemoryBackend{facts: f, changed: true} }

func (b *MemoryBackend) Facts() (*HostFacts, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	changed := b.changed
	b.changed = false
	return b.facts, changed, nil
}

func (b *MemoryBackend) SetTag(device, tag string, add bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Copy on write: facts handed out earlier stay unchanged.
	nf := *b.facts
	nf.Vmknics = append([]Vmknic{}, b.facts.Vmknics...)
	v := nf.FindVmknic(device)
	if v == nil {
		return fmt.Errorf("Unable to find vmknic %s", device)
	}
	var tags []string
	for _, t := range v.Tags {
		if t != tag {
			tags = append(tags, t)
		}
	}
	if add {
		tags = append(tags, tag)
	}
	v.Tags = tags
	b.facts, b.changed = &nf, true
	return nil
}

// GeneratedFacts is host i of --generate-hosts: vmk0 management on vSwitch0, vmk1 backup on its
// own portgroup and VLAN, tagged vSphereBackupNFC.
func GeneratedFacts(i int) *HostFacts {
	x, y := i/250, i%250+1
	return &HostFacts{
		Netstacks: []string{"defaultTcpipStack"},
		Portgroups: []Portgroup{
			{Name: "Backup NFC", Vswitch: "vSwitch1", VLAN: 100},
			{Name: "Management Network", Vswitch: "vSwitch0"},
		},
		Vmknics: []Vmknic{
			{Name: "vmk0", Portgroup: "Management Network", Vswitch: "vSwitch0",
				Netstack: "defaultTcpipStack", MAC: fmt.Sprintf("00:50:56:00:%02x:%02x", x, y),
				MTU: 1500, Enabled: true, IPv4: fmt.Sprintf("10.0.%d.%d", x, y),
				Netmask: "255.255.0.0", Tags: []string{"Management"}},
			{Name: "vmk1", Portgroup: "Backup NFC", Vswitch: "vSwitch1",
				Netstack: "defaultTcpipStack", MAC: fmt.Sprintf("00:50:56:01:%02x:%02x", x, y),
				MTU: 9000, Enabled: true, IPv4: fmt.Sprintf("10.1.%d.%d", x, y),
				Netmask: "255.255.0.0", Tags: []string{"vSphereBackupNFC"}},
		},
	}
}
