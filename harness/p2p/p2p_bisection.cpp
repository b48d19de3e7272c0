#include "harness/p2p/p2p_bisection.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

#include "harness/cli/size_parse.hpp"
#include "harness/number_format.hpp"

namespace fb {

namespace {

// What the ranks of `host` in `ranks` can send or receive: the rates of the distinct NICs
// they drive (a NIC the model gives no rate runs at `line_rate`); 0 when one is unknown.
double ranks_rate_Gbps(const topo::Topology& model, const topo::Placement& placement, int host,
                       const std::vector<int>& ranks, double line_rate) {
  std::set<int> nics;
  for (const int r : ranks)
    nics.insert(placement.ranks.at(static_cast<std::size_t>(r)).nic);
  double sum = 0;
  const auto& described = model.hosts.at(static_cast<std::size_t>(host)).nics;
  for (const int nic : nics) {
    const double rate = nic >= 0 && static_cast<std::size_t>(nic) < described.size()
                            ? described[static_cast<std::size_t>(nic)].rate_Gbps
                            : 0.0;
    const double used = rate > 0 ? rate : line_rate;
    if (used <= 0) return 0;
    sum += used;
  }
  return sum;
}

BisectionPairing make_pairing(const topo::Topology& model, const topo::Placement& placement,
                              std::string label, std::vector<std::pair<int, int>> host_pairs,
                              double line_rate) {
  BisectionPairing p;
  p.label = std::move(label);
  p.host_pairs = std::move(host_pairs);
  bool known = true;
  for (std::size_t k = 0; k < p.host_pairs.size(); ++k) {
    const auto [a, b] = p.host_pairs[k];
    std::string name = model.hosts[static_cast<std::size_t>(a)].name;
    name.append("->").append(model.hosts[static_cast<std::size_t>(b)].name);
    p.host_pair_names.push_back(std::move(name));
    const auto pairs = topo::rank_pairs(placement, {{a, b}});
    std::vector<int> senders, receivers;
    for (const auto& [s, r] : pairs) {
      p.rank_pairs.emplace_back(s, r);
      p.rank_pair_host_pair.push_back(static_cast<int>(k));
      senders.push_back(s);
      receivers.push_back(r);
    }
    const double rate = std::min(ranks_rate_Gbps(model, placement, a, senders, line_rate),
                                 ranks_rate_Gbps(model, placement, b, receivers, line_rate));
    p.host_pair_rate_Gbps.push_back(rate);
    known = known && rate > 0;
    p.rate_sum_Gbps += rate;
  }
  if (!known) p.rate_sum_Gbps = 0;
  return p;
}

std::string percent(double fraction) {
  return format_figure(fraction * 100) + "%";
}

// "2.10:1"
std::string format_ratio(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f:1", ratio);
  return text;
}

}  // namespace

std::vector<BisectionPairing> plan_bisection(const topo::Topology& model,
                                             const topo::Placement& placement, int random,
                                             std::uint64_t seed, double line_rate_Gbps) {
  std::vector<int> hosts;
  for (std::size_t h = 0; h < placement.by_host.size(); ++h)
    if (!placement.by_host[h].empty()) hosts.push_back(static_cast<int>(h));
  if (hosts.size() < 2) {
    throw std::invalid_argument(
        "the bisection test needs ranks on at least 2 hosts (this job's ranks are all on " +
        (hosts.empty() ? std::string("none")
                       : model.hosts[static_cast<std::size_t>(hosts[0])].name) +
        ")");
  }
  std::vector<BisectionPairing> out;
  out.push_back(
      make_pairing(model, placement, "worst", topo::worst_pairing(model, hosts), line_rate_Gbps));
  for (int k = 0; k < random; ++k) {
    out.push_back(make_pairing(model, placement, "random " + std::to_string(k + 1),
                               topo::random_pairing(hosts, seed + static_cast<std::uint64_t>(k)),
                               line_rate_Gbps));
  }
  return out;
}

BisectionVerdict judge_bisection(const std::vector<BisectionPairing>& pairings,
                                 const std::vector<BisectionMeasured>& measured,
                                 std::uint64_t size_bytes, std::size_t shown) {
  if (pairings.size() != measured.size() || pairings.empty())
    throw std::invalid_argument("judge_bisection: one measurement per pairing");
  BisectionVerdict v;
  bool rates_known = true;
  for (const auto& p : pairings)
    rates_known = rates_known && p.rate_sum_Gbps > 0;
  // Per unit of what the pairing could carry when every rate is known, else absolute.
  auto score = [&](std::size_t i) {
    const double gbps = measured[i].aggregate_GBps * 8;
    return rates_known ? gbps / pairings[i].rate_sum_Gbps : gbps;
  };
  for (std::size_t i = 1; i < pairings.size(); ++i) {
    if (score(i) < score(v.slowest)) v.slowest = i;
    if (score(i) > score(v.fastest)) v.fastest = i;
  }
  if (rates_known) {
    v.fraction = score(v.slowest);
    v.oversubscription = v.fraction > 0 ? 1 / v.fraction : 0;
  }
  v.against_fastest = score(v.slowest) > 0 ? score(v.fastest) / score(v.slowest) : 0;

  // The host pairs, each at its slowest over the pairings, by fraction of its rate (or rate).
  struct PairSeen {
    double GBps = 0;
    double rate_Gbps = 0;
    std::string pairing;
  };
  // How a pair is ranked: its share of its rate when every rate is known, else its rate.
  const auto relative = [&](const PairSeen& s) {
    return s.rate_Gbps > 0 && rates_known ? s.GBps * 8 / s.rate_Gbps : s.GBps;
  };
  std::map<std::string, PairSeen> seen;
  for (std::size_t i = 0; i < pairings.size(); ++i) {
    const auto& p = pairings[i];
    std::vector<double> host_pair_GBps(p.host_pairs.size(), 0.0);
    for (std::size_t k = 0; k < p.rank_pairs.size() && k < measured[i].rank_pair_GBps.size(); ++k)
      host_pair_GBps[static_cast<std::size_t>(p.rank_pair_host_pair[k])] +=
          measured[i].rank_pair_GBps[k];
    for (std::size_t k = 0; k < p.host_pairs.size(); ++k) {
      const PairSeen now{host_pair_GBps[k], p.host_pair_rate_Gbps[k], p.label};
      const auto [it, inserted] = seen.emplace(p.host_pair_names[k], now);
      if (!inserted && relative(now) < relative(it->second)) it->second = now;
    }
  }
  std::vector<std::pair<std::string, PairSeen>> pairs(seen.begin(), seen.end());
  std::stable_sort(pairs.begin(), pairs.end(), [&](const auto& x, const auto& y) {
    return relative(x.second) < relative(y.second);
  });
  for (std::size_t k = 0; k < pairs.size() && k < shown; ++k) {
    const auto& [name, s] = pairs[k];
    std::string line = name;
    line.append(" (").append(s.pairing).append("): ").append(format_figure(s.GBps * 8));
    line.append(" Gb/s");
    if (rates_known && s.rate_Gbps > 0) {
      line.append(", ").append(percent(s.GBps * 8 / s.rate_Gbps)).append(" of its ");
      line.append(format_figure(s.rate_Gbps)).append(" Gb/s");
    }
    v.slowest_pairs.push_back(std::move(line));
  }

  auto& out = v.lines;
  std::string head = "bisection at ";
  head.append(format_size(size_bytes)).append(": ");
  head.append(std::to_string(pairings.front().host_pairs.size() * 2));
  head.append(" hosts, half of them sending to the other half at once");
  out.push_back(std::move(head));
  char row[160];
  std::snprintf(row, sizeof row, "  %-10s %6s %16s %12s  %s", "pairing", "pairs", "aggregate(Gb/s)",
                "of its rate", "hosts");
  out.emplace_back(row);
  for (std::size_t i = 0; i < pairings.size(); ++i) {
    const auto& p = pairings[i];
    const std::string of =
        p.rate_sum_Gbps > 0 ? percent(measured[i].aggregate_GBps * 8 / p.rate_sum_Gbps) : "-";
    std::snprintf(row, sizeof row, "  %-10s %6zu %16s %12s  ", p.label.c_str(), p.rank_pairs.size(),
                  format_figure(measured[i].aggregate_GBps * 8).c_str(), of.c_str());
    std::string line(row);
    for (std::size_t k = 0; k < p.host_pair_names.size(); ++k)
      line.append(k == 0 ? "" : " ").append(p.host_pair_names[k]);
    out.push_back(std::move(line));
  }
  const auto& slow = pairings[v.slowest];
  std::string verdict = "bisection bandwidth ";
  verdict.append(format_figure(measured[v.slowest].aggregate_GBps * 8)).append(" Gb/s (pairing ");
  verdict.append(slow.label).append(")");
  if (rates_known) {
    verdict.append(": ").append(percent(v.fraction)).append(" of the ");
    verdict.append(format_figure(slow.rate_sum_Gbps)).append(" Gb/s its hosts can send");
    verdict.append(", oversubscription ").append(format_ratio(v.oversubscription));
  } else {
    verdict.append(
        "; the hosts' rates are unknown (give --topology with NIC rates, or "
        "--line-rate), so no oversubscription");
  }
  out.push_back(std::move(verdict));
  if (pairings.size() > 1) {
    char times[32];
    std::snprintf(times, sizeof times, "%.2f", v.against_fastest);
    std::string spread = "the fastest pairing (";
    spread.append(pairings[v.fastest].label).append(") carried ").append(times);
    spread.append(" times as much as the slowest");
    if (rates_known) spread.append(", each per unit of its hosts' rate");
    out.push_back(std::move(spread));
  }
  for (const auto& p : v.slowest_pairs)
    out.push_back("slowest pair: " + p);
  return v;
}

}  // namespace fb
