// The topology model's queries, rank placement and rank orders (topology.hpp).
#include "topologies/topology.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <numeric>
#include <set>

namespace fb::topo {

namespace {

std::string_view first_label(std::string_view name) {
  const auto dot = name.find('.');
  return dot == std::string_view::npos ? name : name.substr(0, dot);
}

// splitmix64: a small generator whose output is fixed by its definition, so a seed names
// the same permutation on every machine and library.
std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) without modulo bias (rejection of the short top range).
std::uint64_t draw_below(std::uint64_t& state, std::uint64_t bound) {
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  for (;;) {
    const std::uint64_t x = splitmix(state);
    if (x < limit) return x % bound;
  }
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie]))
        ++ie;
      while (je < b.size() && digit(b[je]))
        ++je;
      // Compare the numbers without leading zeros by length, then digits.
      std::size_t is = i, js = j;
      while (is + 1 < ie && a[is] == '0')
        ++is;
      while (js + 1 < je && b[js] == '0')
        ++js;
      if (ie - is != je - js) return ie - is < je - js;
      const auto cmp = a.substr(is, ie - is).compare(b.substr(js, je - js));
      if (cmp != 0) return cmp < 0;
      if (ie - i != je - j) return ie - i < je - j;  // "01" after "1"
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

int Topology::find_host(std::string_view name) const {
  for (std::size_t h = 0; h < hosts.size(); ++h)
    if (hosts[h].name == name) return static_cast<int>(h);
  const auto label = first_label(name);
  for (std::size_t h = 0; h < hosts.size(); ++h)
    if (first_label(hosts[h].name) == label) return static_cast<int>(h);
  return -1;
}

int Topology::find_switch(std::string_view name) const {
  for (std::size_t s = 0; s < switches.size(); ++s)
    if (switches[s].name == name) return static_cast<int>(s);
  return -1;
}

const std::string& Topology::leaf_of(int host) const {
  return hosts.at(static_cast<std::size_t>(host)).nics.front().switch_name;
}

double Topology::host_rate_Gbps(int host) const {
  double sum = 0;
  for (const auto& nic : hosts.at(static_cast<std::size_t>(host)).nics) {
    if (nic.rate_Gbps <= 0) return 0;
    sum += nic.rate_Gbps;
  }
  return sum;
}

std::vector<int> host_order(const Topology& topology) {
  // Children of each switch: the lower-tier switches linked to it, in natural order (the
  // links are sorted by their lower end).
  std::map<std::string, std::vector<std::string>> below;
  std::set<std::string> has_upper;
  for (const auto& link : topology.links) {
    below[link.upper].push_back(link.lower);
    has_upper.insert(link.lower);
  }
  std::vector<std::string> leaves;
  std::set<std::string> seen;
  const std::function<void(const std::string&)> walk = [&](const std::string& sw) {
    if (!seen.insert(sw).second) return;
    const int s = topology.find_switch(sw);
    if (s >= 0 && topology.switches[static_cast<std::size_t>(s)].tier == 0) leaves.push_back(sw);
    for (const auto& child : below[sw])
      walk(child);
  };
  // Roots (no switch above), top tier first, natural order inside a tier.
  std::vector<const Switch*> roots;
  for (const auto& sw : topology.switches)
    if (has_upper.count(sw.name) == 0) roots.push_back(&sw);
  std::stable_sort(roots.begin(), roots.end(),
                   [](const Switch* a, const Switch* b) { return a->tier > b->tier; });
  for (const auto* root : roots)
    walk(root->name);
  std::vector<int> order;
  std::vector<bool> placed(topology.hosts.size(), false);
  for (const auto& leaf : leaves) {
    for (std::size_t h = 0; h < topology.hosts.size(); ++h) {
      if (!placed[h] && topology.leaf_of(static_cast<int>(h)) == leaf) {
        order.push_back(static_cast<int>(h));
        placed[h] = true;
      }
    }
  }
  for (std::size_t h = 0; h < topology.hosts.size(); ++h)
    if (!placed[h]) order.push_back(static_cast<int>(h));
  return order;
}

Placement place_ranks(const Topology& topology, const std::vector<std::string>& rank_hosts) {
  Placement p;
  p.ranks.resize(rank_hosts.size());
  p.by_host.resize(topology.hosts.size());
  for (std::size_t r = 0; r < rank_hosts.size(); ++r) {
    const int h = topology.find_host(rank_hosts[r]);
    if (h < 0) {
      throw TopologyError("rank " + std::to_string(r) + " runs on host '" + rank_hosts[r] +
                          "', which the topology (" + topology.source + ") does not describe");
    }
    p.ranks[r].host = h;
    p.ranks[r].local_rank = static_cast<int>(p.by_host[static_cast<std::size_t>(h)].size());
    p.by_host[static_cast<std::size_t>(h)].push_back(static_cast<int>(r));
  }
  for (auto& place : p.ranks) {
    const auto& host = topology.hosts[static_cast<std::size_t>(place.host)];
    place.local_size = static_cast<int>(p.by_host[static_cast<std::size_t>(place.host)].size());
    place.nic = host.nics.empty() ? -1 : place.local_rank % static_cast<int>(host.nics.size());
  }
  return p;
}

const char* rank_order_name(RankOrder order) {
  switch (order) {
    case RankOrder::rank:
      return "rank";
    case RankOrder::topology:
      return "topology";
    case RankOrder::random:
      return "random";
  }
  return "?";
}

std::vector<int> ring_order(const Topology& topology, const Placement& placement, RankOrder order,
                            std::uint64_t seed) {
  const auto n = placement.ranks.size();
  std::vector<int> out(n);
  std::iota(out.begin(), out.end(), 0);
  if (order == RankOrder::topology) {
    out.clear();
    for (const int h : host_order(topology))
      for (const int r : placement.by_host[static_cast<std::size_t>(h)])
        out.push_back(r);
  } else if (order == RankOrder::random) {
    std::uint64_t state = seed;
    for (std::size_t i = n; i > 1; --i)  // Fisher-Yates
      std::swap(out[i - 1], out[draw_below(state, i)]);
  }
  return out;
}

RingCrossings ring_crossings(const Topology& topology, const Placement& placement,
                             const std::vector<int>& order) {
  RingCrossings c;
  const auto n = order.size();
  if (n < 2) return c;
  for (std::size_t i = 0; i < n; ++i) {
    const int a = placement.ranks[static_cast<std::size_t>(order[i])].host;
    const int b = placement.ranks[static_cast<std::size_t>(order[(i + 1) % n])].host;
    if (a == b) continue;
    ++c.hosts;
    const auto& la = topology.leaf_of(a);
    const auto& lb = topology.leaf_of(b);
    if (la.empty() || lb.empty() || la != lb) ++c.leaves;
  }
  return c;
}

bool RankLayout::uniform() const {
  return std::all_of(hosts.begin(), hosts.end(),
                     [&](const auto& h) { return h.size() == hosts.front().size(); });
}

RankLayout make_layout(const Placement& placement, const std::vector<int>& order) {
  RankLayout layout;
  layout.order = order;
  std::vector<int> seen(placement.by_host.size(), 0);
  for (const int r : order) {
    const int h = placement.ranks[static_cast<std::size_t>(r)].host;
    if (seen[static_cast<std::size_t>(h)]++ == 0)
      layout.hosts.push_back(placement.by_host[static_cast<std::size_t>(h)]);
  }
  return layout;
}

RankLayout flat_layout(int n) {
  RankLayout layout;
  layout.order.resize(static_cast<std::size_t>(n));
  std::iota(layout.order.begin(), layout.order.end(), 0);
  for (int r = 0; r < n; ++r)
    layout.hosts.push_back({r});
  return layout;
}

std::vector<std::pair<int, int>> worst_pairing(const Topology& topology,
                                               const std::vector<int>& hosts) {
  const auto order = host_order(topology);
  std::vector<int> sorted;
  for (const int h : order)
    if (std::find(hosts.begin(), hosts.end(), h) != hosts.end()) sorted.push_back(h);
  std::vector<std::pair<int, int>> pairs;
  const std::size_t half = sorted.size() / 2;
  for (std::size_t i = 0; i < half; ++i)
    pairs.emplace_back(sorted[i], sorted[i + half]);
  return pairs;
}

std::vector<std::pair<int, int>> random_pairing(const std::vector<int>& hosts, std::uint64_t seed) {
  std::vector<int> shuffled = hosts;
  std::uint64_t state = seed;
  for (std::size_t i = shuffled.size(); i > 1; --i)  // Fisher-Yates
    std::swap(shuffled[i - 1], shuffled[draw_below(state, i)]);
  std::vector<std::pair<int, int>> pairs;
  const std::size_t half = shuffled.size() / 2;
  for (std::size_t i = 0; i < half; ++i)
    pairs.emplace_back(shuffled[i], shuffled[i + half]);
  return pairs;
}

std::vector<std::pair<int, int>> rank_pairs(const Placement& placement,
                                            const std::vector<std::pair<int, int>>& host_pairs) {
  std::vector<std::pair<int, int>> pairs;
  for (const auto& [a, b] : host_pairs) {
    const auto& from = placement.by_host.at(static_cast<std::size_t>(a));
    const auto& to = placement.by_host.at(static_cast<std::size_t>(b));
    for (std::size_t l = 0; l < from.size() && l < to.size(); ++l)
      pairs.emplace_back(from[l], to[l]);
  }
  return pairs;
}

}  // namespace fb::topo
