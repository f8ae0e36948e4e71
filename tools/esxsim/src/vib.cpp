#include "esxsim/vib.h"

#include <expat.h>

#include <cstdlib>
#include <map>

#include "bnfc/fs.h"

namespace esxsim {

using bnfc::ErrorCode;
using bnfc::Expected;
using bnfc::Unexpected;

namespace {

struct Level {
  const char* word;
  const char* display;
  int rank;
};
const Level kLevels[] = {{"certified", "VMwareCertified", 4},
                         {"accepted", "VMwareAccepted", 3},
                         {"partner", "PartnerSupported", 2},
                         {"community", "CommunitySupported", 1}};

const Level* FindLevel(const std::string& level) {
  for (const Level& l : kLevels) {
    if (level == l.word || level == l.display) {
      return &l;
    }
  }
  return nullptr;
}

// Collects the text of the direct children of the root element.
struct DescriptorParse {
  int depth = 0;
  std::string current;
  std::string text;
  std::map<std::string, std::string> fields;
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char**) {
  auto* p = static_cast<DescriptorParse*>(data);
  ++p->depth;
  if (p->depth == 2) {
    p->current = name;
    p->text.clear();
  }
}

void XMLCALL OnEnd(void* data, const XML_Char*) {
  auto* p = static_cast<DescriptorParse*>(data);
  if (p->depth == 2 && p->fields.count(p->current) == 0) {
    p->fields[p->current] = p->text;
  }
  --p->depth;
}

void XMLCALL OnText(void* data, const XML_Char* s, int len) {
  auto* p = static_cast<DescriptorParse*>(data);
  if (p->depth == 2) {
    p->text.append(s, static_cast<size_t>(len));
  }
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return "";
  }
  const size_t e = s.find_last_not_of(" \t\r\n/");
  return s.substr(b, e - b + 1);
}

Unexpected FormatError(const std::string& why) {
  return Unexpected(ErrorCode::kParse, " [VibFormatError]\n " + why +
                                           "\n Please refer to the log file for more details.\n");
}

}  // namespace

int AcceptanceRank(const std::string& level) {
  const Level* l = FindLevel(level);
  return l ? l->rank : 0;
}

std::string AcceptanceWord(const std::string& level) {
  const Level* l = FindLevel(level);
  return l ? l->word : level;
}

std::string AcceptanceDisplay(const std::string& level) {
  const Level* l = FindLevel(level);
  return l ? l->display : level;
}

Expected<Vib> ParseVib(const std::string& bytes) {
  if (bytes.compare(0, 8, "!<arch>\n") != 0) {
    return FormatError("not an ar archive (no \"!<arch>\" magic)");
  }
  size_t off = 8;
  std::string descriptor;
  bool found = false;
  while (off + 60 <= bytes.size()) {
    const std::string name = Trim(bytes.substr(off, 16));
    const std::string size_text = Trim(bytes.substr(off + 48, 10));
    char* end = nullptr;
    const unsigned long long size = std::strtoull(size_text.c_str(), &end, 10);
    if (size_text.empty() || *end != '\0' || off + 60 + size > bytes.size()) {
      return FormatError("ar member header at byte " + std::to_string(off) + " is damaged");
    }
    if (name == "descriptor.xml") {
      descriptor = bytes.substr(off + 60, size);
      found = true;
      break;
    }
    off += 60 + size + (size & 1);
  }
  if (!found) {
    return FormatError("the archive has no descriptor.xml member");
  }
  DescriptorParse p;
  XML_Parser parser = XML_ParserCreate(nullptr);
  XML_SetUserData(parser, &p);
  XML_SetElementHandler(parser, OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser, OnText);
  const bool ok = XML_Parse(parser, descriptor.data(), static_cast<int>(descriptor.size()), 1) != 0;
  std::string xml_error;
  if (!ok) {
    xml_error = std::string(XML_ErrorString(XML_GetErrorCode(parser))) + " at line " +
                std::to_string(XML_GetCurrentLineNumber(parser));
  }
  XML_ParserFree(parser);
  if (!ok) {
    return FormatError("descriptor.xml: " + xml_error);
  }
  Vib v;
  v.name = Trim(p.fields["name"]);
  v.version = Trim(p.fields["version"]);
  v.vendor = Trim(p.fields["vendor"]);
  v.acceptance_level = AcceptanceDisplay(Trim(p.fields["acceptance-level"]));
  if (v.name.empty() || v.version.empty() || v.vendor.empty()) {
    return FormatError("descriptor.xml lacks <name>, <version> or <vendor>");
  }
  return v;
}

Expected<Vib> ReadVibFile(const std::string& url) {
  std::string path = url;
  if (path.compare(0, 7, "file://") == 0) {
    path = path.substr(7);
  } else if (path.compare(0, 5, "file:") == 0) {
    path = path.substr(5);
  }
  auto bytes = bnfc::fs::ReadFile(path, 512u << 20);
  if (!bytes.ok()) {
    return Unexpected(ErrorCode::kNotFound,
                      " [VibDownloadError]\n ('" + url +
                          "', '', \"[Errno 2] No such file or "
                          "directory: '" +
                          path + "'\")\n url = " + url +
                          "\n Please refer to the log file for more details.\n");
  }
  return ParseVib(*bytes);
}

}  // namespace esxsim
