#include "verdict.h"

#include <algorithm>

#include "bnfc/net.h"

namespace bnfc::proxyd {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kIsolated:
      return "ISOLATED";
    case Verdict::kDegraded:
      return "DEGRADED";
    case Verdict::kUnknown:
      return "UNKNOWN";
    case Verdict::kUnreachable:
      return "UNREACHABLE";
    case Verdict::kNotIsolated:
      return "NOT_ISOLATED";
  }
  return "UNKNOWN";
}

namespace {

const proto::Vmknic* FindVmknic(const proto::HostReport& r, const std::string& name) {
  for (const auto& v : r.vmknics()) {
    if (v.name() == name)
      return &v;
  }
  return nullptr;
}

bool HasTag(const proto::Vmknic& v, const std::string& tag) {
  return std::find(v.tags().begin(), v.tags().end(), tag) != v.tags().end();
}

bool IsPublicText(const std::string& text) {
  auto a = net::IpAddress::Parse(text);
  return a.ok() && net::IsPublic(*a);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

PairResult Evaluate(const PairFacts& f) {
  PairResult out;
  out.host_id = f.host_id;
  out.interface = f.interface;
  auto add = [&](const char* code, std::string detail, Verdict implies, std::string evidence = "") {
    out.findings.push_back({code, std::move(detail), std::move(evidence), implies});
  };
  if (!f.has_report) {
    add("NO_REPORT",
        "No report from this enrolled host yet; check that bnfc-hostd runs and reaches "
        "the proxy's control port.",
        Verdict::kUnknown);
  } else if (!f.fresh) {
    add("HOST_STALE",
        "The last report is " + std::to_string(f.report_age_ms / 1000) +
            " s old; the host agent stopped or cannot reach the proxy. The pin is kept.",
        Verdict::kUnknown);
  }
  if (f.has_report) {
    const auto& r = f.report;
    out.nfc_address = r.nfc_address();
    const proto::Vmknic* tagged = FindVmknic(r, r.nfc_vmknic());
    if (r.nfc_vmknic().empty() || tagged == nullptr) {
      add("TAG_MISSING",
          "No vmknic carries vSphereBackupNFC, so vCenter hands out vmk0's management address " +
              r.nfc_address() + "; tag the backup vmknic (tag_policy = ensure).",
          Verdict::kNotIsolated);
    } else {
      if (HasTag(*tagged, "Management") || r.nfc_vmknic() == r.management_vmknic() ||
          r.nfc_vmknic() == "vmk0") {
        add(r.failover_active() ? "FAILOVER_ACTIVE" : "TAG_ON_MANAGEMENT",
            r.failover_active()
                ? "Failover moved vSphereBackupNFC to the management vmknic " + r.nfc_vmknic() +
                      " because the backup path failed; NBD crosses management until it recovers."
                : "vSphereBackupNFC is on the management vmknic " + r.nfc_vmknic() +
                      "; NBD crosses the management network. Move the tag to the backup vmknic.",
            Verdict::kNotIsolated);
      }
      if (tagged->netstack() != "defaultTcpipStack") {
        add("WRONG_NETSTACK",
            "The tagged vmknic " + r.nfc_vmknic() + " is on the " + tagged->netstack() +
                " stack; NFC serves only the default TCP/IP stack. Tag a default-stack vmknic.",
            Verdict::kNotIsolated);
      }
    }
    for (const auto& p : r.problems()) {
      if (p.code() == "BACKUP_VMK_NOT_FOUND" || p.code() == "BACKUP_VMK_IS_VMK0") {
        add(p.code().c_str(), p.detail(), Verdict::kDegraded, p.evidence());
      }
    }
    if (!f.mapped) {
      add(f.map_finding.empty() ? "NO_MAPPING" : f.map_finding.c_str(),
          f.map_detail + "; without a backup interface NBD follows the proxy's default route.",
          Verdict::kNotIsolated);
    } else if (f.map_finding == "NOT_L2_ADJACENT") {
      add("NOT_L2_ADJACENT", f.map_detail, Verdict::kNotIsolated);
    } else if (f.map_finding == "INTERFACE_DOWN") {
      add("INTERFACE_DOWN", f.map_detail + "; bring it up.", Verdict::kUnreachable);
    }
    if (f.mapped) {
      const proto::L2Check* check = nullptr;
      for (const auto& c : r.checks()) {
        if (c.proxy_address() == f.proxy_address)
          check = &c;
      }
      if (check == nullptr || !check->ran()) {
        add("CHECK_NOT_RUN",
            "The host has not yet checked the proxy address " + f.proxy_address +
                " from its backup vmknic; wait one host interval.",
            Verdict::kUnknown, check ? check->evidence() : "");
      } else {
        if (!check->in_subnet()) {
          add("NOT_L2_ADJACENT",
              f.proxy_address + " is outside the subnet of " + check->vmknic() +
                  "; replies would leave through vmk0's gateway. Put both on one segment.",
              Verdict::kNotIsolated, check->evidence());
        } else if (check->ping_received() == 0) {
          add("PING_FAILED",
              check->vmknic() + " cannot reach " + f.proxy_address +
                  " (vmkping 0 replies): wrong VLAN or segment, or the proxy interface is down.",
              Verdict::kUnreachable, check->evidence());
        } else if (!check->df_at_mtu_ok()) {
          add("MTU_MISMATCH",
              "A DF probe at MTU " + std::to_string(check->expected_mtu()) +
                  " fails (largest payload that passes: " +
                  std::to_string(check->largest_df_payload()) +
                  "); align MTU on vmknic, switch ports and proxy.",
              Verdict::kDegraded, check->evidence());
        }
        if (check->ping_received() > 0 && !f.proxy_mac.empty() &&
            Lower(check->neighbor_mac()) != Lower(f.proxy_mac)) {
          add("MAC_MISMATCH",
              "The host's neighbor entry for " + f.proxy_address + " is " +
                  (check->neighbor_mac().empty() ? "missing" : check->neighbor_mac()) +
                  " but the proxy interface is " + f.proxy_mac + ".",
              check->neighbor_mac().empty() ? Verdict::kUnknown : Verdict::kNotIsolated);
        }
      }
      if (!f.neighbor_checked || f.neighbor_mac.empty()) {
        add("NEIGHBOR_MISSING",
            "The proxy has no neighbor entry for " + r.nfc_address() + " on " + f.interface +
                ", so adjacency is not proven from the proxy side.",
            Verdict::kUnknown);
      } else if (tagged != nullptr && Lower(f.neighbor_mac) != Lower(tagged->mac())) {
        add("MAC_MISMATCH",
            "The proxy sees " + r.nfc_address() + " at " + f.neighbor_mac + " but " +
                r.nfc_vmknic() + " reports " + tagged->mac() +
                ": another device answers for that address.",
            Verdict::kNotIsolated);
      }
      if (!f.pin_installed) {
        add("PIN_MISSING", "No pinned route for " + r.nfc_address() + " via " + f.interface + ".",
            Verdict::kDegraded);
      }
    }
    if (!f.flows_checked) {
      add("CHECK_NOT_RUN", "The TCP/902 flow audit did not run.", Verdict::kUnknown);
    } else if (f.flows_off_backup > 0) {
      add("FLOW_OFF_BACKUP",
          std::to_string(f.flows_off_backup) +
              " TCP/902 flow(s) to this host leave through another interface than " + f.interface +
              ".",
          Verdict::kNotIsolated, f.flow_evidence);
    }
    if (!f.same_address_hosts.empty()) {
      add("DUPLICATE_NFC_ADDRESS",
          "Host " + f.same_address_hosts[0] + " reports the same NFC address " + r.nfc_address() +
              "; fix the address plan.",
          Verdict::kNotIsolated);
    }
    if (!f.allow_public_plaintext &&
        (IsPublicText(r.nfc_address()) || IsPublicText(f.proxy_address))) {
      out.encryption_recommended = true;
      add("PUBLIC_ADDRESS_PLAINTEXT",
          "An address of this pair is outside RFC 1918 space; use NBDSSL transport (or set "
          "allow_public_plaintext if the network is private anyway).",
          Verdict::kDegraded);
    }
  }
  out.verdict = Verdict::kIsolated;
  for (const auto& fi : out.findings) {
    out.verdict = std::max(out.verdict, fi.implies);
  }
  return out;
}

}  // namespace bnfc::proxyd
