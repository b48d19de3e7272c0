#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "harness/number_format.hpp"

namespace fb {
namespace {

TEST(FormatFigure, FourSignificantDigitsWhateverTheMagnitude) {
  EXPECT_EQ(format_figure(11.5234), "11.52");
  EXPECT_EQ(format_figure(7.68), "7.680");
  EXPECT_EQ(format_figure(1.0), "1.000");
  EXPECT_EQ(format_figure(123.456), "123.5");
  EXPECT_EQ(format_figure(0.5), "0.5000");
  EXPECT_EQ(format_figure(0.45), "0.4500");
  // A 300 Mbit/s link in GB/s: "0.02" (or "0.04") before, all four digits now.
  EXPECT_EQ(format_figure(0.0375), "0.03750");
  EXPECT_EQ(format_figure(0.0374612), "0.03746");
  EXPECT_EQ(format_figure(0.00012346), "0.0001235");
  EXPECT_EQ(format_figure(0.000001234), "0.000001234");
}

TEST(FormatFigure, LargeValuesKeepEveryIntegerDigit) {
  EXPECT_EQ(format_figure(2184.567), "2185");
  EXPECT_EQ(format_figure(1234.4), "1234");
  EXPECT_EQ(format_figure(44994.0), "44994");
  EXPECT_EQ(format_figure(123456789.9), "123456790");
  EXPECT_EQ(format_figure(99999999999999.0), "99999999999999");
}

TEST(FormatFigure, RoundingThatCarriesIntoTheNextDecadeTakesItsDecimals) {
  EXPECT_EQ(format_figure(9.99996), "10.00");
  EXPECT_EQ(format_figure(0.099996), "0.1000");
  EXPECT_EQ(format_figure(999.96), "1000");
}

TEST(FormatFigure, NeverZeroForANonZeroValue) {
  for (double v = 1e-12; v < 1e3; v *= 3.7) {
    const std::string text = format_figure(v);
    EXPECT_NE(std::stod(text), 0.0) << v << " -> " << text;
    EXPECT_NEAR(std::stod(text), v, v * 5e-4) << v << " -> " << text;
    EXPECT_LE(text.size(), 11U) << v << " -> " << text;  // fits the tables' columns
  }
}

TEST(FormatFigure, ExtremesZeroSignsAndOtherPrecisions) {
  EXPECT_EQ(format_figure(0.0), "0");
  EXPECT_EQ(format_figure(-0.0), "0");
  EXPECT_EQ(format_figure(-0.5), "-0.5000");
  EXPECT_EQ(format_figure(-2184.567), "-2185");
  EXPECT_EQ(format_figure(1.234567e-7), "1.235e-07");
  EXPECT_EQ(format_figure(2.5e15), "2.500e+15");
  EXPECT_EQ(format_figure(std::nan("")), "nan");
  EXPECT_EQ(format_figure(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_figure(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_figure(0.0376, 2), "0.038");
  EXPECT_EQ(format_figure(11.5234, 6), "11.5234");
  EXPECT_EQ(format_figure(11.5234, 0), "12");                   // clamped to one digit
  EXPECT_EQ(format_figure(11.5234, 99), "11.523400000000001");  // clamped to 17
}

}  // namespace
}  // namespace fb
