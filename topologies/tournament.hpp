// Round-robin tournament (circle method): every pair of n ranks meets exactly once, each
// round uses every rank at most once, and the schedule takes n-1 rounds for even n (n
// rounds, one rank resting in each, for odd n). Used by the all-pairs link matrix so all
// links of a round are measured at the same time without sharing a rank.
#pragma once

#include <utility>
#include <vector>

namespace fb::topo {

using Pairing = std::vector<std::pair<int, int>>;  // (lower rank, higher rank)
std::vector<Pairing> round_robin_rounds(int n);

}  // namespace fb::topo
