#include "bnfc/cli.h"

#include <cstdint>

namespace bnfc::cli {

std::string Parsed::Get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

std::vector<std::string> Parsed::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  for (auto [it, end] = values.equal_range(name); it != end; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Expected<Parsed> Parse(const Command& c, const std::vector<std::string>& words) {
  Parsed p;
  auto usage = [&](const std::string& why) -> Expected<Parsed> {
    return Unexpected(ErrorCode::kInvalidArgument,
                      c.name + ": " + why + " (see `" + c.name + " --help`)");
  };
  bool options_done = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (options_done || w.empty() || w[0] != '-' || w == "-") {
      p.operands.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      continue;
    }
    if (w == "-h" || w == "--help") {
      p.help = true;
      return p;
    }
    if (w.rfind("--", 0) != 0) {
      return usage("unknown option '" + w + "'");
    }
    std::string name = w.substr(2);
    std::string value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const Option* o = nullptr;
    for (const auto& candidate : c.options) {
      o = candidate.name == name ? &candidate : o;
    }
    if (o == nullptr) {
      return usage("unknown option '--" + name + "'");
    }
    if (o->value_name.empty()) {
      if (inline_value) {
        return usage("option --" + name + " takes no value");
      }
      value = "true";
    } else if (!inline_value) {
      if (i + 1 >= words.size()) {
        return usage("option --" + name + " needs a value (" + o->value_name + ")");
      }
      value = words[++i];
    }
    if (!o->repeated && p.Has(name)) {
      return usage("option --" + name + " given twice");
    }
    p.values.emplace(name, value);
  }
  // Later checks of this command's rules; --help short-circuits above.
  if (p.operands.size() < c.min_operands) {
    return usage(c.operands.empty() ? "missing operand" : "missing " + c.operands);
  }
  if (p.operands.size() > c.max_operands) {
    return usage("unexpected argument '" + p.operands[c.max_operands] + "'");
  }
  return p;
}

std::string Help(const std::string& program, const Command& c) {
  std::string out = "usage: " + program + " " + c.name + (c.options.empty() ? "" : " [OPTIONS]") +
                    (c.operands.empty() ? "" : " " + c.operands) + "\n\n" + c.summary + "\n";
  out += "\nOptions:\n";
  for (const auto& o : c.options) {
    std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    if (o.repeated) {
      left += " ...";
    }
    out += left + std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') + o.help + "\n";
  }
  out += std::string("  -h, --help") + std::string(28 - 12, ' ') + "this text\n";
  out += "\nExit status:\n" + c.exit_codes;
  if (!c.exit_codes.empty() && c.exit_codes.back() != '\n') {
    out += "\n";
  }
  return out;
}

}  // namespace bnfc::cli
