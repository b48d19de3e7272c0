// SweepPlan: the series to measure, the product of collectives x algorithms x transports x
// dtypes x ops x placements x roots. A baseline (an algorithm that brings its own
// communication) ignores the transports and appears once. Combinations that do not apply
// are skipped when a list involved came from `all`, and are errors when all were named.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/registry.hpp"
#include "harness/cli/options.hpp"

namespace fb {

inline constexpr const char* kNoTransport = "none";

// A combination named explicitly that cannot run; the message is for the user.
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SeriesPlan {
  AlgorithmEntry algorithm;  // a copy: `auto` entries are made on the fly
  std::string transport;     // kNoTransport for baselines
  DType dtype;
  ReduceOp op;  // ignored by collectives that do not reduce
  bool in_place = false;
  int root = 0;  // rooted collectives only
  RunOptions::Memory memory = RunOptions::Memory::host;
  Collective collective() const { return algorithm.collective; }
  bool on_device() const { return memory == RunOptions::Memory::cuda; }
  // collective.algorithm.transport.dtype.op[.inplace][.rootN][.cuda]; op is "none" when
  // unused.
  std::string name() const;
};

// Throws PlanError (for explicit combinations that cannot run, a root out of range, or an
// empty plan).
std::vector<SeriesPlan> plan_series(const RunOptions& options, int n_ranks);

}  // namespace fb
