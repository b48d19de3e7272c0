// `--algorithm auto`: per call, the algorithm this machine measured fastest for the size.
// The rule is a table of size thresholds per collective (docs/PERFORMANCE.md has the
// measurements behind it); the thresholds are recorded with the results.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collectives/algorithm.hpp"
#include "collectives/registry.hpp"

namespace fb {

struct AutoRule {
  Collective collective;
  std::string small;              // used below the threshold
  std::string large;              // used at and above it
  std::uint64_t threshold_bytes;  // of the collective's size (the larger buffer)
  // Optional third tier, for the latency-bound sizes: used below latency_threshold_bytes
  // (< threshold_bytes) when named.
  std::string latency = {};
  std::uint64_t latency_threshold_bytes = 0;
};

const std::vector<AutoRule>& auto_rules();
const AutoRule& auto_rule(Collective c);
// The registry entry `auto` stands for: uses a transport; in place and (dtype, op) support
// only where both candidates have it.
AlgorithmEntry auto_entry(Collective c);

}  // namespace fb
