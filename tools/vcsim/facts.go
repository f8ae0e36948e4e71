// Host network facts as esxsim reports them (esxcli), and their vSphere API form.
package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// IPv6Addr is one address of a vmknic.
type IPv6Addr struct {
	Address string
	Prefix  int
}

// Vmknic is one VMkernel interface as esxcli lists it.
type Vmknic struct {
	Name      string
	Portgroup string // empty or "N/A" on a VDS
	Vswitch   string // the standard vSwitch ("Portset"); "DvsPortset-N" on a VDS
	VDS       string // VDS name, "" when on a standard switch
	Netstack  string
	MAC       string
	MTU       int
	Enabled   bool
	IPv4      string
	Netmask   string
	DHCP      bool
	IPv6      []IPv6Addr
	Tags      []string // esxcli spelling: Management, vSphereBackupNFC, ...
}

// Portgroup is a standard-switch portgroup.
type Portgroup struct {
	Name    string
	Vswitch string
	VLAN    int
}

// HostFacts is everything the API shows about one host's network.
type HostFacts struct {
	Vmknics    []Vmknic
	Portgroups []Portgroup
	Netstacks  []string
}

// nicTypes maps esxcli tag names to the API's HostVirtualNicManagerNicType values, in the order
// QueryNetConfig lists them.
var nicTypes = []struct{ tag, nicType string }{
	{"Management", "management"},
	{"VMotion", "vmotion"},
	{"faultToleranceLogging", "faultToleranceLogging"},
	{"vSphereReplication", "vSphereReplication"},
	{"vSphereReplicationNFC", "vSphereReplicationNFC"},
	{"VSAN", "vsan"},
	{"VSANWitness", "vsanWitness"},
	{"vSphereProvisioning", "vSphereProvisioning"},
	{"vSphereBackupNFC", "vSphereBackupNFC"},
	{"PrecisionTimeProtocol", "ptp"},
	{"NVMeTCP", "nvmeTcp"},
	{"NVMeRDMA", "nvmeRdma"},
}

// TagForNicType returns the esxcli tag of an API nicType ("" when unknown).
func TagForNicType(nicType string) string {
	for _, n := range nicTypes {
		if n.nicType == nicType {
			return n.tag
		}
	}
	return ""
}

// FindVmknic returns the vmknic named device, or nil.
func (f *HostFacts) FindVmknic(device string) *Vmknic {
	for i := range f.Vmknics {
		if f.Vmknics[i].Name == device {
			return &f.Vmknics[i]
		}
	}
	return nil
}

// IsCandidate says whether device may carry nicType: ESXi offers the services of the default
// TCP/IP stack only on vmknics of that stack; vMotion and provisioning also on their own stacks.
func IsCandidate(v *Vmknic, nicType string) bool {
	switch v.Netstack {
	case "", "defaultTcpipStack":
		return true
	case "vmotion":
		return nicType == "vmotion"
	case "vSphereProvisioning":
		return nicType == "vSphereProvisioning"
	}
	return false
}

func hasTag(v *Vmknic, tag string) bool {
	for _, t := range v.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func vnicKey(device string) string { return "key-vim.host.VirtualNic-" + device }

func vswitchKey(name string) string { return "key-vim.host.VirtualSwitch-" + name }

func portgroupKey(name string) string { return "key-vim.host.PortGroup-" + name }

func onVDS(v *Vmknic) bool { return v.VDS != "" && v.VDS != "N/A" }

// apiVnic is a vmknic as HostSystem.config.network.vnic shows it; prefix is prepended to its key
// ("management." in a netConfig's candidateVnic list).
func apiVnic(v *Vmknic, prefix string) types.HostVirtualNic {
	ip := &types.HostIpConfig{Dhcp: v.DHCP, IpAddress: v.IPv4, SubnetMask: v.Netmask}
	if len(v.IPv6) > 0 {
		cfg := &types.HostIpConfigIpV6AddressConfiguration{}
		for _, a := range v.IPv6 {
			cfg.IpV6Address = append(cfg.IpV6Address, types.HostIpConfigIpV6Address{
				IpAddress: a.Address, PrefixLength: int32(a.Prefix), Origin: "manual",
				DadState: "preferred"})
		}
		ip.IpV6Config = cfg
	}
	pg := v.Portgroup
	if onVDS(v) || pg == "N/A" {
		pg = ""
	}
	out := types.HostVirtualNic{
		Device:    v.Name,
		Key:       prefix + vnicKey(v.Name),
		Portgroup: pg,
		Spec: types.HostVirtualNicSpec{
			Ip:                  ip,
			Mac:                 v.MAC,
			Mtu:                 int32(v.MTU),
			NetStackInstanceKey: v.Netstack,
		},
	}
	if onVDS(v) {
		out.Spec.DistributedVirtualPort = &types.DistributedVirtualSwitchPortConnection{
			SwitchUuid: v.VDS}
	}
	return out
}

// NetworkInfo is HostSystem.config.network for these facts.
func NetworkInfo(f *HostFacts) *types.HostNetworkInfo {
	info := &types.HostNetworkInfo{}
	switches := map[string]*types.HostVirtualSwitch{}
	var order []string
	vswitch := func(name string) *types.HostVirtualSwitch {
		if s, ok := switches[name]; ok {
			return s
		}
		s := &types.HostVirtualSwitch{Name: name, Key: vswitchKey(name), NumPorts: 128,
			NumPortsAvailable: 128, Mtu: 1500,
			Spec: types.HostVirtualSwitchSpec{NumPorts: 128, Mtu: 1500}}
		switches[name] = s
		order = append(order, name)
		return s
	}
	for _, pg := range f.Portgroups {
		s := vswitch(pg.Vswitch)
		s.Portgroup = append(s.Portgroup, portgroupKey(pg.Name))
		info.Portgroup = append(info.Portgroup, types.HostPortGroup{
			Key:     portgroupKey(pg.Name),
			Vswitch: vswitchKey(pg.Vswitch),
			Spec: types.HostPortGroupSpec{Name: pg.Name, VlanId: int32(pg.VLAN),
				VswitchName: pg.Vswitch},
		})
	}
	for i := range f.Vmknics {
		v := &f.Vmknics[i]
		info.Vnic = append(info.Vnic, apiVnic(v, ""))
		// A vSwitch carrying jumbo-frame vmknics has at least their MTU.
		if !onVDS(v) && v.Vswitch != "" {
			if s := vswitch(v.Vswitch); int32(v.MTU) > s.Mtu {
				s.Mtu = int32(v.MTU)
				s.Spec.Mtu = s.Mtu
			}
		}
	}
	sort.Strings(order)
	for _, name := range order {
		info.Vswitch = append(info.Vswitch, *switches[name])
	}
	for _, ns := range f.Netstacks {
		info.NetStackInstance = append(info.NetStackInstance,
			types.HostNetStackInstance{Key: ns, Name: ns})
	}
	return info
}

// NetConfig is QueryNetConfig(nicType) for these facts; ok false for an unknown nicType.
func NetConfig(f *HostFacts, nicType string) (types.VirtualNicManagerNetConfig, bool) {
	tag := TagForNicType(nicType)
	if tag == "" {
		return types.VirtualNicManagerNetConfig{}, false
	}
	nc := types.VirtualNicManagerNetConfig{NicType: nicType, MultiSelectAllowed: true}
	prefix := nicType + "."
	for i := range f.Vmknics {
		v := &f.Vmknics[i]
		if IsCandidate(v, nicType) {
			nc.CandidateVnic = append(nc.CandidateVnic, apiVnic(v, prefix))
		}
		if hasTag(v, tag) {
			nc.SelectedVnic = append(nc.SelectedVnic, prefix+vnicKey(v.Name))
		}
	}
	return nc, true
}

// VirtualNicManagerInfo is HostSystem.config.virtualNicManagerInfo (every nicType).
func VirtualNicManagerInfo(f *HostFacts) *types.HostVirtualNicManagerInfo {
	info := &types.HostVirtualNicManagerInfo{}
	for _, n := range nicTypes {
		nc, _ := NetConfig(f, n.nicType)
		info.NetConfig = append(info.NetConfig, nc)
	}
	return info
}

// String is a one-line summary for logs.
func (f *HostFacts) String() string {
	var parts []string
	for _, v := range f.Vmknics {
		parts = append(parts, fmt.Sprintf("%s(%s %s [%s])", v.Name, v.Portgroup, v.IPv4,
			strings.Join(v.Tags, ",")))
	}
	return strings.Join(parts, " ")
}
