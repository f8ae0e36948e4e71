// The vSphere API side: a govmomi simulator vCenter whose hosts show esxsim's network, a
// PropertyCollector that refreshes them before answering, and HostVirtualNicManager.
package main

import (
	"context"
	"fmt"
	"log"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// managedHost links a HostSystem of the inventory to its backend.
type managedHost struct {
	name    string
	backend Backend
	host    types.ManagedObjectReference
	vnicMgr types.ManagedObjectReference
}

var (
	hostsMu sync.RWMutex
	hosts   []*managedHost
)

// refresh re-reads a host from its backend and updates HostSystem.config and the manager's
// info when they may have changed. lockMgr is false when the caller already holds the manager's
// lock (inside a HostVirtualNicManager method). A host whose backend fails (esxsim's hostd down,
// garbled output) is shown as notResponding with its last known config, as vCenter does.
func refresh(h *managedHost, lockMgr bool) (*HostFacts, error) {
	facts, changed, err := h.backend.Facts()
	hs, _ := simulator.Map.Get(h.host).(*simulator.HostSystem)
	if hs == nil {
		return nil, fmt.Errorf("host %s is gone", h.name)
	}
	if facts == nil {
		simulator.Map.WithLock(hs, func() {
			hs.Runtime.ConnectionState = types.HostSystemConnectionStateNotResponding
		})
		return nil, err
	}
	state := types.HostSystemConnectionStateConnected
	if err != nil {
		state = types.HostSystemConnectionStateNotResponding // facts are the last known
	}
	simulator.Map.WithLock(hs, func() {
		hs.Runtime.ConnectionState = state
		if changed || hs.Config.VirtualNicManagerInfo == nil {
			hs.Config.Network = NetworkInfo(facts)
			hs.Config.VirtualNicManagerInfo = VirtualNicManagerInfo(facts)
		}
	})
	if m, ok := simulator.Map.Get(h.vnicMgr).(*VirtualNicManager); ok && changed {
		update := func() { m.Info = *VirtualNicManagerInfo(facts) }
		if lockMgr {
			simulator.Map.WithLock(m, update)
		} else {
			update()
		}
	}
	if err != nil {
		return nil, err
	}
	return facts, nil
}

// refreshAll refreshes every host in parallel (each esxsim command form costs a few processes).
func refreshAll() {
	hostsMu.RLock()
	list := append([]*managedHost{}, hosts...)
	hostsMu.RUnlock()
	var wg sync.WaitGroup
	for _, h := range list {
		wg.Add(1)
		go func(h *managedHost) {
			defer wg.Done()
			if _, err := refresh(h, true); err != nil {
				log.Printf("host %s: %v", h.name, err)
			}
		}(h)
	}
	wg.Wait()
}

// wantsHosts says whether a property request may read host network state.
func wantsHosts(specs []types.PropertyFilterSpec) bool {
	for _, s := range specs {
		for _, p := range s.PropSet {
			if p.Type == "HostSystem" || p.Type == "HostVirtualNicManager" {
				return true
			}
		}
	}
	return false
}

func notAuthenticated(this types.ManagedObjectReference) *soap.Fault {
	return simulator.Fault("", &types.NotAuthenticated{NoPermission: types.NoPermission{
		Object: this, PrivilegeId: "System.View"}})
}

// RefreshingCollector is the PropertyCollector: hosts are refreshed from esxsim before a read
// that involves them, and (unlike the stock simulator) reads need a session, as on vCenter.
type RefreshingCollector struct {
	simulator.PropertyCollector
}

func (pc *RefreshingCollector) RetrievePropertiesEx(ctx *simulator.Context,
	r *types.RetrievePropertiesEx) soap.HasFault {
	if ctx.Session == nil {
		return &methods.RetrievePropertiesExBody{Fault_: notAuthenticated(r.This)}
	}
	if wantsHosts(r.SpecSet) {
		refreshAll()
	}
	return pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
}

func (pc *RefreshingCollector) RetrieveProperties(ctx *simulator.Context,
	r *types.RetrieveProperties) soap.HasFault {
	if ctx.Session == nil {
		return &methods.RetrievePropertiesBody{Fault_: notAuthenticated(r.This)}
	}
	if wantsHosts(r.SpecSet) {
		refreshAll()
	}
	return pc.PropertyCollector.RetrieveProperties(ctx, r)
}

// CreatePropertyCollector makes collectors of this type too, so they refresh as well.
func (pc *RefreshingCollector) CreatePropertyCollector(ctx *simulator.Context,
	c *types.CreatePropertyCollector) soap.HasFault {
	return &methods.CreatePropertyCollectorBody{Res: &types.CreatePropertyCollectorResponse{
		Returnval: ctx.Session.Put(&RefreshingCollector{}).Reference()}}
}

// VirtualNicManager is HostVirtualNicManager, which govmomi 0.24's simulator lacks; tags go
// through the host's esxsim so the lab's ground truth sees them.
type VirtualNicManager struct {
	mo.HostVirtualNicManager
	host *managedHost
}

func invalidArgument(prop, msg string) *soap.Fault {
	return simulator.Fault(msg, &types.InvalidArgument{InvalidProperty: prop})
}

func (m *VirtualNicManager) QueryNetConfig(req *types.QueryNetConfig) soap.HasFault {
	body := &methods.QueryNetConfigBody{}
	facts, err := refresh(m.host, false)
	if err != nil {
		body.Fault_ = simulator.Fault(err.Error(), &types.HostConfigFault{})
		return body
	}
	nc, ok := NetConfig(facts, req.NicType)
	if !ok {
		body.Fault_ = invalidArgument("nicType", "unknown nicType "+req.NicType)
		return body
	}
	body.Res = &types.QueryNetConfigResponse{Returnval: &nc}
	return body
}

// setTag validates nicType and device against the host's current facts, then tags through
// esxsim. Selecting needs a candidate vmknic (ESXi offers most services only on the default
// netstack); selecting a selected one succeeds without a change.
func (m *VirtualNicManager) setTag(nicType, device string, add bool) *soap.Fault {
	facts, err := refresh(m.host, false)
	if err != nil {
		return simulator.Fault(err.Error(), &types.HostConfigFault{})
	}
	tag := TagForNicType(nicType)
	if tag == "" {
		return invalidArgument("nicType", "unknown nicType "+nicType)
	}
	v := facts.FindVmknic(device)
	if v == nil {
		return invalidArgument("device", "no virtual NIC "+device+" on "+m.host.name)
	}
	// As documented for DeselectVnicForNicType: a vmknic that is not selected is InvalidArgument.
	if !add && !hasTag(v, tag) {
		return invalidArgument("device", fmt.Sprintf("%s is not selected for %s", device, nicType))
	}
	if add && !IsCandidate(v, nicType) {
		return invalidArgument("device", fmt.Sprintf("%s on netstack %s cannot carry %s",
			device, v.Netstack, nicType))
	}
	if err := m.host.backend.SetTag(device, tag, add); err != nil {
		return simulator.Fault(err.Error(), &types.HostConfigFault{})
	}
	op := "selected"
	if !add {
		op = "deselected"
	}
	log.Printf("host %s: %s %s for %s", m.host.name, op, device, nicType)
	if _, err := refresh(m.host, false); err != nil {
		log.Printf("host %s: %v", m.host.name, err)
	}
	return nil
}

func (m *VirtualNicManager) SelectVnicForNicType(req *types.SelectVnicForNicType) soap.HasFault {
	body := &methods.SelectVnicForNicTypeBody{}
	if body.Fault_ = m.setTag(req.NicType, req.Device, true); body.Fault_ == nil {
		body.Res = &types.SelectVnicForNicTypeResponse{}
	}
	return body
}

func (m *VirtualNicManager) DeselectVnicForNicType(
	req *types.DeselectVnicForNicType) soap.HasFault {
	body := &methods.DeselectVnicForNicTypeBody{}
	if body.Fault_ = m.setTag(req.NicType, req.Device, false); body.Fault_ == nil {
		body.Res = &types.DeselectVnicForNicTypeResponse{}
	}
	return body
}

// HostSpec is one host to put into the inventory.
type HostSpec struct {
	Name    string
	Cluster string // "" for a standalone host
	Backend Backend
}

// BuildInventory creates the datacenter, clusters and hosts through the in-process API, then
// attaches each host's backend and HostVirtualNicManager.
func BuildInventory(model *simulator.Model, datacenter string, specs []HostSpec) error {
	ctx := context.Background()
	client, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return err
	}
	// The stock collector answers this in-process client; the refreshing one needs a session.
	root := object.NewRootFolder(client)
	dc, err := root.CreateDatacenter(ctx, datacenter)
	if err != nil {
		return fmt.Errorf("datacenter %s: %v", datacenter, err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	clusters := map[string]*object.ClusterComputeResource{}
	for _, s := range specs {
		var task *object.Task
		spec := types.HostConnectSpec{HostName: s.Name}
		if s.Cluster == "" {
			task, err = folders.HostFolder.AddStandaloneHost(ctx, spec, true, nil, nil)
		} else {
			c := clusters[s.Cluster]
			if c == nil {
				if c, err = folders.HostFolder.CreateCluster(ctx, s.Cluster,
					types.ClusterConfigSpecEx{}); err != nil {
					return fmt.Errorf("cluster %s: %v", s.Cluster, err)
				}
				clusters[s.Cluster] = c
			}
			task, err = c.AddHost(ctx, spec, true, nil, nil)
		}
		if err != nil {
			return fmt.Errorf("host %s: %v", s.Name, err)
		}
		info, err := task.WaitForResult(ctx, nil)
		if err != nil {
			return fmt.Errorf("host %s: %v", s.Name, err)
		}
		ref := info.Result.(types.ManagedObjectReference)
		hs := simulator.Map.Get(ref).(*simulator.HostSystem)
		h := &managedHost{name: s.Name, backend: s.Backend, host: ref,
			vnicMgr: types.ManagedObjectReference{Type: "HostVirtualNicManager",
				Value: "vnicmgr-" + ref.Value}}
		m := &VirtualNicManager{host: h}
		m.Self = h.vnicMgr
		simulator.Map.Put(m)
		simulator.Map.WithLock(hs, func() {
			hs.ConfigManager.VirtualNicManager = &h.vnicMgr
			hs.Config.VirtualNicManagerInfo = nil
		})
		if _, err := refresh(h, true); err != nil {
			// Not responding but with a config (read through localcli) is a state vCenter shows.
			if hs.Config.VirtualNicManagerInfo == nil {
				return fmt.Errorf("host %s: %v", s.Name, err)
			}
			log.Printf("host %s: not responding: %v", s.Name, err)
		}
		hostsMu.Lock()
		hosts = append(hosts, h)
		hostsMu.Unlock()
	}
	return nil
}

// NewModel is an empty vCenter (no datacenter yet) with the refreshing PropertyCollector.
func NewModel() (*simulator.Model, error) {
	model := simulator.VPX()
	model.Datacenter, model.Cluster, model.ClusterHost, model.Host = 0, 0, 0, 0
	model.Datastore, model.Machine, model.Portgroup = 0, 0, 0
	if err := model.Create(); err != nil {
		return nil, err
	}
	pc := &RefreshingCollector{}
	pc.Self = model.ServiceContent.PropertyCollector
	simulator.Map.Put(pc)
	return model, nil
}
