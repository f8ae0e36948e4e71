#include "host_facts.h"

namespace bnfc::proxyd {

const char* FactsSourceName(FactsSource s) {
  return s == FactsSource::kVsphere ? "vsphere" : "agent";
}

AddressFact AddressFact::Of(const std::string& text) {
  AddressFact a;
  a.text = text;
  if (auto ip = net::IpAddress::Parse(text))
    a.ip = *ip;
  return a;
}

}  // namespace bnfc::proxyd
