// Input checks shared by the statistics sources (internal to analysis/): each throws
// std::invalid_argument naming the function and what was wrong.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>

namespace fb::analysis::stats_checks {

inline std::string number_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

inline void check_level(double level, const char* function) {
  if (!(level > 0 && level < 1))
    throw std::invalid_argument(std::string(function) + ": confidence level " + number_text(level) +
                                " is outside (0, 1)");
}

// Non-empty and finite; `positive` also requires every value > 0 (logarithms, ratios).
inline void check_samples(std::span<const double> samples, const char* function, const char* name,
                          bool positive = false) {
  if (samples.empty())
    throw std::invalid_argument(std::string(function) + ": " + name + " is empty");
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double value = samples[i];
    if (!std::isfinite(value))
      throw std::invalid_argument(std::string(function) + ": " + name + "[" + std::to_string(i) +
                                  "] is not finite (" + number_text(value) + ")");
    if (positive && !(value > 0))
      throw std::invalid_argument(std::string(function) + ": " + name + "[" + std::to_string(i) +
                                  "] = " + number_text(value) +
                                  " is not positive (a ratio needs positive samples)");
  }
}

}  // namespace fb::analysis::stats_checks
