// Reading what `esxcli software vib install -v FILE` would install: the VIB's descriptor.xml
// (name, version, vendor, acceptance level) from the ar archive.
#pragma once

#include <string>

#include "bnfc/expected.h"
#include "esxsim/state.h"

namespace esxsim {

// `url` is a path or a file: URL. Errors carry ESXi-style text ready to print.
bnfc::Expected<Vib> ReadVibFile(const std::string& url);
// Parses the bytes of a VIB (ar archive with descriptor.xml).
bnfc::Expected<Vib> ParseVib(const std::string& bytes);

// "certified"/"VMwareCertified" -> 4 ... "community"/"CommunitySupported" -> 1; 0 if unknown.
int AcceptanceRank(const std::string& level);
// The short word ESXi uses in messages ("partner"), and the display name ("PartnerSupported").
std::string AcceptanceWord(const std::string& level);
std::string AcceptanceDisplay(const std::string& level);

}  // namespace esxsim
