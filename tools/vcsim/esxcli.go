// Reading a host through esxsim's esxcli (XML formatter), and tagging through it.
package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// Runner runs `esxcli ARGS...` for one host and returns its stdout; an error carries esxcli's
// own message (stderr) when it failed.
type Runner func(args ...string) ([]byte, error)

// CommandRunner runs prefix + ["esxcli", args...]; prefix is an esxsim invocation such as
// ["/path/esxsim", "--state", "h1.json"] or ["ip", "netns", "exec", "h1", "/path/esxsim", ...].
func CommandRunner(prefix []string) Runner { return personalityRunner(prefix, "esxcli") }

// personalityRunner runs prefix + [personality, args...] ("esxcli" or "localcli").
func personalityRunner(prefix []string, personality string) Runner {
	return func(args ...string) ([]byte, error) {
		argv := append(append(append([]string{}, prefix...), personality), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(stderr.String())
			if msg == "" {
				msg = err.Error()
			}
			return nil, fmt.Errorf("%s %s: %s", personality, strings.Join(args, " "), msg)
		}
		return stdout.Bytes(), nil
	}
}

// xval is one esxcli XML value: a scalar, a list or a structure.
type xval struct {
	scalar string
	list   []xval
	fields map[string]xval
}

func (v xval) str(name string) string { return v.fields[name].scalar }

func (v xval) num(name string) (int, error) {
	s := v.fields[name].scalar
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("field %s: expected an integer, got %q", name, s)
	}
	return n, nil
}

func (v xval) strs(name string) []string {
	var out []string
	for _, e := range v.fields[name].list {
		out = append(out, e.scalar)
	}
	return out
}

// ParseEsxcliXML parses `esxcli --formatter=xml` output: <output><root>VALUE</root></output>.
func ParseEsxcliXML(data []byte) (xval, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var path []string
	for {
		tok, err := d.Token()
		if err != nil {
			return xval{}, fmt.Errorf("esxcli XML: no <root> element (%v)", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			path = append(path, se.Name.Local)
			if len(path) == 2 && path[0] == "output" && se.Name.Local == "root" {
				v, err := parseChildren(d, "root")
				if err != nil {
					return xval{}, err
				}
				if len(v) != 1 {
					return xval{}, fmt.Errorf("esxcli XML: <root> holds %d values, expected 1", len(v))
				}
				return v[0], nil
			}
			if len(path) > 2 {
				return xval{}, fmt.Errorf("esxcli XML: unexpected <%s>", se.Name.Local)
			}
		}
	}
}

// parseChildren reads the values inside the element `parent` up to its end tag.
func parseChildren(d *xml.Decoder, parent string) ([]xval, error) {
	var out []xval
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("esxcli XML: <%s> not closed", parent)
		}
		if err != nil {
			return nil, fmt.Errorf("esxcli XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return out, nil
		case xml.StartElement:
			v, err := parseValue(d, t)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("esxcli XML: stray text %q in <%s>", string(t), parent)
			}
		}
	}
}

func parseValue(d *xml.Decoder, se xml.StartElement) (xval, error) {
	switch se.Name.Local {
	case "string", "integer", "boolean":
		var s string
		if err := d.DecodeElement(&s, &se); err != nil {
			return xval{}, fmt.Errorf("esxcli XML: <%s>: %v", se.Name.Local, err)
		}
		return xval{scalar: s}, nil
	case "list":
		items, err := parseChildren(d, "list")
		return xval{list: items}, err
	case "structure":
		v := xval{fields: map[string]xval{}}
		for {
			tok, err := d.Token()
			if err != nil {
				return xval{}, fmt.Errorf("esxcli XML: <structure>: %v", err)
			}
			if _, ok := tok.(xml.EndElement); ok {
				return v, nil
			}
			fe, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			if fe.Name.Local != "field" {
				return xval{}, fmt.Errorf("esxcli XML: <%s> in <structure>", fe.Name.Local)
			}
			name := ""
			for _, a := range fe.Attr {
				if a.Name.Local == "name" {
					name = a.Value
				}
			}
			inner, err := parseChildren(d, "field")
			if err != nil {
				return xval{}, err
			}
			if name == "" || len(inner) != 1 {
				return xval{}, fmt.Errorf("esxcli XML: malformed field %q", name)
			}
			v.fields[name] = inner[0]
		}
	}
	return xval{}, fmt.Errorf("esxcli XML: unexpected <%s>", se.Name.Local)
}

func runXML(run Runner, args ...string) (xval, error) {
	out, err := run(append([]string{"--formatter=xml"}, args...)...)
	if err != nil {
		return xval{}, err
	}
	v, err := ParseEsxcliXML(out)
	if err != nil {
		return xval{}, fmt.Errorf("esxcli %s: %v", strings.Join(args, " "), err)
	}
	return v, nil
}

// ReadFacts reads a host's vmknics (with addresses and tags), portgroups and netstacks.
func ReadFacts(run Runner) (*HostFacts, error) {
	f := &HostFacts{}
	list, err := runXML(run, "network", "ip", "interface", "list")
	if err != nil {
		return nil, err
	}
	for _, e := range list.list {
		v := Vmknic{Name: e.str("Name"), Portgroup: e.str("Portgroup"), Vswitch: e.str("Portset"),
			VDS: e.str("VDSName"), Netstack: e.str("NetstackInstance"), MAC: e.str("MACAddress"),
			Enabled: e.str("Enabled") == "true"}
		if v.VDS == "N/A" {
			v.VDS = ""
		}
		if v.Name == "" {
			return nil, fmt.Errorf("esxcli network ip interface list: a vmknic without Name")
		}
		if v.MTU, err = e.num("MTU"); err != nil {
			return nil, fmt.Errorf("esxcli network ip interface list: %s: %v", v.Name, err)
		}
		f.Vmknics = append(f.Vmknics, v)
	}
	stacks, err := runXML(run, "network", "ip", "netstack", "list")
	if err != nil {
		return nil, err
	}
	for _, s := range stacks.list {
		f.Netstacks = append(f.Netstacks, s.str("Key"))
	}
	// Addresses: one `ipv4 get` / `ipv6 address list` for all vmknics, then per other netstack
	// only when one of its vmknics is missing (ESXi's help says that without -N they show the
	// default netstack; esxsim shows all), so a host costs few processes on each refresh.
	seen := map[string]bool{}
	if err := readAddresses(run, f, "", seen); err != nil {
		return nil, err
	}
	for _, ns := range f.Netstacks {
		missing := false
		for _, v := range f.Vmknics {
			if v.Netstack == ns && !seen[v.Name] {
				missing = true
			}
		}
		if missing {
			if err := readAddresses(run, f, ns, seen); err != nil {
				return nil, err
			}
		}
	}
	pgs, err := runXML(run, "network", "vswitch", "standard", "portgroup", "list")
	if err != nil {
		return nil, err
	}
	for _, e := range pgs.list {
		vlan, err := e.num("VLANID")
		if err != nil {
			return nil, fmt.Errorf("esxcli network vswitch standard portgroup list: %v", err)
		}
		f.Portgroups = append(f.Portgroups, Portgroup{Name: e.str("Name"),
			Vswitch: e.str("VirtualSwitch"), VLAN: vlan})
	}
	for i := range f.Vmknics {
		v := &f.Vmknics[i]
		tags, err := runXML(run, "network", "ip", "interface", "tag", "get", "-i", v.Name)
		if err != nil {
			return nil, err
		}
		v.Tags = tags.strs("Tags")
	}
	return f, nil
}

// readAddresses fills IPv4 and IPv6 addresses from `ipv4 get` and `ipv6 address list` (with -N
// netstack unless netstack is ""), marking the vmknics that ipv4 get listed in seen.
func readAddresses(run Runner, f *HostFacts, netstack string, seen map[string]bool) error {
	var opt []string
	if netstack != "" {
		opt = []string{"-N", netstack}
	}
	v4, err := runXML(run, append([]string{"network", "ip", "interface", "ipv4", "get"}, opt...)...)
	if err != nil {
		return err
	}
	for _, e := range v4.list {
		v := f.FindVmknic(e.str("Name"))
		if v == nil || seen[v.Name] {
			continue
		}
		seen[v.Name] = true
		if a := e.str("IPv4Address"); a != "" && a != "N/A" {
			v.IPv4, v.Netmask = a, e.str("IPv4Netmask")
		}
		v.DHCP = e.str("AddressType") == "DHCP"
	}
	v6, err := runXML(run, append([]string{"network", "ip", "interface", "ipv6", "address",
		"list"}, opt...)...)
	if err != nil {
		return err
	}
	for _, e := range v6.list {
		v := f.FindVmknic(e.str("Interface"))
		if v == nil {
			continue
		}
		prefix, err := e.num("Netmask")
		if err != nil {
			return fmt.Errorf("esxcli network ip interface ipv6 address list: %v", err)
		}
		addr := IPv6Addr{Address: e.str("Address"), Prefix: prefix}
		dup := false
		for _, a := range v.IPv6 {
			dup = dup || a == addr
		}
		if !dup {
			v.IPv6 = append(v.IPv6, addr)
		}
	}
	return nil
}

// SetTag adds or removes an esxcli tag on a vmknic.
func SetTag(run Runner, device, tag string, add bool) error {
	op := "remove"
	if add {
		op = "add"
	}
	_, err := run("network", "ip", "interface", "tag", op, "-i", device, "-t", tag)
	return err
}
