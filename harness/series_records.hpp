// What a series and its points record: the series header every series carries, measured or
// skipped; the element count of a point; and a point's figures from its timed samples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/cli/options.hpp"
#include "harness/plan.hpp"
#include "harness/sinks.hpp"

namespace fb {

// The header of `series` run on `n_ranks` ranks; `suffix` is appended to its name.
SeriesHeader series_header(const SeriesPlan& series, const RunOptions& options, int n_ranks,
                           const std::string& suffix);

// The element count of a point: the size in whole elements, and for the block collectives
// a whole number of blocks, so size_bytes is exactly what moves.
std::size_t point_count(const SeriesPlan& series, std::uint64_t size_bytes, int n_ranks);

// The point's times and bandwidths from its samples (not empty), at `count` elements.
results::PointRecord timed_record(const SeriesPlan& series, std::uint64_t size_bytes,
                                  std::size_t count, const std::vector<double>& samples_us,
                                  int n_ranks);

}  // namespace fb
