// The shared text helpers: markup escaping (VIB descriptors, the HTML report) and quoting of
// untrusted input in error messages.
#include "bnfc/text.h"

#include <gtest/gtest.h>

#include <string>

namespace bnfc::text {
namespace {

TEST(Trim, EndsOnlyAndTheCharactersAsked) {
  EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(Trim(" \t\r\n "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("\r value \r", " \t"), "\r value \r");
  EXPECT_EQ(Trim("x"), "x");
}

TEST(AsciiLower, LettersOnlyAndNotBeyondAscii) {
  EXPECT_EQ(AsciiLower("ESX01.Example.COM-9_"), "esx01.example.com-9_");
  EXPECT_EQ(AsciiLower("\xC3\x84"), "\xC3\x84");  // UTF-8 bytes are left alone
}

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

TEST(EscapeForLine, ControlsAndInvalidUtf8AsHexValidUtf8Kept) {
  EXPECT_EQ(EscapeForLine("a\tb", 100), "a\tb");
  EXPECT_EQ(EscapeForLine("l1\nl2\r", 100), "l1\\nl2\\r");
  EXPECT_EQ(EscapeForLine("\x1b[31mred\x07", 100), "\\x1b[31mred\\x07");
  EXPECT_EQ(EscapeForLine(std::string("\0\x7f", 2), 100), "\\x00\\x7f");
  EXPECT_EQ(EscapeForLine("caf\xc3\xa9 \xe2\x82\xac", 100), "caf\xc3\xa9 \xe2\x82\xac");
  // C1 CSI (U+009B) in UTF-8, a lone continuation byte, an overlong '/', a surrogate, a cut
  // sequence.
  EXPECT_EQ(EscapeForLine("\xc2\x9b", 100), "\\xc2\\x9b");
  EXPECT_EQ(EscapeForLine("\x80", 100), "\\x80");
  EXPECT_EQ(EscapeForLine("\xc0\xaf", 100), "\\xc0\\xaf");
  EXPECT_EQ(EscapeForLine("\xed\xa0\x80", 100), "\\xed\\xa0\\x80");
  EXPECT_EQ(EscapeForLine("\xe2\x82", 100), "\\xe2\\x82");
}

TEST(EscapeForLine, CutAfterMaxBytesSaysHowMuch) {
  EXPECT_EQ(EscapeForLine("abcdef", 3), "abc...(3 more bytes)");
  EXPECT_EQ(EscapeForLine("abc", 3), "abc");
  EXPECT_EQ(EscapeForLine(std::string(1 << 20, 'x'), 4096).size(),
            4096 + std::string("...(1044480 more bytes)").size());
}

}  // namespace
}  // namespace bnfc::text
