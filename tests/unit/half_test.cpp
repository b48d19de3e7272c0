// The scalar float16/bfloat16 conversions of collectives/half.hpp: every pattern, known
// values, and round-to-nearest-even against a search for the nearest half.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "collectives/half.hpp"

namespace fb {
namespace {

template <typename T>
std::string hex(T v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);
  char text[24];
  std::snprintf(text, sizeof text, "0x%0*llx", static_cast<int>(2 * sizeof v),
                static_cast<unsigned long long>(bits));
  return text;
}

bool is_half_nan(std::uint16_t h) {
  return (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
}

TEST(HalfConversions, Float16ValuesOfEveryPattern) {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = half_to_float({h});
    const int exp = (h >> 10) & 0x1F;
    const int mant = h & 0x3FF;
    const double sign = (h & 0x8000) != 0 ? -1.0 : 1.0;
    if (exp == 0x1F) {
      if (mant == 0) {
        ASSERT_EQ(f, sign * std::numeric_limits<double>::infinity()) << bits;
      } else {
        ASSERT_TRUE(std::isnan(f)) << bits;
        ASSERT_EQ(std::signbit(f), sign < 0) << bits;
      }
      continue;
    }
    const double want =
        exp == 0 ? sign * std::ldexp(mant, -24) : sign * std::ldexp(1024 + mant, exp - 25);
    ASSERT_EQ(static_cast<double>(f), want) << bits;
    ASSERT_EQ(std::signbit(f), sign < 0) << bits;
  }
}

TEST(HalfConversions, Float16RoundTripsEveryPattern) {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const std::uint16_t back = float_to_half(half_to_float({h})).bits;
    if (is_half_nan(h)) {
      ASSERT_TRUE(is_half_nan(back)) << bits;
      ASSERT_EQ(back & 0x8000, h & 0x8000) << bits;
    } else {
      ASSERT_EQ(back, h) << bits;
    }
  }
}

TEST(HalfConversions, BFloat16RoundTripsEveryPattern) {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = bf16_to_float({h});
    ASSERT_EQ(std::bit_cast<std::uint32_t>(f), bits << 16);
    const std::uint16_t back = float_to_bf16(f).bits;
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bf16_to_float({back}))) << bits;
      ASSERT_EQ(back & 0x8000, h & 0x8000) << bits;
    } else {
      ASSERT_EQ(back, h) << bits;
    }
  }
}

TEST(HalfConversions, Float16KnownValues) {
  EXPECT_EQ(half_to_float({0x7BFF}), 65504.0F);
  EXPECT_EQ(half_to_float({0x0001}), std::ldexp(1.0F, -24));
  EXPECT_EQ(half_to_float({0x0400}), std::ldexp(1.0F, -14));
  EXPECT_EQ(half_to_float({0x3C00}), 1.0F);
  EXPECT_EQ(half_to_float({0xC000}), -2.0F);
  EXPECT_EQ(half_to_float({0x7C00}), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(half_to_float({0x8000})));

  EXPECT_EQ(float_to_half(65504.0F).bits, 0x7BFF);
  EXPECT_EQ(float_to_half(65519.996F).bits, 0x7BFF);  // just below the tie
  EXPECT_EQ(float_to_half(65520.0F).bits, 0x7C00);    // the tie goes to even: inf
  EXPECT_EQ(float_to_half(-1e6F).bits, 0xFC00);
  EXPECT_EQ(float_to_half(std::ldexp(1.0F, -24)).bits, 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(1.0F, -25)).bits, 0x0000);  // tie between 0 and 2^-24
  EXPECT_EQ(float_to_half(std::nextafter(std::ldexp(1.0F, -25), 1.0F)).bits, 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(3.0F, -25)).bits, 0x0002);  // tie, to even
  EXPECT_EQ(float_to_half(std::ldexp(1.0F, -14)).bits, 0x0400);
  EXPECT_EQ(float_to_half(std::ldexp(1023.5F, -24)).bits, 0x0400);      // tie into the normals
  EXPECT_EQ(float_to_half(1.0F + std::ldexp(1.0F, -11)).bits, 0x3C00);  // tie, to even
  EXPECT_EQ(float_to_half(1.0F + std::ldexp(3.0F, -11)).bits, 0x3C02);  // tie, to even
  EXPECT_EQ(float_to_half(-0.0F).bits, 0x8000);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::denorm_min()).bits, 0x0000);
  EXPECT_TRUE(is_half_nan(float_to_half(std::numeric_limits<float>::quiet_NaN()).bits));
  EXPECT_TRUE(is_half_nan(float_to_half(std::numeric_limits<float>::signaling_NaN()).bits));

  EXPECT_EQ(float_to_bf16(1.0F).bits, 0x3F80);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000U)).bits, 0x3F80);  // tie, to even
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000U)).bits, 0x3F82);  // tie, to even
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x7F7FFFFFU)).bits, 0x7F80);  // rounds to inf
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x7F800001U)).bits & 0x7FC0, 0x7FC0);  // quiet NaN
}

// float_to_half against the nearest half found by search, for a spread of floats and for every
// midpoint between neighbouring halves and the floats on either side of it.
std::uint16_t nearest_half(float f) {
  if (std::isnan(f)) return 0x7E00;
  const double x = std::fabs(static_cast<double>(f));
  const std::uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (x >= 65520.0)
    return static_cast<std::uint16_t>(sign | 0x7C00);  // at or past the midpoint of 65504 and 2^16
  std::uint16_t lo = 0;  // the largest half pattern <= x, by binary search over 0..0x7BFF
  std::uint16_t hi = 0x7BFF;
  while (lo < hi) {
    const auto mid = static_cast<std::uint16_t>((lo + hi + 1) / 2);
    if (static_cast<double>(half_to_float({mid})) <= x) {
      lo = mid;
    } else {
      hi = static_cast<std::uint16_t>(mid - 1);
    }
  }
  if (lo == 0x7BFF) return static_cast<std::uint16_t>(sign | lo);
  const double below = x - half_to_float({lo});
  const double above = half_to_float({static_cast<std::uint16_t>(lo + 1)}) - x;
  const bool up = above < below || (above == below && (lo & 1) != 0);
  return static_cast<std::uint16_t>(sign | (up ? lo + 1 : lo));
}

TEST(HalfConversions, Float16RoundsToNearestEven) {
  std::vector<float> floats;
  for (std::uint64_t bits = 0; bits < (1ULL << 32); bits += 4099)
    floats.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
  for (std::uint32_t h = 0; h < 0x7BFF; ++h) {
    const double mid = (static_cast<double>(half_to_float({static_cast<std::uint16_t>(h)})) +
                        half_to_float({static_cast<std::uint16_t>(h + 1)})) /
                       2;
    const auto m = static_cast<float>(mid);  // exact: halves have 11 significant bits
    for (const float f : {m, std::nextafter(m, 0.0F), std::nextafter(m, 1e9F)}) {
      floats.push_back(f);
      floats.push_back(-f);
    }
  }
  for (const float f : floats) {
    const std::uint16_t got = float_to_half(f).bits;
    const std::uint16_t want = nearest_half(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(is_half_nan(got)) << hex(f);
    } else {
      ASSERT_EQ(got, want) << hex(f);
    }
  }
}

TEST(HalfConversions, BFloat16RoundsToNearestEven) {
  for (std::uint64_t bits = 0; bits < (1ULL << 32); bits += 997) {
    const auto u = static_cast<std::uint32_t>(bits);
    const float f = std::bit_cast<float>(u);
    const std::uint16_t got = float_to_bf16(f).bits;
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bf16_to_float({got}))) << hex(f);
      continue;
    }
    // The two bfloat16 neighbours of f, compared in double (exact).
    const auto lo = static_cast<std::uint16_t>(u >> 16);
    const double x = std::fabs(static_cast<double>(f));
    const double below = x - std::fabs(static_cast<double>(bf16_to_float({lo})));
    // The next bfloat16 up in magnitude; past the largest finite one that is 2^128 (inf).
    const std::uint32_t next = (u & 0x7FFF0000U) + 0x10000U;
    const double next_value = next == 0x7F800000U ? std::ldexp(1.0, 128)
                                                  : static_cast<double>(std::bit_cast<float>(next));
    const double above = next_value - x;
    const bool up = above < below || (above == below && (lo & 1) != 0);
    ASSERT_EQ(got, static_cast<std::uint16_t>(up ? lo + 1 : lo)) << hex(f);
  }
}

}  // namespace
}  // namespace fb
