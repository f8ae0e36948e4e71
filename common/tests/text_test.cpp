// The shared text helpers: markup escaping (VIB descriptors, the HTML report) and quoting of
// untrusted input in error messages.
#include "bnfc/text.h"

#include <gtest/gtest.h>

#include <string>

namespace bnfc::text {
namespace {

TEST(EscapeXml, EveryMarkupCharacterAndNul) {
  EXPECT_EQ(EscapeXml("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(EscapeXml(std::string("x\0y", 3)), "x&#xFFFD;y");
  EXPECT_EQ(EscapeXml("plain \xc3\xa9 text"), "plain \xc3\xa9 text");  // UTF-8 passes through
  EXPECT_EQ(EscapeXml(""), "");
}

TEST(EscapeNonPrintable, EveryByteOutsidePrintableAsciiIsHex) {
  EXPECT_EQ(EscapeNonPrintable(std::string("!~ \x1f\x7f\x80\0", 7)), "!~ \\x1f\\x7f\\x80\\x00");
  EXPECT_EQ(EscapeNonPrintable(""), "");
}

TEST(QuoteUntrusted, PrintableKeptOthersAsHexAndCut) {
  EXPECT_EQ(QuoteUntrusted("vmk2", 10), "'vmk2'");
  EXPECT_EQ(QuoteUntrusted(std::string("a\n\0\\b", 5), 10), "'a\\x0a\\x00\\b'");
  EXPECT_EQ(QuoteUntrusted("\xff", 10), "'\\xff'");
  EXPECT_EQ(QuoteUntrusted("abcdef", 3), "'abc...'");
  EXPECT_EQ(QuoteUntrusted("abc", 3), "'abc'");
}

}  // namespace
}  // namespace bnfc::text
