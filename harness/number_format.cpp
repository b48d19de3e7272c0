#include "harness/number_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fb {

std::string format_figure(double value, int significant) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  significant = std::clamp(significant, 1, 17);
  char buffer[64];
  // The decimal exponent after rounding to `significant` digits: 9.99996 rounds to 1.000e+01,
  // so it takes the decimals of a value in [10, 100).
  std::snprintf(buffer, sizeof buffer, "%.*e", significant - 1, value);
  const char* const e = std::strchr(buffer, 'e');
  const int exponent = e != nullptr ? std::atoi(e + 1) : 0;
  if (exponent < -6 || exponent >= 15) return buffer;
  const int decimals = std::max(0, significant - 1 - exponent);
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace fb
