package main

import (
	"fmt"
	"strings"
	"testing"
)

const ifaceListXML = `<?xml version="1.0" encoding="utf-8"?>
<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli">
<root>
   <list type="structure">
      <structure typeName="NetworkInterface">
         <field name="Enabled"><boolean>true</boolean></field>
         <field name="MACAddress"><string>00:50:56:aa:00:01</string></field>
         <field name="MTU"><integer>9000</integer></field>
         <field name="Name"><string>vmk1</string></field>
         <field name="NetstackInstance"><string>defaultTcpipStack</string></field>
         <field name="Portgroup"><string>Backup NFC</string></field>
         <field name="Portset"><string>vSwitch1</string></field>
         <field name="VDSName"><string>N/A</string></field>
      </structure>
   </list>
</root>
</output>
`

// fakeEsxcli answers ReadFacts' commands from canned XML keyed by the command words.
func fakeEsxcli(answers map[string]string, calls *[]string) Runner {
	return func(args ...string) ([]byte, error) {
		key := strings.Join(args, " ")
		*calls = append(*calls, key)
		if out, ok := answers[key]; ok {
			return []byte(out), nil
		}
		return nil, fmt.Errorf("esxcli %s: Error: Unknown command", key)
	}
}

func wrapList(typeName string, rows ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><output xmlns="x"><root><list type="structure">`)
	for _, r := range rows {
		b.WriteString(`<structure typeName="` + typeName + `">` + r + `</structure>`)
	}
	b.WriteString(`</list></root></output>`)
	return b.String()
}

func field(name, kind, value string) string {
	return `<field name="` + name + `"><` + kind + `>` + value + `</` + kind + `></field>`
}

func TestReadFactsFromEsxcli(t *testing.T) {
	x := "--formatter=xml "
	answers := map[string]string{
		x + "network ip interface list": ifaceListXML,
		x + "network ip netstack list":  wrapList("Netstack", field("Key", "string", "defaultTcpipStack")),
		x + "network ip interface ipv4 get": wrapList("IPv4Interface",
			field("Name", "string", "vmk1")+field("IPv4Address", "string", "10.99.0.11")+
				field("IPv4Netmask", "string", "255.255.255.0")+field("AddressType", "string", "STATIC")),
		x + "network ip interface ipv6 address list": wrapList("IPv6Interface",
			field("Interface", "string", "vmk1")+field("Address", "string", "fd00::11")+
				field("Netmask", "integer", "64")),
		x + "network vswitch standard portgroup list": wrapList("PortGroup",
			field("Name", "string", "Backup NFC")+field("VirtualSwitch", "string", "vSwitch1")+
				field("VLANID", "integer", "100")),
		x + "network ip interface tag get -i vmk1": `<output><root><structure typeName="TagGet">` +
			`<field name="Tags"><list type="string"><string>vSphereBackupNFC</string></list>` +
			`</field></structure></root></output>`,
	}
	var calls []string
	f, err := ReadFacts(fakeEsxcli(answers, &calls))
	if err != nil {
		t.Fatal(err)
	}
	v := f.FindVmknic("vmk1")
	if v == nil || v.MTU != 9000 || v.IPv4 != "10.99.0.11" || v.Vswitch != "vSwitch1" ||
		len(v.IPv6) != 1 || v.IPv6[0].Prefix != 64 || len(v.Tags) != 1 || v.VDS != "" {
		t.Fatalf("vmk1 = %+v", v)
	}
	if len(f.Portgroups) != 1 || f.Portgroups[0].VLAN != 100 {
		t.Fatalf("portgroups = %+v", f.Portgroups)
	}
	// Every vmknic was in the netstack-less answers: no per-netstack calls.
	for _, c := range calls {
		if strings.Contains(c, " -N ") {
			t.Fatalf("unneeded per-netstack call %q", c)
		}
	}
	nc, ok := NetConfig(f, "vSphereBackupNFC")
	if !ok || len(nc.SelectedVnic) != 1 ||
		nc.SelectedVnic[0] != "vSphereBackupNFC.key-vim.host.VirtualNic-vmk1" {
		t.Fatalf("netConfig = %+v", nc)
	}
	info := NetworkInfo(f)
	if len(info.Vswitch) != 1 || info.Vswitch[0].Mtu != 9000 ||
		info.Vswitch[0].Portgroup[0] != "key-vim.host.PortGroup-Backup NFC" {
		t.Fatalf("vswitch = %+v", info.Vswitch)
	}
}

// ESXi's documented behaviour: without -N only the default netstack; a vmknic on another
// netstack is then read with -N.
func TestReadFactsAsksOtherNetstacks(t *testing.T) {
	x := "--formatter=xml "
	iface := func(name, ns string) string {
		return field("Name", "string", name) + field("MTU", "integer", "1500") +
			field("NetstackInstance", "string", ns)
	}
	v4 := func(name, ip string) string {
		return field("Name", "string", name) + field("IPv4Address", "string", ip) +
			field("IPv4Netmask", "string", "255.255.255.0")
	}
	empty := wrapList("X")
	tags := `<output><root><structure typeName="TagGet"><field name="Tags"><list type="string">` +
		`</list></field></structure></root></output>`
	answers := map[string]string{
		x + "network ip interface list": wrapList("NetworkInterface", iface("vmk0",
			"defaultTcpipStack"), iface("vmk3", "vmotion")),
		x + "network ip netstack list": wrapList("Netstack", field("Key", "string",
			"defaultTcpipStack"), field("Key", "string", "vmotion")),
		x + "network ip interface ipv4 get":                     wrapList("IPv4Interface", v4("vmk0", "10.0.0.1")),
		x + "network ip interface ipv6 address list":            empty,
		x + "network ip interface ipv4 get -N vmotion":          wrapList("IPv4Interface", v4("vmk3", "10.3.0.1")),
		x + "network ip interface ipv6 address list -N vmotion": empty,
		x + "network vswitch standard portgroup list":           empty,
		x + "network ip interface tag get -i vmk0":              tags,
		x + "network ip interface tag get -i vmk3":              tags,
	}
	var calls []string
	f, err := ReadFacts(fakeEsxcli(answers, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if f.FindVmknic("vmk3").IPv4 != "10.3.0.1" || f.FindVmknic("vmk0").IPv4 != "10.0.0.1" {
		t.Fatalf("facts %v", f)
	}
	for _, c := range calls {
		if strings.Contains(c, "-N defaultTcpipStack") {
			t.Fatalf("asked the default netstack twice: %q", c)
		}
	}
}

func TestReadFactsReportsEsxcliFailure(t *testing.T) {
	var calls []string
	_, err := ReadFacts(fakeEsxcli(map[string]string{}, &calls))
	if err == nil || !strings.Contains(err.Error(), "network ip interface list") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseEsxcliXMLRejectsDamage(t *testing.T) {
	for _, bad := range []string{
		"", "garbage", ifaceListXML[:len(ifaceListXML)/2],
		`<output><root><list><bogus/></list></root></output>`,
		`<output><root><structure><field name="A"><string>1</string><string>2</string></field></structure></root></output>`,
	} {
		if _, err := ParseEsxcliXML([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	var calls []string
	bad := map[string]string{"--formatter=xml network ip interface list": wrapList("NetworkInterface",
		field("Name", "string", "vmk0")+field("MTU", "integer", "big"))}
	if _, err := ReadFacts(fakeEsxcli(bad, &calls)); err == nil ||
		!strings.Contains(err.Error(), `MTU: expected an integer, got "big"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestNicTypesAndCandidates(t *testing.T) {
	if TagForNicType("vSphereBackupNFC") != "vSphereBackupNFC" || TagForNicType("management") !=
		"Management" || TagForNicType("vsan") != "VSAN" || TagForNicType("Management") != "" {
		t.Fatal("nicType <-> tag mapping")
	}
	vmotion := &Vmknic{Name: "vmk2", Netstack: "vmotion"}
	if IsCandidate(vmotion, "vSphereBackupNFC") || !IsCandidate(vmotion, "vmotion") ||
		!IsCandidate(&Vmknic{Netstack: "defaultTcpipStack"}, "vSphereBackupNFC") {
		t.Fatal("candidates")
	}
	if _, ok := NetConfig(GeneratedFacts(0), "nope"); ok {
		t.Fatal("unknown nicType accepted")
	}
}

func TestMemoryBackendCopiesOnWrite(t *testing.T) {
	b := NewMemoryBackend(GeneratedFacts(3))
	before, changed, _ := b.Facts()
	if !changed {
		t.Fatal("first read must count as a change")
	}
	if _, changed, _ = b.Facts(); changed {
		t.Fatal("unchanged facts reported as changed")
	}
	if err := b.SetTag("vmk0", "vSphereBackupNFC", true); err != nil {
		t.Fatal(err)
	}
	after, changed, _ := b.Facts()
	if !changed || len(after.FindVmknic("vmk0").Tags) != 2 || len(before.FindVmknic("vmk0").Tags) != 1 {
		t.Fatalf("before %v after %v", before, after)
	}
	if err := b.SetTag("vmk7", "vSphereBackupNFC", true); err == nil {
		t.Fatal("unknown vmknic accepted")
	}
}

func TestGeneratedHostsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		f := GeneratedFacts(i)
		for _, v := range f.Vmknics {
			if seen[v.IPv4] || seen[v.MAC] {
				t.Fatalf("host %d repeats %s/%s", i, v.IPv4, v.MAC)
			}
			seen[v.IPv4], seen[v.MAC] = true, true
		}
	}
}

func TestParseInventory(t *testing.T) {
	inv, err := ParseInventory([]byte(`{"hosts": [{"name": "esx01", "cluster": "c1",
		"esxsim": {"command": ["ip", "netns", "exec", "h1", "esxsim", "--state", "s"]}}]}`))
	if err != nil || inv.Datacenter != "dc1" || inv.Hosts[0].Esxsim.Command[2] != "exec" {
		t.Fatalf("%+v %v", inv, err)
	}
	for text, want := range map[string]string{
		`{"hosts": [{"esxsim": {"state": "s"}}]}`:                      "hosts[0]: name is required",
		`{"hosts": [{"name": "a", "esxsim": {}}]}`:                     "exactly one of state or command",
		`{"hosts": [{"name": "a", "esxsim": {"command": ["x", ""]}}]}`: "empty argument",
		`{"hosts": []} {}`: "trailing data",
		`{"hosts": [{"name": "a", "esxsim": {"state": "s"}, "ip": 1}]}`: `unknown field "ip"`,
	} {
		if _, err := ParseInventory([]byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", text, err, want)
		}
	}
}

func TestThumbprintFormat(t *testing.T) {
	tp := Thumbprint([]byte("x"))
	if len(tp) != 32*3-1 || strings.ToUpper(tp) != tp || strings.Count(tp, ":") != 31 {
		t.Fatalf("thumbprint %q", tp)
	}
}
