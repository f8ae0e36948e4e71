#include "pin_stage.h"

#include <set>

#include "bnfc/log.h"

namespace bnfc::proxyd {

std::string PinReason(const pin::MapResult& m) {
  if (!m.ok)
    return "not pinned: " + m.finding + ": " + m.detail;
  if (!m.l2_adjacent)
    return "manual mapping via " + (m.via ? m.via->ToString() : "");
  return m.manual ? "mapping line: " + m.interface
                  : "automatic: the subnet of " + m.interface + " holds it";
}

bool PinStage::Want(pin::PinTable& table, const HostFacts& host, const pin::MapResult& map,
                    int64_t now_ms) const {
  if (!map.ok || !host.nfc.ip || !lifetimes_.Pinned(host.received_ms, now_ms)) {
    table.Remove(host.host_id);
    return false;
  }
  table.Update({host.host_id, *host.nfc.ip, map.interface, map.ifindex, map.via, map.source,
                host.received_ms});
  return true;
}

PinOutcome PinStage::Run(const HostFactsTable& hosts, const HostMappings& maps,
                         const std::vector<pin::LocalAddress>& local, int64_t now_ms) {
  PinOutcome out;
  pin::PinTable table;
  for (const auto& [id, h] : hosts) {
    if (!lifetimes_.Pinned(h.received_ms, now_ms))
      continue;  // silent for longer than the TTL: no pin, no row
    const pin::MapResult& m = maps.at(id).map;
    Want(table, h, m, now_ms);
    out.rows.push_back(
        {id, h.nfc.text, m.interface, m.ok ? m.source.ToString() : "", false, PinReason(m)});
  }
  table_ = table;
  const auto desired = table_.Desired();
  out.desired = desired.size();
  auto rec = pin::Reconcile(kernel_, own_, desired);
  out.dumps = 1;
  Expected<pin::KernelState> have = Unexpected(ErrorCode::kIo, "not read");
  if (!rec) {
    out.error = "pin reconcile failed: " + rec.error().message;
    have = rec.error();
  } else {
    for (const auto& refused : rec->refused)
      out.error += (out.error.empty() ? "the kernel refused: " : "; ") + refused;
    if (rec->unchanged) {
      have = std::move(rec->before);  // nothing changed since that dump: it is the read-back
    } else {
      have = kernel_.DumpOwned(own_);  // the kernel may have refused part of the change
      out.dumps++;
    }
  }
  if (out.error != last_error_ && !out.error.empty())
    log::Warn(out.error);  // once per change, not every interval
  last_error_ = out.error;

  std::map<int, std::string> ifnames;
  for (const auto& a : local)
    ifnames[a.ifindex] = a.interface;
  std::map<std::string, std::string> evidence;  // installed destination -> read-back line
  if (have) {
    for (const auto& r : have->routes) {
      if (r.table != 0 || r.length >= 0)
        continue;
      const std::string dst = r.destination.ToString();
      auto n = ifnames.find(r.ifindex);
      evidence[dst] = dst + " dev " + (n != ifnames.end() ? n->second : std::to_string(r.ifindex)) +
                      (r.gateway ? " via " + r.gateway->ToString() : "") +
                      (r.source ? " src " + r.source->ToString() : "") + " table " +
                      std::to_string(own_.table) + " proto " + std::to_string(own_.protocol) +
                      " (read back from the kernel)";
    }
  }
  out.installed = evidence.size();
  for (auto& row : out.rows)
    row.installed = evidence.count(row.nfc_address) > 0;
  for (const auto& [id, h] : hosts) {
    auto it = maps.find(id);
    if (it == maps.end() || !it->second.map.ok)
      continue;
    report::PinFacts p;
    p.ran = have.ok();
    p.installed = evidence.count(h.nfc.text) > 0;
    if (auto ev = evidence.find(h.nfc.text); ev != evidence.end())
      p.evidence = ev->second;
    else
      p.evidence = have.ok() ? "no route for " + h.nfc.text + " in table " +
                                   std::to_string(own_.table) + " (read back)"
                             : have.error().message;
    if (!out.error.empty())
      p.evidence += "\n" + out.error;
    out.facts[id] = std::move(p);
  }
  return out;
}

Expected<pin::ReconcileResult> PinStage::Repin(const HostFacts& host, const pin::MapResult& map,
                                               int64_t now_ms) {
  pin::PinTable table = table_;
  Want(table, host, map, now_ms);
  auto rec = pin::Reconcile(kernel_, own_, table.Desired());
  if (rec)
    table_ = std::move(table);
  return rec;
}

void PinStage::Stop(bool retain) {
  if (retain) {
    log::Info("stopping; pins retained");
    return;
  }
  auto r = pin::Pinner(kernel_, own_).Stop(false);
  log::Info(r ? "stopping; removed " + std::to_string(r->removed) + " pinned route(s)/rule(s)"
              : "stopping; could not remove pins: " + r.error().message);
}

}  // namespace bnfc::proxyd
