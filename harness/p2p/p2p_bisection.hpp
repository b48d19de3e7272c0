// The bisection test (`p2p --test bisection`): half of the hosts send to the other half at
// once, over the pairing the topology says is worst and several random ones. What a pairing
// can carry is the sum over its host pairs of the slower end's rate (the NICs its ranks
// drive: the model's rates, else the line rate); its aggregate over that is the fraction a
// user can quote, and its inverse the oversubscription. The planning and the verdict are
// pure; p2p_main measures.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "topologies/topology.hpp"

namespace fb {

struct BisectionPairing {
  std::string label;                            // "worst", "random 1", ...
  std::vector<std::pair<int, int>> host_pairs;  // model host indices, sender first
  std::vector<std::string> host_pair_names;     // "n1->n3"
  std::vector<std::pair<int, int>> rank_pairs;  // local rank l to local rank l
  std::vector<int> rank_pair_host_pair;         // per rank pair: its host pair
  std::vector<double> host_pair_rate_Gbps;      // per host pair: the slower end; 0 unknown
  double rate_sum_Gbps = 0;                     // over the host pairs; 0 when any is unknown
};

// The worst pairing, then `random` random ones (seeds seed, seed + 1, ...), over the hosts
// that have ranks. `line_rate_Gbps` stands for a NIC whose rate the model does not give.
// Throws std::invalid_argument when fewer than 2 hosts have ranks.
std::vector<BisectionPairing> plan_bisection(const topo::Topology& model,
                                             const topo::Placement& placement, int random,
                                             std::uint64_t seed, double line_rate_Gbps);

// One pairing measured at one size: the aggregate over all pairs (wall clock) and each
// rank pair's own rate.
struct BisectionMeasured {
  double aggregate_GBps = 0;
  std::vector<double> rank_pair_GBps;
};

struct BisectionVerdict {
  std::size_t slowest = 0;      // the pairing that carried the least (of its rates, if known)
  std::size_t fastest = 0;      // the one that carried the most
  double fraction = 0;          // slowest's aggregate over its rate sum; 0 when unknown
  double oversubscription = 0;  // 1 / fraction; 0 when unknown
  double against_fastest = 0;   // fastest's aggregate / slowest's (per unit of rate, if known)
  std::vector<std::string> slowest_pairs;  // sentences, slowest first, at most `shown`
  std::vector<std::string> lines;          // the summary table and verdict, for stdout
};

// `measured` has one entry per pairing. `size_bytes` names the size measured.
BisectionVerdict judge_bisection(const std::vector<BisectionPairing>& pairings,
                                 const std::vector<BisectionMeasured>& measured,
                                 std::uint64_t size_bytes, std::size_t shown = 3);

}  // namespace fb
