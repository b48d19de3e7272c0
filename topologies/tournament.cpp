#include "topologies/tournament.hpp"

#include <algorithm>
#include <stdexcept>

namespace fb::topo {

std::vector<Pairing> round_robin_rounds(int n) {
  if (n < 1) throw std::invalid_argument("round_robin_rounds: n must be >= 1");
  if (n == 1) return {};
  // With an odd count add a phantom rank; whoever meets it rests that round.
  const int m = n % 2 == 0 ? n : n + 1;
  std::vector<Pairing> rounds;
  // Rank m-1 stays put; the others rotate one place per round around the circle.
  for (int round = 0; round < m - 1; ++round) {
    Pairing pairs;
    auto at = [&](int position) {
      return position == m - 1 ? m - 1 : (position + round) % (m - 1);
    };
    for (int i = 0; i < m / 2; ++i) {
      int a = at(i);
      int b = at(m - 1 - i);
      if (a >= n || b >= n) continue;  // the phantom's partner rests
      if (a > b) std::swap(a, b);
      pairs.emplace_back(a, b);
    }
    rounds.push_back(std::move(pairs));
  }
  return rounds;
}

}  // namespace fb::topo
