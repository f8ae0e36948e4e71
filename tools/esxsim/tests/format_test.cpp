// Formatter rules (docs/esxsim.md "Formatting"), checked against real captures of commands that
// esxsim does not implement but whose layout follows the same rules.
#include "esxsim/format.h"

#include <expat.h>

#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "test_util.h"

namespace esxsim {
namespace {

using esxsim_test::Fixture;

// ---- a tiny XML tree, to turn real esxcli XML captures back into Values ----
struct Node {
  std::string name;
  std::string attr;  // typeName / name / type
  std::string text;
  std::vector<std::unique_ptr<Node>> children;
  Node* parent = nullptr;
};

struct TreeBuilder {
  std::unique_ptr<Node> root = std::make_unique<Node>();
  Node* cur = root.get();
};

void XMLCALL Start(void* d, const XML_Char* name, const XML_Char** atts) {
  auto* b = static_cast<TreeBuilder*>(d);
  auto n = std::make_unique<Node>();
  n->name = name;
  for (int i = 0; atts[i] != nullptr; i += 2) {
    if (std::string(atts[i]) != "xmlns") {
      n->attr = atts[i + 1];
    }
  }
  n->parent = b->cur;
  b->cur->children.push_back(std::move(n));
  b->cur = b->cur->children.back().get();
}
void XMLCALL End(void* d, const XML_Char*) {
  auto* b = static_cast<TreeBuilder*>(d);
  b->cur = b->cur->parent;
}
void XMLCALL Text(void* d, const XML_Char* s, int len) {
  static_cast<TreeBuilder*>(d)->cur->text.append(s, static_cast<size_t>(len));
}

Value ToValue(const Node& n);

Structure ToStructure(const Node& n) {
  Structure s{n.attr, {}};
  for (const auto& f : n.children) {
    s.Add(f->attr, ToValue(*f->children.at(0)), f->attr);
  }
  return s;
}

Value ToValue(const Node& n) {
  if (n.name == "string") {
    return Value::Str(n.text);
  }
  if (n.name == "integer") {
    return Value::Int(std::stoll(n.text));
  }
  if (n.name == "boolean") {
    return Value::Bool(n.text == "true");
  }
  if (n.name == "structure") {
    return Value::Struct(ToStructure(n));
  }
  if (n.attr == "string") {
    std::vector<std::string> items;
    for (const auto& c : n.children) {
      items.push_back(c->text);
    }
    return Value::StrList(items);
  }
  std::vector<Structure> list;
  for (const auto& c : n.children) {
    list.push_back(ToStructure(*c));
  }
  return Value::List(list);
}

// Parses an esxcli XML document into the Output it encodes.
Output FromXml(const std::string& xml) {
  TreeBuilder b;
  XML_Parser p = XML_ParserCreate(nullptr);
  XML_SetUserData(p, &b);
  XML_SetElementHandler(p, Start, End);
  XML_SetCharacterDataHandler(p, Text);
  EXPECT_NE(XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1), 0);
  XML_ParserFree(p);
  const Node& root = *b.root->children.at(0)->children.at(0);  // output/root
  Output o;
  o.value = ToValue(*root.children.at(0));
  o.shape = o.value.kind == Value::Kind::kStructureList ? TextShape::kTable : TextShape::kSingle;
  return o;
}

TEST(EsxsimFormatXml, ReproducesRealNicListCaptureByteForByte) {
  const std::string xml = Fixture("network_nic_list.esxi80.xml");
  EXPECT_EQ(FormatXml(FromXml(xml)), xml);
}

TEST(EsxsimFormatXml, ReproducesNestedStructureAndStringListCapture) {
  const std::string xml = Fixture("network_nic_get.esxi80.xml");
  EXPECT_EQ(FormatXml(FromXml(xml)), xml);
}

TEST(EsxsimFormatXml, ReproducesVmProcessListCapture) {
  const std::string xml = Fixture("vm_process_list.esxi80.xml");
  EXPECT_EQ(FormatXml(FromXml(xml)), xml);
}

TEST(EsxsimFormatXml, SortsFieldKeysAsciiUppercaseFirst) {
  Structure s{"T", {}};
  s.Add("Description", Value::Str("d"));
  s.Add("DPU Id", Value::Str("x"), "DPUId");
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(s);
  const std::string xml = FormatXml(o);
  EXPECT_LT(xml.find("\"DPUId\""), xml.find("\"Description\""));
  EXPECT_NE(xml.find("      <field name=\"DPUId\">\n         <string>x</string>\n"),
            std::string::npos)
      << xml;
}

TEST(EsxsimFormatXml, EscapesMarkup) {
  Structure s{"T", {}};
  s.Add("A", Value::Str("a<b&\"c\">"));
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(s);
  EXPECT_NE(FormatXml(o).find("<string>a&lt;b&amp;&quot;c&quot;&gt;</string>"), std::string::npos);
}

TEST(EsxsimFormatKeyValue, ReproducesRealNicListCaptureFromTheSameData) {
  const Output o = FromXml(Fixture("network_nic_list.esxi80.xml"));
  EXPECT_EQ(FormatKeyValue(o), Fixture("network_nic_list.esxi80.keyvalue.txt"));
}

TEST(EsxsimFormatKeyValue, SingleStructureHasNoIndexPrefix) {
  Structure s{"VersionGet", {}};
  s.Add("Version", Value::Str("8.0.1"));
  s.Add("Update", Value::Str("1"));
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(s);
  EXPECT_EQ(FormatKeyValue(o), "VersionGet.Update.string=1\nVersionGet.Version.string=8.0.1\n");
}

// Portgroup list rows as in the ESXi 8.0.3 / PHP captures.
Output Portgroups() {
  struct Row {
    const char* name;
    const char* vswitch;
    int clients;
    int vlan;
  };
  const Row rows[] = {{"Management Network", "vSwitch0", 1, 0},
                      {"Mirror-Network", "vSwitch0", 1, 0},
                      {"SPAN-Monitoring-PG", "vSwitch-Mirror", 0, 4095},
                      {"VM Network", "vSwitch0", 15, 0}};
  std::vector<Structure> list;
  for (const Row& r : rows) {
    Structure s{"PortGroup", {}};
    s.Add("Name", Value::Str(r.name));
    s.Add("Virtual Switch", Value::Str(r.vswitch));
    s.Add("Active Clients", Value::Int(r.clients));
    s.Add("VLAN ID", Value::Int(r.vlan));
    list.push_back(s);
  }
  Output o;
  o.shape = TextShape::kTable;
  o.value = Value::List(list);
  return o;
}

TEST(EsxsimFormatText, TableAlignsStringsLeftAndNumbersRight) {
  EXPECT_EQ(FormatText(Portgroups()),
            Fixture("network_vswitch_standard_portgroup_list.esxi803.txt"));
}

TEST(EsxsimFormatCsv, SortedKeysAndTrailingCommas) {
  // The CSV capture comes from another host: same columns, two of the rows.
  Output o = Portgroups();
  o.value.structures = {o.value.structures[0], o.value.structures[3]};
  o.value.structures[1].fields[2].value = Value::Int(3);
  EXPECT_EQ(FormatCsv(o), Fixture("network_vswitch_standard_portgroup_list.csv"));
}

TEST(EsxsimFormatCsv, QuotesCellsWithCommas) {
  Structure s{"T", {}};
  s.Add("Tags", Value::StrList({"Management", "VMotion"}));
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(s);
  EXPECT_EQ(FormatCsv(o), "Tags,\n\"Management, VMotion\",\n");
}

TEST(EsxsimFormatText, KeyedListWithEmptyValuesAndListJoins) {
  struct Sw {
    const char* name;
    int used;
    std::vector<std::string> uplinks;
    std::vector<std::string> portgroups;
  };
  const Sw sws[] = {{"vSwitch0",
                     26,
                     {"vmnic2", "vmnic3", "vmnic0", "vmnic1"},
                     {"Mirror-Network", "VM Network", "Management Network"}},
                    {"vSwitch-Mirror", 1, {}, {"SPAN-Monitoring-PG"}}};
  std::vector<Structure> list;
  for (const Sw& w : sws) {
    Structure s{"VirtualSwitch", {}};
    s.Add("Name", Value::Str(w.name));
    s.Add("Class", Value::Str("cswitch"));
    s.Add("Num Ports", Value::Int(7680));
    s.Add("Used Ports", Value::Int(w.used));
    s.Add("Configured Ports", Value::Int(128));
    s.Add("MTU", Value::Int(1500));
    s.Add("CDP Status", Value::Str("listen"));
    s.Add("Beacon Enabled", Value::Bool(false));
    s.Add("Beacon Interval", Value::Int(1));
    s.Add("Beacon Threshold", Value::Int(3));
    s.Add("Beacon Required By", Value::StrList({}));
    s.Add("Uplinks", Value::StrList(w.uplinks));
    s.Add("Portgroups", Value::StrList(w.portgroups));
    list.push_back(s);
  }
  Output o;
  o.shape = TextShape::kKeyedList;
  o.record_key = "Name";
  o.value = Value::List(list);
  EXPECT_EQ(FormatText(o), Fixture("network_vswitch_standard_list.esxi803.txt"));
}

TEST(EsxsimFormatText, LastLeftAlignedColumnKeepsHeaderWidthAndIsNotPadded) {
  const std::string t =
      RenderTable({{"Vmknic", false}, {"Type", false}}, {{"vmk0", "Dynamic"}, {"vmk10", "X"}});
  EXPECT_EQ(t,
            "Vmknic  Type\n"
            "------  ----\n"
            "vmk0    Dynamic\n"
            "vmk10   X\n");
}

TEST(EsxsimFormatText, RightAlignedLastColumnIsPaddedToWidestCell) {
  const std::string t = RenderTable({{"Name", false}, {"Enabled", true}}, {{"gdbserver", "true"}});
  EXPECT_EQ(t, Fixture("network_firewall_ruleset_list_r_gdbserver.txt"));
}

TEST(EsxsimFormatText, EmptyTableKeepsHeaderAndDashLine) {
  Output o;
  o.shape = TextShape::kTable;
  o.value = Value::List({});
  o.schema.Add("Network", Value::Str("")).Add("Source", Value::Str(""));
  EXPECT_EQ(FormatText(o), "Network  Source\n-------  ------\n");
  EXPECT_EQ(FormatCsv(o), "Network,Source,\n");
}

TEST(EsxsimFormatText, SingleStructureWithTitleAndEmptyValueTrailingSpace) {
  Structure s{"InstallationResult", {}};
  s.Add("Components Installed",
        Value::StrList({"VMware-vmkusb-nic-fling_1.10-1vmw.703.0.50.55634242"}));
  s.Add("Components Removed", Value::StrList({}));
  s.Add("Components Skipped", Value::StrList({}));
  s.Add("Message", Value::Str("The update completed successfully, but the system needs to be "
                              "rebooted for the changes to be effective."));
  s.Add("Reboot Required", Value::Bool(true));
  Output o;
  o.shape = TextShape::kSingle;
  o.title = "Installation Result";
  o.value = Value::Struct(s);
  EXPECT_EQ(FormatText(o), Fixture("software_component_apply.success.esxi703.txt"));
}

TEST(EsxsimFormatText, NothingForCommandsWithoutResult) {
  Output o;
  EXPECT_EQ(FormatText(o), "");
  EXPECT_NE(FormatXml(o).find("<root>\n   <boolean>true</boolean>\n</root>"), std::string::npos);
}

TEST(EsxsimParseFormatter, KnowsTheThreeEsxcliFormatters) {
  Formatter f = Formatter::kText;
  EXPECT_TRUE(ParseFormatter("xml", &f));
  EXPECT_EQ(f, Formatter::kXml);
  EXPECT_TRUE(ParseFormatter("csv", &f));
  EXPECT_TRUE(ParseFormatter("keyvalue", &f));
  EXPECT_EQ(f, Formatter::kKeyValue);
  EXPECT_FALSE(ParseFormatter("json", &f));
}

}  // namespace
}  // namespace esxsim
