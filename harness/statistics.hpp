// Summary statistics of a point's per-iteration times (each already the max over ranks).
#pragma once

#include <span>

namespace fb {

struct TimeStats {
  double min_us = 0;
  double median_us = 0;
  double mean_us = 0;
  double p99_us = 0;  // nearest-rank 99th percentile
  double max_us = 0;
};

// Throws std::invalid_argument on an empty sample set.
TimeStats summarize(std::span<const double> samples_us);

// Nearest-rank percentile (p in (0, 100]) of already sorted samples.
double percentile_sorted(std::span<const double> sorted, double p);

struct Bandwidth {
  double algbw_GBps = 0;  // size_bytes / time, GB = 1e9 bytes
  double busbw_GBps = 0;  // algbw * busbw_factor
};
Bandwidth bandwidth(double size_bytes, double time_us, double busbw_factor);

}  // namespace fb
