// SweepPlan: the series to measure, the product of collectives x algorithms x transports x
// dtypes x ops. A baseline (an algorithm that brings its own communication) ignores the
// transports and appears once.
#pragma once

#include <string>
#include <vector>

#include "collectives/registry.hpp"
#include "harness/options.hpp"

namespace fb {

inline constexpr const char* kNoTransport = "none";

struct SeriesPlan {
  Collective collective;
  const AlgorithmEntry* algorithm;
  std::string transport;  // kNoTransport for baselines
  DType dtype;
  ReduceOp op;
  std::string name() const;  // collective.algorithm.transport.dtype.op
};

std::vector<SeriesPlan> plan_series(const RunOptions& options);

}  // namespace fb
