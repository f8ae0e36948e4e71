// The --inventory file: {"datacenter": "dc1", "hosts": [{"name", "cluster", "esxsim"}]}.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// EsxsimRef says how to reach a host's esxsim: a state file (run through the esxsim binary next
// to this server) or an argv prefix to which `esxcli ARGS` is appended.
type EsxsimRef struct {
	State   string   `json:"state"`
	Command []string `json:"command"`
}

type InventoryHost struct {
	Name    string     `json:"name"`
	Cluster string     `json:"cluster"`
	Esxsim  *EsxsimRef `json:"esxsim"`
}

type Inventory struct {
	Datacenter string          `json:"datacenter"`
	Hosts      []InventoryHost `json:"hosts"`
}

// ParseInventory decodes and checks an inventory; errors name the offending entry.
func ParseInventory(data []byte) (*Inventory, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	inv := &Inventory{}
	if err := d.Decode(inv); err != nil {
		return nil, fmt.Errorf("inventory: %v", err)
	}
	if d.More() {
		return nil, fmt.Errorf("inventory: trailing data after the JSON object")
	}
	if inv.Datacenter == "" {
		inv.Datacenter = "dc1"
	}
	seen := map[string]bool{}
	for i, h := range inv.Hosts {
		where := fmt.Sprintf("inventory: hosts[%d]", i)
		if h.Name == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		if seen[h.Name] {
			return nil, fmt.Errorf("%s: duplicate host name %q", where, h.Name)
		}
		seen[h.Name] = true
		if h.Esxsim == nil {
			return nil, fmt.Errorf("%s (%s): esxsim is required", where, h.Name)
		}
		hasState, hasCmd := h.Esxsim.State != "", len(h.Esxsim.Command) > 0
		if hasState == hasCmd {
			return nil, fmt.Errorf("%s (%s): esxsim needs exactly one of state or command",
				where, h.Name)
		}
		for _, a := range h.Esxsim.Command {
			if a == "" {
				return nil, fmt.Errorf("%s (%s): esxsim.command has an empty argument", where,
					h.Name)
			}
		}
	}
	return inv, nil
}

func LoadInventory(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %v", err)
	}
	return ParseInventory(data)
}
