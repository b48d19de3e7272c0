#include "harness/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace fb {

double percentile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("percentile of no samples");
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

TimeStats summarize(std::span<const double> samples_us) {
  if (samples_us.empty()) throw std::invalid_argument("statistics of no samples");
  std::vector<double> sorted(samples_us.begin(), samples_us.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  TimeStats s;
  s.min_us = sorted.front();
  s.max_us = sorted.back();
  s.median_us = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  s.mean_us = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  s.p99_us = percentile_sorted(sorted, 99.0);
  return s;
}

Bandwidth bandwidth(double size_bytes, double time_us, double busbw_factor) {
  if (time_us <= 0) return {};
  const double algbw = size_bytes / (time_us * 1e-6) / 1e9;
  return {algbw, algbw * busbw_factor};
}

}  // namespace fb
