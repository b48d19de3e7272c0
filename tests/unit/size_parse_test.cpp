#include <gtest/gtest.h>

#include "harness/cli/size_parse.hpp"

namespace fb {
namespace {

TEST(ParseSize, PlainAndSuffixed) {
  EXPECT_EQ(parse_size("8"), 8U);
  EXPECT_EQ(parse_size("8B"), 8U);
  EXPECT_EQ(parse_size("1K"), 1024U);
  EXPECT_EQ(parse_size("64k"), 65536U);
  EXPECT_EQ(parse_size("64KB"), 65536U);
  EXPECT_EQ(parse_size("64KiB"), 65536U);
  EXPECT_EQ(parse_size("16M"), 16U << 20);
  EXPECT_EQ(parse_size("1G"), 1ULL << 30);
  EXPECT_EQ(parse_size("3gib"), 3ULL << 30);
}

TEST(ParseSize, RejectsBadInputWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const auto& c : {Case{"", "empty"}, Case{"0", "greater than zero"}, Case{"-5", "negative"},
                        Case{"abc", "not a number"}, Case{"1.5M", "unknown suffix"},
                        Case{"4X", "unknown suffix"}, Case{"99999999999999999999", "too large"},
                        Case{"17179869184G", "too large"}, Case{"0K", "greater than zero"}}) {
    std::string error;
    EXPECT_FALSE(parse_size(c.text, &error).has_value()) << c.text;
    EXPECT_NE(error.find(c.reason), std::string::npos) << c.text << " -> " << error;
  }
}

TEST(FormatSize, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_size(8), "8B");
  EXPECT_EQ(format_size(1024), "1K");
  EXPECT_EQ(format_size(1536), "1536B");
  EXPECT_EQ(format_size(64ULL << 20), "64M");
  EXPECT_EQ(format_size(2ULL << 30), "2G");
}

TEST(ParseCount, DigitsOnly) {
  EXPECT_EQ(parse_count("20"), 20);
  EXPECT_EQ(parse_count("0"), 0);
  EXPECT_FALSE(parse_count("-1"));
  EXPECT_FALSE(parse_count("+1"));
  EXPECT_FALSE(parse_count("1e3"));
  EXPECT_FALSE(parse_count(""));
  EXPECT_FALSE(parse_count("99999999999999999999"));
}

TEST(ParseSeconds, PositiveFinite) {
  EXPECT_DOUBLE_EQ(*parse_seconds("30"), 30.0);
  EXPECT_DOUBLE_EQ(*parse_seconds("0.5"), 0.5);
  EXPECT_FALSE(parse_seconds("0"));
  EXPECT_FALSE(parse_seconds("-3"));
  EXPECT_FALSE(parse_seconds("inf"));
  EXPECT_FALSE(parse_seconds("ten"));
}

}  // namespace
}  // namespace fb
