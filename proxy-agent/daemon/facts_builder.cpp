#include "facts_builder.h"

namespace bnfc::proxyd {

report::MappingFacts MappingFactsOf(const pin::MapResult& m,
                                    const std::vector<pin::LocalAddress>& local) {
  report::MappingFacts f;
  f.ran = true;
  f.finding = m.finding;
  f.management_excluded = m.management_excluded;
  f.detail = m.detail;
  if (m.ok && m.detail.empty())
    f.detail = m.manual ? "mapping line names " + m.interface
                        : "automatic: the subnet of " + m.interface + " holds it";
  f.interface = m.interface;
  f.l2_adjacent = m.l2_adjacent;
  f.interface_mtu = static_cast<uint32_t>(m.mtu);
  if (m.via)
    f.via = m.via->ToString();
  if (m.ok) {
    f.source_address = m.source.ToString();
    for (const auto& a : local) {
      if (a.ifindex == m.ifindex)
        f.interface_mac = a.mac;
    }
  }
  return f;
}

std::vector<std::string> DuplicatesOf(const HostFactsTable& hosts, const std::string& host_id) {
  std::vector<std::string> out;
  auto me = hosts.find(host_id);
  if (me == hosts.end() || me->second.nfc.text.empty())
    return out;
  for (const auto& [id, h] : hosts) {
    if (id != host_id && h.nfc.text == me->second.nfc.text)
      out.push_back(id);
  }
  return out;
}

namespace {

template <typename T>
const T* Find(const std::map<std::string, T>& m, const std::string& id) {
  auto it = m.find(id);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

std::vector<report::PairFacts> BuildPairFacts(const FactsBuilderOptions& options,
                                              const HostFactsTable& hosts, const HostMappings& maps,
                                              const std::map<std::string, report::PinFacts>& pins,
                                              const Observations& seen,
                                              const std::vector<pin::LocalAddress>& local,
                                              int64_t now_ms) {
  std::vector<report::PairFacts> all;
  for (const auto& [id, h] : hosts) {
    report::PairFacts f;
    f.proxy_id = options.proxy_id;
    f.host_id = id;
    f.has_report = true;
    f.report_age_ms = now_ms - h.received_ms;
    f.observed_unix_ms = now_ms;
    f.freshness_limit_ms = options.freshness_ms;
    f.host = h.host;
    if (h.l2_checks)
      f.host.checks = *h.l2_checks;
    f.allow_public_plaintext = options.allow_public_plaintext;
    f.duplicate_hosts = DuplicatesOf(hosts, id);
    f.source_disagreement = h.source_disagreement;
    if (const HostMapping* hm = Find(maps, id)) {
      f.path = hm->path;
      f.mapping = MappingFactsOf(hm->map, local);
      if (hm->map.ok) {
        if (const auto* p = Find(pins, id))
          f.pin = *p;
        if (const auto* c = Find(seen.connect, id))
          f.connect = *c;
        if (const auto* n = Find(seen.neighbor, id))
          f.neighbor = *n;
        if (const auto* d = Find(seen.df, id))
          f.proxy_df = *d;
      }
    }
    if (const auto* fl = Find(seen.flows, id))
      f.flows = *fl;
    all.push_back(std::move(f));
  }
  return all;
}

}  // namespace bnfc::proxyd
