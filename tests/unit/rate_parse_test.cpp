#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/rate_parse.hpp"

namespace fb {
namespace {

struct Spelling {
  const char* text;
  double Gbps;
};

void expect_rates(const std::vector<Spelling>& cases) {
  for (const auto& c : cases) {
    std::string error;
    const auto rate = parse_rate_Gbps(c.text, &error);
    ASSERT_TRUE(rate.has_value()) << c.text << ": " << error;
    EXPECT_DOUBLE_EQ(*rate, c.Gbps) << c.text;
  }
}

TEST(ParseRate, EveryBitSpelling) {
  expect_rates(
      {{"300Kb", 300e-6},     {"300kb", 300e-6},   {"300Kbit", 300e-6}, {"300Kbps", 300e-6},
       {"300kbit/s", 300e-6}, {"300Kb/s", 300e-6}, {"300Mb", 0.3},      {"300mb", 0.3},
       {"300Mbit", 0.3},      {"300Mbps", 0.3},    {"300Mbit/s", 0.3},  {"300Mb/s", 0.3},
       {"300Mbits", 0.3},     {"300Mbits/s", 0.3}, {"300MBit", 0.3},    {"300MBit/s", 0.3},
       {"400Gb", 400},        {"400gb", 400},      {"400Gbit", 400},    {"400Gbps", 400},
       {"400gbps", 400},      {"400Gb/s", 400},    {"400Gbit/s", 400},  {"400GBit/s", 400},
       {"1.6Tb", 1600},       {"1.6Tbit", 1600},   {"1.6Tbps", 1600},   {"1.6Tb/s", 1600},
       {"1.6tbit/s", 1600},   {"1e9bps", 1},       {"1e9b/s", 1},       {"5e8bit/s", 0.5}});
}

TEST(ParseRate, EveryByteSpellingIsEightBits) {
  expect_rates({{"100KB", 100e3 * 8 / 1e9},
                {"100kB", 100e3 * 8 / 1e9},
                {"100KB/s", 100e3 * 8 / 1e9},
                {"100KBps", 100e3 * 8 / 1e9},
                {"37.5MB", 0.3},
                {"37.5mB", 0.3},
                {"37.5MB/s", 0.3},
                {"37.5MBps", 0.3},
                {"50GB", 400},
                {"50gB", 400},
                {"50GB/s", 400},
                {"50GBps", 400},
                {"12.5GB/s", 100},
                {"0.2TB", 1600},
                {"0.2TB/s", 1600},
                {"0.2TBps", 1600},
                {"1e9Bps", 8},
                {"1e9B/s", 8},
                {"1e9bytes/s", 8},
                {"2GByte/s", 16}});
}

TEST(ParseRate, DecimalsExponentsSpacesAndBarePrefixes) {
  expect_rates({{"2.5Gb", 2.5},
                {"0.3Gbit/s", 0.3},
                {"2.5e3Mb", 2.5},
                {"400 Gb/s", 400},
                {"300 Mbit", 0.3},
                {"100G", 100},
                {"100g", 100},
                {"300M", 0.3},
                {"1T", 1000},
                {"10K", 1e-5}});
}

TEST(ParseRate, RefusesWithAReason) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const auto& c : {
           Case{"", "empty rate (e.g. 300Mb, 2.5Gbit/s, 400Gbps, 50GB/s)"},
           Case{"fast",
                "rate 'fast' is not a number and a unit (e.g. 300Mb, 2.5Gbit/s, 400Gbps, "
                "50GB/s)"},
           Case{"Gb",
                "rate 'Gb' is not a number and a unit (e.g. 300Mb, 2.5Gbit/s, 400Gbps, "
                "50GB/s)"},
           Case{"+5Gb",
                "rate '+5Gb' is not a number and a unit (e.g. 300Mb, 2.5Gbit/s, "
                "400Gbps, 50GB/s)"},
           Case{"infGb",
                "rate 'infGb' is not a number and a unit (e.g. 300Mb, 2.5Gbit/s, "
                "400Gbps, 50GB/s)"},
           Case{"400",
                "rate '400' has no unit (e.g. 300Mb, 2.5Gbit/s, 400Gbps, 50GB/s; b = bit, "
                "B = byte)"},
           Case{"0Gb", "rate '0Gb' must be greater than zero"},
           Case{"0.0MB/s", "rate '0.0MB/s' must be greater than zero"},
           Case{"-5Gb", "rate '-5Gb' must be greater than zero"},
           Case{"1e400Gb", "rate '1e400Gb' is out of range"},
           Case{"1e305Tb", "rate '1e305Tb' is out of range"},
           Case{"1Gib",
                "rate '1Gib' uses a binary prefix; rates are decimal (K = 1e3, M = 1e6, "
                "G = 1e9, T = 1e12)"},
           Case{"1MiB/s",
                "rate '1MiB/s' uses a binary prefix; rates are decimal (K = 1e3, "
                "M = 1e6, G = 1e9, T = 1e12)"},
       }) {
    std::string error;
    EXPECT_FALSE(parse_rate_Gbps(c.text, &error).has_value()) << c.text;
    EXPECT_EQ(error, c.error) << c.text;
  }
}

TEST(ParseRate, UnknownUnitsAreNamed) {
  const std::string known =
      "' (bits: Kb, Mb, Gb, Tb, also Mbit, Mbps, Mbit/s; bytes: KB, MB, GB, TB, also MB/s; "
      "b = bit, B = byte, K/M/G/T = 1e3/1e6/1e9/1e12)";
  for (const std::string unit : {"Xb", "Pb", "Gx", "Gbs", "GBit/ss", "Gb/", "G/s", "Gps", "bit/h",
                                 "b", "B", "  Gb", "Gb "}) {
    const std::string text = "5" + unit;
    std::string error;
    const auto rate = parse_rate_Gbps(text, &error);
    if (unit == "b" || unit == "B") {  // no prefix: plain bits or bytes per second
      ASSERT_TRUE(rate.has_value()) << text << ": " << error;
      EXPECT_DOUBLE_EQ(*rate, unit == "b" ? 5e-9 : 40e-9);
      continue;
    }
    EXPECT_FALSE(rate.has_value()) << text;
    EXPECT_EQ(error, "rate '" + text + "' has an unknown unit '" + unit + known) << text;
  }
}

TEST(ParseRate, NullErrorPointerIsAllowed) {
  EXPECT_FALSE(parse_rate_Gbps("5Xb").has_value());
  EXPECT_DOUBLE_EQ(*parse_rate_Gbps("5Gb"), 5);
}

}  // namespace
}  // namespace fb
