// Figures for the tables on stdout: as many decimals as the value's magnitude needs.
#pragma once

#include <string>

namespace fb {

// `value` in fixed notation with at least `significant` significant digits (4 by default)
// and no more decimals than that takes, so a small value never prints as "0.00" and a large
// one keeps every digit of its integer part:
//   11.5234 -> "11.52", 0.0375 -> "0.03750", 2184.567 -> "2185", 0.00012346 -> "0.0001235",
//   9.99996 -> "10.00", 0 -> "0", -0.5 -> "-0.5000".
// Values below 1e-6 in magnitude (where fixed notation would run past twelve characters)
// and from 1e15 up are written in scientific notation ("1.235e-07"); NaN and infinities as
// "nan", "inf", "-inf". `significant` is clamped to 1..17.
std::string format_figure(double value, int significant = 4);

}  // namespace fb
