// esxcli/localcli/vmkping behaviour through the library, with a fake System (no kernel, no
// sleeping): command-line parsing, tag rules, faults, live-mode merging, state errors.
#include "esxsim/cli.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "test_util.h"

namespace esxsim {
namespace {

using esxsim_test::TempDir;

class FakeSystem : public System {
 public:
  bnfc::Expected<std::vector<KernelInterface>> Interfaces() override { return interfaces; }
  bnfc::Expected<std::vector<KernelNeighbor>> Neighbors() override { return neighbors; }
  bnfc::Expected<std::unique_ptr<Echoer>> OpenEchoer(const PingRequest&) override {
    return bnfc::Unexpected(bnfc::ErrorCode::kUnavailable, "no echo in the fake");
  }
  void SleepMs(int64_t ms) override { sleeps.push_back(ms); }
  std::vector<KernelInterface> interfaces;
  std::vector<KernelNeighbor> neighbors;
  std::vector<int64_t> sleeps;
};

Json BaseState() {
  return Json::parse(R"({
    "host": {"hostname": "esx01", "product": "VMware ESXi", "version": "8.0.3",
             "build": "Releasebuild-24677879", "update": "3", "patch": "0"},
    "live": false,
    "vmknics": [
      {"name": "vmk0", "portgroup": "Management Network", "portset": "vSwitch0",
       "netstack": "defaultTcpipStack", "mac": "00:50:56:aa:00:00", "mtu": 1500, "enabled": true,
       "ipv4": {"address": "10.98.0.11", "netmask": "255.255.255.0", "gateway": "10.98.0.1",
                "type": "STATIC"},
       "ipv6": [], "tags": ["Management"], "x-lab-note": "kept"},
      {"name": "vmk1", "portgroup": "vMotion", "netstack": "vmotion", "mac": "00:50:56:aa:00:01",
       "mtu": 9000, "ipv4": {"address": "10.97.0.11", "netmask": "255.255.255.0"}, "tags": []},
      {"name": "vmk2", "portgroup": "Backup NFC", "mac": "00:50:56:aa:00:02", "mtu": 9000,
       "ipv4": {"address": "10.99.0.11", "netmask": "255.255.255.0"},
       "ipv6": [{"address": "fd00:99::11", "prefix": 64}], "tags": []}],
    "netstacks": ["defaultTcpipStack", "vmotion"],
    "neighbors": [
      {"ip": "10.98.0.100", "mac": "02:00:00:00:01:00", "vmknic": "vmk0", "expiry_s": 1200,
       "type": "Dynamic"},
      {"ip": "10.99.0.100", "mac": "02:00:00:00:02:00", "vmknic": "vmk2", "expiry_s": 300,
       "type": "Dynamic"},
      {"ip": "fd00:99::100", "mac": "02:00:00:00:02:00", "vmknic": "vmk2", "expiry_s": 30,
       "type": "Dynamic"},
      {"ip": "10.97.0.100", "mac": "02:00:00:00:03:00", "vmknic": "vmk1", "expiry_s": 30,
       "type": "Dynamic"}],
    "routes": [{"network": "default", "netmask": "0.0.0.0", "gateway": "10.98.0.1",
                "interface": "vmk0", "source": "MANUAL", "netstack": "defaultTcpipStack"}],
    "firewall_rulesets": [], "vibs": [],
    "faults": {"latency": {"*": "0s"}, "hostd_down": false, "fail_tag_add": false, "garble": {}},
    "options": {"allow_multi_nfc_tag": true},
    "lab": {"segment": "backup"}
  })");
}

class EsxsimCli : public ::testing::Test {
 protected:
  void SetUp() override { Save(BaseState()); }
  void Save(const Json& j) {
    path_ = tmp_.Write("state.json", j.dump(2));
    env_.state_path = path_;
    env_.system = &sys_;
  }
  Json Load() {
    std::ifstream in(path_);
    return Json::parse(in);
  }
  RunResult Esxcli(const std::string& line, const std::string& prog = "esxcli") {
    std::istringstream in(line);
    std::vector<std::string> args;
    std::string w;
    while (in >> w) {
      args.push_back(w);
    }
    return RunEsxcli(prog, args, env_);
  }
  RunResult Vmkping(const std::vector<std::string>& args) {
    return RunVmkping("vmkping", args, env_);
  }
  std::vector<std::string> Tags(const std::string& vmk) {
    const Json doc = Load();
    for (const Json& n : doc["vmknics"]) {
      if (n["name"] == vmk) {
        return n.value("tags", std::vector<std::string>{});
      }
    }
    return {};
  }
  TempDir tmp_;
  std::string path_;
  FakeSystem sys_;
  Env env_;
};

// ---- parsing comes first ----

TEST_F(EsxsimCli, UnknownCommandNeedsNoState) {
  env_.state_path.clear();
  const RunResult r = Esxcli("network ip interface frobnicate -i vmk0");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: Unknown command or namespace network ip interface frobnicate\n");
}

TEST_F(EsxsimCli, HelpNeedsNoState) {
  env_.state_path.clear();
  const RunResult r = Esxcli("network ip interface tag add --help");
  EXPECT_EQ(r.code, 0);
  // Layout of the real `system coredump file set --help` capture: description and options at
  // column 24, long option forms wrapped onto their own line.
  EXPECT_EQ(r.out,
            "Usage: esxcli network ip interface tag add [cmd options]\n"
            "\n"
            "Description:\n"
            "  add                   Adds a tag on a given VMkernel network interface.\n"
            "\n"
            "Cmd options:\n"
            "  -i|--interface-name=<str>\n"
            "                        Name of the VMkernel network interface (vmkX). (required)\n"
            "  -t|--tagname=<str>    Tag name (e.g. Management, VMotion, vSphereBackupNFC). "
            "(required)\n");
}

TEST_F(EsxsimCli, NamespaceUsageListsCommands) {
  env_.state_path.clear();
  const RunResult r = Esxcli("network ip neighbor");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            "Usage: esxcli network ip neighbor {cmd} [cmd options]\n\nAvailable Commands:\n"
            "  list                  List ARP table entries.\n");
  const RunResult ns = Esxcli("network ip interface --help");
  EXPECT_NE(ns.out.find("Usage: esxcli network ip interface {namespace}+ {cmd} [cmd options]\n"),
            std::string::npos);
  EXPECT_NE(ns.out.find("Available Namespaces:\n  ipv4 "), std::string::npos) << ns.out;
  EXPECT_NE(ns.out.find("Available Commands:\n  list "), std::string::npos) << ns.out;
}

TEST_F(EsxsimCli, CommandWithoutStateSaysHowToConfigureIt) {
  env_.state_path.clear();
  const RunResult r = Esxcli("system version get");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "esxsim: no simulated host: set ESXSIM_STATE or pass --state FILE\n");
}

TEST_F(EsxsimCli, StateOptionOverridesEnvironment) {
  env_.state_path = "/nonexistent/state.json";
  const RunResult r = Esxcli("--state " + path_ + " system version get");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("   Version: 8.0.3\n"), std::string::npos);
}

TEST_F(EsxsimCli, MissingRequiredOptionAndUnknownOption) {
  EXPECT_EQ(Esxcli("network ip interface tag get").err,
            "Error: Missing required parameter -i|--interface-name\n");
  EXPECT_EQ(Esxcli("network ip interface tag get -i vmk0 --bogus=1").err,
            "Error: Invalid option --bogus=1\n");
  EXPECT_EQ(Esxcli("--formatter=json system version get").code, 1);
}

TEST_F(EsxsimCli, BadStateFileIsNamedPrecisely) {
  Json j = BaseState();
  j["vmknics"][1]["mtu"] = "big";
  Save(j);
  const RunResult r = Esxcli("network ip interface list");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("state.vmknics[1].mtu: expected an integer, got string"), std::string::npos)
      << r.err;
  tmp_.Write("state.json", "{not json");
  EXPECT_NE(Esxcli("system version get").err.find("is not valid JSON"), std::string::npos);
}

// ---- static commands ----

TEST_F(EsxsimCli, Ipv4GetFiltersByInterfaceAndNetstack) {
  const RunResult r = Esxcli("network ip interface ipv4 get -N vmotion");
  EXPECT_EQ(r.out,
            "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  Gateway  DHCP DNS\n"
            "----  ------------  -------------  --------------  ------------  -------  --------\n"
            "vmk1  10.97.0.11    255.255.255.0  10.97.0.255     STATIC        0.0.0.0     false\n");
  EXPECT_EQ(Esxcli("network ip interface ipv4 get -i vmk9").err,
            "Error: Unable to find vmknic vmk9\n");
}

TEST_F(EsxsimCli, NeighborListVersionsInterfacesAndNetstacks) {
  const std::string v4 = Esxcli("network ip neighbor list").out;
  EXPECT_NE(v4.find("10.99.0.100"), std::string::npos);
  EXPECT_EQ(v4.find("fd00:99::100"), std::string::npos);
  EXPECT_EQ(v4.find("10.97.0.100"), std::string::npos) << "vmotion stack needs -N";
  const std::string v6 = Esxcli("network ip neighbor list -v 6").out;
  EXPECT_NE(v6.find("fd00:99::100"), std::string::npos);
  EXPECT_EQ(v6.find("10.99.0.100"), std::string::npos);
  const std::string all = Esxcli("network ip neighbor list --version=all -i vmk2").out;
  EXPECT_NE(all.find("fd00:99::100"), std::string::npos);
  EXPECT_EQ(all.find("10.98.0.100"), std::string::npos);
  EXPECT_NE(Esxcli("network ip neighbor list -N vmotion").out.find("10.97.0.100"),
            std::string::npos);
  EXPECT_EQ(Esxcli("network ip neighbor list -v 5").code, 1);
}

TEST_F(EsxsimCli, VersionDependentInterfaceFields) {
  Json j = BaseState();
  j["host"]["version"] = "9.0.0";
  Save(j);
  EXPECT_NE(Esxcli("network ip interface list").out.find("   Port ID: 67108879\n   URPF: 0\n"),
            std::string::npos);
  j["host"]["version"] = "5.1.0";
  Save(j);
  const std::string old = Esxcli("network ip interface list").out;
  EXPECT_EQ(old.find("Netstack Instance"), std::string::npos);
  EXPECT_EQ(old.find("Opaque Network ID"), std::string::npos);
  EXPECT_EQ(Esxcli("network ip interface ipv4 get").out.find("Gateway"), std::string::npos);
}

// ---- switches, VLANs, portgroups (state keys vswitch, vds, vlan; docs/esxsim.md) ----

TEST_F(EsxsimCli, PortgroupListFromVmknicKeysWithDefaults) {
  Json j = BaseState();
  j["vmknics"][2]["vswitch"] = "vSwitch1";  // wins over "portset"
  j["vmknics"][2]["portset"] = "vSwitch9";
  j["vmknics"][2]["vlan"] = 120;
  j["vmknics"][1]["vlan"] = 4095;
  Save(j);
  const RunResult r = Esxcli("network vswitch standard portgroup list");
  EXPECT_EQ(r.code, 0) << r.err;
  // vmk0 says nothing: vSwitch0, VLAN 0 (old state files stay valid). Sorted by name.
  EXPECT_EQ(r.out,
            "Name                Virtual Switch  Active Clients  VLAN ID\n"
            "------------------  --------------  --------------  -------\n"
            "Backup NFC          vSwitch1                     1      120\n"
            "Management Network  vSwitch0                     1        0\n"
            "vMotion             vSwitch0                     1     4095\n");
  EXPECT_NE(Esxcli("network ip interface list")
                .out.find("   Portset: vSwitch1\n   Portgroup: Backup NFC\n"),
            std::string::npos);
}

TEST_F(EsxsimCli, VdsVmknicHasVdsFieldsAndNoStandardPortgroup) {
  Json j = BaseState();
  j["vmknics"][2]["vds"] = "dvs-backup";
  j["vmknics"][2]["vlan"] = 300;  // a VDS port's VLAN is not in the standard list
  Save(j);
  const std::string list = Esxcli("network ip interface list").out;
  const size_t at = list.find("vmk2\n");
  ASSERT_NE(at, std::string::npos);
  const std::string vmk2 = list.substr(at);
  EXPECT_NE(vmk2.find("   Portset: DvsPortset-0\n   Portgroup: N/A\n"), std::string::npos) << vmk2;
  EXPECT_NE(vmk2.find("   VDS Name: dvs-backup\n   VDS UUID: "), std::string::npos) << vmk2;
  EXPECT_EQ(vmk2.find("VDS Port: N/A"), std::string::npos) << vmk2;
  const std::string pgs = Esxcli("network vswitch standard portgroup list").out;
  EXPECT_EQ(pgs.find("Backup NFC"), std::string::npos) << pgs;
  EXPECT_NE(pgs.find("Management Network"), std::string::npos) << pgs;
}

TEST_F(EsxsimCli, PortgroupsListGivesVswitchAndVlanToVmknicsThatDoNotSay) {
  Json j = BaseState();
  j["portgroups"] = Json::parse(
      R"([{"name": "Backup NFC", "vswitch": "vSwitch2", "vlan": 77},
          {"name": "VM Network", "active_clients": 15}])");
  Save(j);
  const std::string pgs = Esxcli("network vswitch standard portgroup list").out;
  EXPECT_NE(pgs.find("Backup NFC          vSwitch2                     1       77\n"),
            std::string::npos)
      << pgs;
  EXPECT_NE(pgs.find("VM Network          vSwitch0                    15        0\n"),
            std::string::npos)
      << pgs;
  EXPECT_NE(Esxcli("network ip interface list").out.find("   Portset: vSwitch2\n"),
            std::string::npos);
}

TEST_F(EsxsimCli, APortgroupWithTwoVlansOrSwitchesIsAStateError) {
  Json j = BaseState();
  j["vmknics"][1]["portgroup"] = "Backup NFC";
  j["vmknics"][1]["vlan"] = 100;
  j["vmknics"][2]["vlan"] = 200;
  Save(j);
  RunResult r = Esxcli("network ip interface list");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("state.vmknics[2].vlan: portgroup 'Backup NFC' has VLAN 100 at "
                       "state.vmknics[1], not 200 (a portgroup has one VLAN)"),
            std::string::npos)
      << r.err;
  j["vmknics"][2]["vlan"] = 100;
  j["vmknics"][2]["vswitch"] = "vSwitch1";
  Save(j);
  r = Esxcli("network vswitch standard portgroup list");
  EXPECT_NE(r.err.find("state.vmknics[2].vswitch: portgroup 'Backup NFC' is on vSwitch0 at "
                       "state.vmknics[1], not vSwitch1"),
            std::string::npos)
      << r.err;
  j = BaseState();
  j["vmknics"][0]["vlan"] = 4096;
  Save(j);
  EXPECT_NE(Esxcli("system version get")
                .err.find("state.vmknics[0].vlan: expected a VLAN ID 0..4095, got 4096"),
            std::string::npos);
  j = BaseState();
  j["portgroups"] = Json::parse(R"([{"name": "A"}, {"name": "A", "vlan": 3}])");
  Save(j);
  EXPECT_NE(Esxcli("system version get")
                .err.find("state.portgroups[1].name: portgroup 'A' is already listed at "
                          "state.portgroups[0]"),
            std::string::npos);
}

TEST_F(EsxsimCli, DefaultFirewallRulesetsIncludeNfc) {
  const RunResult r = Esxcli("network firewall ruleset list -r NFC");
  EXPECT_EQ(r.out,
            "Name  Enabled  Enable/Disable configurable  Allowed IP configurable\n"
            "----  -------  ---------------------------  -----------------------\n"
            "NFC      true                        false                     true\n");
  EXPECT_EQ(Esxcli("network firewall ruleset list -r nope").code, 1);
}

TEST_F(EsxsimCli, DiagPingIsStructured) {
  Json j = BaseState();
  j["ping_targets"] = Json::parse(R"([{"ip": "10.99.0.100", "rtt_ms": [0.25]}])");
  Save(j);
  const RunResult r = Esxcli("--formatter=keyvalue network diag ping -H 10.99.0.100 -I vmk2 -c 2");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("PingOutput.Summary.PingSummary.Recieved.integer=2\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PingOutput.Trace.structure[1].PingTrace.RoundtripTimeMS.integer=250\n"),
            std::string::npos)
      << r.out;
  const RunResult text = Esxcli("network diag ping -H 10.99.0.100 -c 1");
  EXPECT_NE(text.out.find("   Summary: \n         Host Addr: 10.99.0.100\n"), std::string::npos)
      << text.out;
}

// ---- tags ----

TEST_F(EsxsimCli, TagAddRemoveKeepsUnknownFields) {
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk2 -t vSphereBackupNFC").code, 0);
  EXPECT_EQ(Tags("vmk2"), std::vector<std::string>{"vSphereBackupNFC"});
  EXPECT_EQ(Esxcli("network ip interface tag get -i vmk2").out, "   Tags: vSphereBackupNFC\n");
  // Adding again changes nothing; long options work.
  EXPECT_EQ(
      Esxcli("network ip interface tag add --interface-name=vmk2 --tagname=vSphereBackupNFC").code,
      0);
  EXPECT_EQ(Tags("vmk2"), std::vector<std::string>{"vSphereBackupNFC"});
  const Json doc = Load();
  EXPECT_EQ(doc["lab"]["segment"], "backup");
  EXPECT_EQ(doc["vmknics"][0]["x-lab-note"], "kept");
  EXPECT_EQ(Esxcli("network ip interface tag remove -i vmk2 -t vSphereBackupNFC").code, 0);
  EXPECT_TRUE(Tags("vmk2").empty());
  EXPECT_EQ(Esxcli("network ip interface tag get -i vmk2").out, "   Tags: \n");
  // Removing a tag that is not there succeeds without a change.
  EXPECT_EQ(Esxcli("network ip interface tag remove -i vmk2 -t vSphereBackupNFC").code, 0);
}

TEST_F(EsxsimCli, TagRulesRejectUnknownNamesAndVmknics) {
  const RunResult bad = Esxcli("network ip interface tag add -i vmk2 -t vspherebackupnfc");
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err.rfind("Error: Invalid tag name vspherebackupnfc.", 0), 0u) << bad.err;
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk7 -t VMotion").err,
            "Error: Unable to find vmknic vmk7\n");
  EXPECT_TRUE(Tags("vmk2").empty());
}

TEST_F(EsxsimCli, NfcTagMultiSelectAllowedByDefault) {
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk2 -t vSphereBackupNFC").code, 0);
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk0 -t vSphereBackupNFC").code, 0);
  EXPECT_EQ(Tags("vmk2"), std::vector<std::string>{"vSphereBackupNFC"});
  EXPECT_EQ(Tags("vmk0"), (std::vector<std::string>{"Management", "vSphereBackupNFC"}));
}

TEST_F(EsxsimCli, NfcTagMovesWhenMultiSelectIsOff) {
  Json j = BaseState();
  j["options"]["allow_multi_nfc_tag"] = false;
  Save(j);
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk2 -t vSphereBackupNFC").code, 0);
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk0 -t vSphereBackupNFC").code, 0);
  EXPECT_TRUE(Tags("vmk2").empty());
  EXPECT_EQ(Tags("vmk0"), (std::vector<std::string>{"Management", "vSphereBackupNFC"}));
}

TEST_F(EsxsimCli, OptionalDefaultNetstackRule) {
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk1 -t vSphereBackupNFC").code, 0);
  Json j = BaseState();
  j["options"]["tag_requires_default_netstack"] = true;
  Save(j);
  const RunResult r = Esxcli("network ip interface tag add -i vmk1 -t vSphereBackupNFC");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("vmk1 is on vmotion"), std::string::npos) << r.err;
}

// ---- faults ----

TEST_F(EsxsimCli, FailTagAddLeavesStateUnchanged) {
  Json j = BaseState();
  j["faults"]["fail_tag_add"] = true;
  Save(j);
  const RunResult r = Esxcli("network ip interface tag add -i vmk2 -t vSphereBackupNFC");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: Unable to add tag vSphereBackupNFC to vmk2: Sysinfo error: Failure\n");
  EXPECT_TRUE(Tags("vmk2").empty());
  // remove still works; a string gives the message.
  j["faults"]["fail_tag_add"] = "Error: Operation timed out";
  Save(j);
  EXPECT_EQ(Esxcli("network ip interface tag add -i vmk2 -t VMotion").err,
            "Error: Operation timed out\n");
  EXPECT_EQ(Esxcli("network ip interface tag remove -i vmk0 -t Management").code, 0);
}

TEST_F(EsxsimCli, HostdDownBreaksEsxcliButNotLocalcli) {
  Json j = BaseState();
  j["faults"]["hostd_down"] = true;
  Save(j);
  const RunResult e = Esxcli("system version get");
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.out, "");
  EXPECT_EQ(e.err, "Connect to localhost failed: Connection failure.\n");
  const RunResult l = Esxcli("system version get", "localcli");
  EXPECT_EQ(l.code, 0);
  EXPECT_NE(l.out.find("   Product: VMware ESXi\n"), std::string::npos);
  // Parsing still comes first: help works while hostd is down.
  EXPECT_EQ(Esxcli("system version get --help").code, 0);
}

TEST_F(EsxsimCli, LatencyPerCommandOrWildcard) {
  Json j = BaseState();
  j["faults"]["latency"] = {{"*", "200ms"}, {"network ip interface tag get", "1.5s"}};
  Save(j);
  Esxcli("network ip interface tag get -i vmk0");
  Esxcli("system version get");
  Esxcli("network ip interface tag", "esxcli");  // usage: no state, no latency
  EXPECT_EQ(sys_.sleeps, (std::vector<int64_t>{1500, 200}));
  j["faults"]["latency"] = {{"*", "soon"}};
  Save(j);
  EXPECT_NE(Esxcli("system version get").err.find("state.faults.latency.*"), std::string::npos);
}

TEST_F(EsxsimCli, GarbleTruncatesOrCorrupts) {
  const std::string clean = Esxcli("network ip interface list").out;
  Json j = BaseState();
  j["faults"]["garble"] = {{"network ip interface list", "truncate"}};
  Save(j);
  EXPECT_EQ(Esxcli("network ip interface list").out, clean.substr(0, clean.size() / 2));
  EXPECT_EQ(Esxcli("system version get").out.find("Product"), 3u) << "other commands unharmed";
  j["faults"]["garble"] = {{"network ip interface list", "garbage"}};
  Save(j);
  const std::string g = Esxcli("network ip interface list").out;
  EXPECT_EQ(g.size(), clean.size());
  EXPECT_NE(g, clean);
  EXPECT_EQ(g.substr(0, clean.size() / 3), clean.substr(0, clean.size() / 3));
  j["faults"]["garble"] = {{"network ip interface list", "shred"}};
  Save(j);
  EXPECT_NE(Esxcli("network ip interface list").err.find("expected \"truncate\" or \"garbage\""),
            std::string::npos);
}

// ---- live mode (kernel view from the fake) ----

TEST_F(EsxsimCli, LiveModeTakesAddressesMtuMacAndStateFromKernel) {
  Json j = BaseState();
  j["live"] = true;
  Save(j);
  KernelInterface k;
  k.name = "vmk2";
  k.mac = "0a:00:00:00:00:02";
  k.mtu = 1500;
  k.up = true;
  k.ipv4 = "10.99.0.12";
  k.netmask = "255.255.0.0";
  sys_.interfaces = {k};
  const std::string list = Esxcli("network ip interface list").out;
  EXPECT_NE(list.find("vmk2\n   Name: vmk2\n   MAC Address: 0a:00:00:00:00:02\n   Enabled: true\n"),
            std::string::npos)
      << list;
  EXPECT_NE(
      list.find("vmk0\n   Name: vmk0\n   MAC Address: 00:50:56:aa:00:00\n   Enabled: false\n"),
      std::string::npos)
      << "no kernel interface vmk0: shown disabled\n"
      << list;
  EXPECT_NE(Esxcli("network ip interface ipv4 get -i vmk2")
                .out.find("vmk2  10.99.0.12    255.255.0.0   10.99.255.255"),
            std::string::npos);
  KernelNeighbor n;
  n.ip = "10.99.0.100";
  n.mac = "0a:00:00:00:01:00";
  n.ifname = "vmk2";
  n.updated_age_s = 20;
  KernelNeighbor other = n;
  other.ifname = "eth9";
  sys_.neighbors = {n, other};
  EXPECT_EQ(Esxcli("network ip neighbor list").out,
            "Neighbor     Mac Address        Vmknic    Expiry  State  Type\n"
            "-----------  -----------------  ------  --------  -----  ----\n"
            "10.99.0.100  0a:00:00:00:01:00  vmk2    1180 sec         Dynamic\n");
}

// ---- vmkping (static) ----

TEST_F(EsxsimCli, VmkpingTimeoutPrintsFullLossAndFails) {
  const RunResult r = Vmkping({"-I", "vmk2", "-c", "2", "10.99.0.200"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out,
            "PING 10.99.0.200 (10.99.0.200): 56 data bytes\n\n"
            "--- 10.99.0.200 ping statistics ---\n"
            "2 packets transmitted, 0 packets received, 100% packet loss\n");
}

TEST_F(EsxsimCli, VmkpingDefaultTargetsAreNeighborsAndJumboFitsVmk2) {
  const RunResult r = Vmkping({"-I", "vmk2", "-d", "-s", "8972", "-c", "1", "10.99.0.100"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("8980 bytes from 10.99.0.100: icmp_seq=0 ttl=64 time=0.200 ms\n"),
            std::string::npos)
      << r.out;
  const RunResult big = Vmkping({"-I", "vmk2", "-d", "-s", "8973", "-c", "1", "10.99.0.100"});
  EXPECT_NE(big.code, 0);
  EXPECT_NE(big.out.find("sendto() failed (Message too long)\n"), std::string::npos);
}

TEST_F(EsxsimCli, VmkpingArgumentErrors) {
  EXPECT_EQ(Vmkping({"-I", "vmk9", "10.99.0.100"}).err,
            "Unknown interface 'vmk9': Invalid argument\n");
  EXPECT_EQ(Vmkping({}).code, 1);
  EXPECT_NE(Vmkping({}).err.find("vmkping [args] [host]"), std::string::npos);
  EXPECT_EQ(Vmkping({"-c", "zero", "10.99.0.100"}).err, "vmkping: invalid count: zero\n");
  EXPECT_EQ(Vmkping({"-Q", "10.99.0.100"}).code, 1);
}

TEST(EsxsimDuration, Parses) {
  EXPECT_EQ(*ParseDurationMs("1.5s"), 1500);
  EXPECT_EQ(*ParseDurationMs("200ms"), 200);
  EXPECT_EQ(*ParseDurationMs("2"), 2000);
  EXPECT_EQ(*ParseDurationMs("0s"), 0);
  EXPECT_FALSE(ParseDurationMs("fast").ok());
  EXPECT_FALSE(ParseDurationMs("1h").ok());
  EXPECT_FALSE(ParseDurationMs("-1s").ok());
}

TEST(EsxsimDispatch, ArgvZeroSelectsThePersonality) {
  Env env;
  EXPECT_EQ(RunMain({"/x/y/esxcli", "nope"}, env).err,
            "Error: Unknown command or namespace nope\n");
  EXPECT_NE(RunMain({"esxsim", "localcli", "--help"}, env).out.find("Usage: localcli"),
            std::string::npos);
  EXPECT_EQ(RunMain({"esxsim"}, env).code, 1);
  EXPECT_NE(RunMain({"notaname"}, env).err.find("unknown personality"), std::string::npos);
}

}  // namespace
}  // namespace esxsim
