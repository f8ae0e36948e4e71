// A small command-line kit: each command declares its options and operands once; parsing refuses
// what is not declared (unknown options, missing values, extra operands) and `COMMAND --help`
// (or -h) prints the command's own help, exit codes included, before any config is read.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::cli {

struct Option {
  std::string name;        // without the dashes: "config"
  std::string value_name;  // "FILE"; empty for a flag
  std::string help;
  bool repeated = false;  // may be given several times
};

struct Command {
  std::string name;      // the command words: "keys accept"
  std::string operands;  // synopsis of the operands: "HOST"
  std::string summary;   // one sentence
  std::vector<Option> options;
  size_t min_operands = 0;
  size_t max_operands = 0;  // SIZE_MAX: any number
  std::string exit_codes;   // lines "  0  ...", shown under "Exit status:"
  int usage_exit = 2;       // the status for a usage error
};

struct Parsed {
  std::vector<std::string> operands;
  std::multimap<std::string, std::string> values;  // flags have the value "true"
  bool help = false;
  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
};

// Parses the words after the command words. --name VALUE, --name=VALUE, flags; "--" ends options.
// -h and --help set `help` (and nothing else is checked then).
Expected<Parsed> Parse(const Command& command, const std::vector<std::string>& words);
// "usage: PROGRAM NAME [OPTIONS] OPERANDS", the summary, the options and the exit status.
std::string Help(const std::string& program, const Command& command);

}  // namespace bnfc::cli
