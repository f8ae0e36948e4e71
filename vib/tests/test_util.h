// Helpers shared by the bnfc-vib tests: fixtures, temporary folders, VIB surgery.
#pragma once

#include <string>
#include <vector>

#include "bnfc/vib/ar.h"
#include "bnfc/vib/problem.h"

namespace bnfc::vib::testing {

std::string SourceDir();
// Third-party VIBs live next to the repository, never in it: BNFC_FIXTURES_DIR/vib/<name>, else
// <source>/../shared/fixtures/vib/<name>.
std::string FixturePath(const std::string& name);
std::string Fixture(const std::string& name);  // its bytes
std::string MakeTempDir();                     // removed by RemoveTree
void RemoveTree(const std::string& dir);
void WriteFile(const std::string& path, const std::string& data, unsigned mode = 0644);

// The members of an ar archive, as (name, bytes), so tests can edit and re-pack them.
std::vector<ArInput> Members(const std::string& ar);
std::string Pack(const std::vector<ArInput>& members);
std::string Replace(std::string s, const std::string& from, const std::string& to);

bool HasCode(const Problems& p, const std::string& code);
std::vector<std::string> ErrorCodes(const Problems& p);
std::string Describe(const Problems& p);  // for assertion messages

}  // namespace bnfc::vib::testing
