"""The esxsim state file for one scenario host, and reading the NFC address back (pure)."""

import ipaddress
from typing import Any, Dict, List, Optional

from .scenario import BACKUP_TAG, Node, mac_for


def vmknic_mac(host: Node, index: int) -> str:
    it = host.ifaces[index]
    return it.mac or mac_for("host", host.index, index)


def build_state(host: Node) -> Dict[str, Any]:
    """State in the schema esxsim reads; "live": true makes esxsim take addresses from the kernel."""
    vmknics: List[Dict[str, Any]] = []
    routes: List[Dict[str, Any]] = []
    gw = str(host.gateway) if host.gateway else "0.0.0.0"
    for it in host.ifaces:
        ipv4: Dict[str, Any]
        if it.ipv4 is not None:
            ipv4 = {"address": str(it.ipv4.ip), "netmask": str(it.ipv4.netmask),
                    "gateway": gw if it.name == "vmk0" else "0.0.0.0", "type": "STATIC"}
            routes.append({"network": str(it.ipv4.network.network_address),
                           "netmask": str(it.ipv4.netmask), "gateway": "0.0.0.0",
                           "interface": it.name, "source": "MANUAL", "netstack": it.netstack})
        else:
            ipv4 = {"address": "", "netmask": "", "gateway": "0.0.0.0", "type": "NONE"}
        vmknics.append({
            "name": it.name, "portgroup": it.portgroup, "portset": it.portset,
            # The layer 2 the host claims (contract with esxsim): standard switch, VDS, VLAN id.
            "vswitch": it.portset, "vds": it.vds, "vlan": 0 if it.vlan is None else it.vlan,
            "netstack": it.netstack, "mac": vmknic_mac(host, it.index), "mtu": it.mtu,
            "enabled": it.enabled, "ipv4": ipv4,
            "ipv6": [{"address": str(a.ip), "prefix": a.network.prefixlen, "type": "STATIC",
                      "status": "PREFERRED"} for a in it.ipv6],
            "tags": list(it.tags)})
    vmk0 = host.iface("vmk0")
    if host.gateway is not None and vmk0 is not None:
        routes.insert(0, {"network": "default", "netmask": "0.0.0.0", "gateway": gw,
                          "interface": "vmk0", "source": "MANUAL", "netstack": vmk0.netstack})
    netstacks = ["defaultTcpipStack"]
    for it in host.ifaces:
        if it.netstack not in netstacks:
            netstacks.append(it.netstack)
    es = host.esxsim
    faults = {"latency": {"*": "0s"}, "hostd_down": False, "fail_tag_add": False, "garble": {}}
    faults.update(es.get("faults", {}))
    options = {"allow_multi_nfc_tag": True}
    options.update(es.get("options", {}))
    return {
        "host": {"hostname": host.hostname, "product": "VMware ESXi", "version": host.version,
                 "build": host.build, "update": host.update, "patch": host.patch},
        "live": True,
        "vmknics": vmknics,
        "netstacks": netstacks,
        "neighbors": [],
        "routes": routes,
        "firewall_rulesets": list(es.get("firewall_rulesets", [])),
        "vibs": list(es.get("vibs", [])),
        "faults": faults,
        "options": options,
    }


def nfc_vmknic(state: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The vmknic whose address vCenter hands out for NBD: the first one carrying
    vSphereBackupNFC (enabled or not: the tag alone decides), else vmk0; None when neither."""
    vmknics = state.get("vmknics") or []
    for v in vmknics:
        if isinstance(v, dict) and BACKUP_TAG in (v.get("tags") or []):
            return v
    return next((v for v in vmknics if isinstance(v, dict) and v.get("name") == "vmk0"), None)


def state_ipv4(vmknic: Dict[str, Any]) -> Optional[str]:
    addr = ((vmknic.get("ipv4") or {}).get("address")) or ""
    try:
        return str(ipaddress.IPv4Address(addr))
    except ValueError:
        return None
