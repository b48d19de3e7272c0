// The bisection test's plan and verdict (harness/p2p/p2p_bisection.hpp), the pairings it
// draws (topologies/topology.hpp), and the link matrix grouped by the model
// (harness/p2p/p2p_report.hpp group_links), on the 2:1 leaf/spine and a two-rail model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "harness/p2p/p2p_bisection.hpp"
#include "harness/p2p/p2p_report.hpp"
#include "tests/unit/topology_fixtures.hpp"
#include "topologies/topology.hpp"

namespace fb {
namespace {

using test::kLeafSpine;

constexpr const char* kThreeLeaves = R"(
version: 1
switches:
  - name: spine
  - name: leaf[0-2]
    uplinks: [{to: spine, rate: 800Mbit}]
hosts:
  - name: n[1-2]
    nics: [{name: eth0, switch: leaf0, rate: 400Mbit}]
  - name: n[3-4]
    nics: [{name: eth0, switch: leaf1, rate: 400Mbit}]
  - name: n[5-6]
    nics: [{name: eth0, switch: leaf2, rate: 400Mbit}]
)";

constexpr const char* kTwoRail = R"(
version: 1
switches:
  - name: rail0
  - name: rail1
hosts:
  - name: n[1-2]
    nics:
      - {name: f0, switch: rail0, rate: 400Mbit, rail: 0}
      - {name: f1, switch: rail1, rate: 400Mbit, rail: 1}
)";

topo::Topology model(const char* yaml) {
  return topo::parse_yaml_topology(yaml, "test.yaml");
}

TEST(BisectionPlan, WorstPairingCrossesTheSpineAndRandomOnesAreSeeded) {
  const auto m = model(kLeafSpine);
  // Ranks numbered alternately across the leaves: the pairing follows hosts, not ranks.
  const auto placement = topo::place_ranks(m, {"n1", "n3", "n2", "n4"});
  const auto plan = plan_bisection(m, placement, 3, 7, 0);
  ASSERT_EQ(plan.size(), 4U);
  EXPECT_EQ(plan[0].label, "worst");
  EXPECT_EQ(plan[0].host_pair_names, (std::vector<std::string>{"n1->n3", "n2->n4"}));
  EXPECT_EQ(plan[0].rank_pairs, (std::vector<std::pair<int, int>>{{0, 1}, {2, 3}}));
  EXPECT_DOUBLE_EQ(plan[0].rate_sum_Gbps, 0.8);
  EXPECT_EQ(plan[3].label, "random 3");
  // The same seed, the same pairings; every host in exactly one pair.
  const auto again = plan_bisection(m, placement, 3, 7, 0);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].host_pairs, again[i].host_pairs);
    std::set<int> hosts;
    for (const auto& [a, b] : plan[i].host_pairs) {
      hosts.insert(a);
      hosts.insert(b);
    }
    EXPECT_EQ(hosts.size(), 4U);
  }
  // Different seeds draw different pairings somewhere among 20.
  std::set<std::vector<std::pair<int, int>>> seen;
  for (const auto& p : plan_bisection(m, placement, 20, 1, 0))
    seen.insert(p.host_pairs);
  EXPECT_GT(seen.size(), 3U);
}

TEST(BisectionPlan, RatesFromTheModelElseTheLineRateAndTheSlowerEnd) {
  // Two rails, two ranks per host: both NICs of each host carry, 0.8 Gb/s per host pair.
  const auto rails = model(kTwoRail);
  const auto two = topo::place_ranks(rails, {"n1", "n1", "n2", "n2"});
  const auto plan = plan_bisection(rails, two, 0, 1, 0);
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].rank_pairs, (std::vector<std::pair<int, int>>{{0, 2}, {1, 3}}));
  EXPECT_DOUBLE_EQ(plan[0].rate_sum_Gbps, 0.8);
  // One rank on the first host: only one pair, one NIC's rate.
  const auto one = topo::place_ranks(rails, {"n1", "n2", "n2"});
  EXPECT_DOUBLE_EQ(plan_bisection(rails, one, 0, 1, 0)[0].rate_sum_Gbps, 0.4);
  // The flat model knows no rates: the line rate stands in, or nothing is known.
  const auto flat = topo::flat_topology({"a", "b", "c"});
  const auto placed = topo::place_ranks(flat, {"a", "b", "c"});
  EXPECT_DOUBLE_EQ(plan_bisection(flat, placed, 0, 1, 100)[0].rate_sum_Gbps, 100);
  EXPECT_EQ(plan_bisection(flat, placed, 0, 1, 0)[0].rate_sum_Gbps, 0);
  EXPECT_EQ(plan_bisection(flat, placed, 0, 1, 0)[0].host_pairs.size(), 1U);  // c sits out
}

TEST(BisectionPlan, OneHostIsRefused) {
  const auto flat = topo::flat_topology({"a"});
  try {
    plan_bisection(flat, topo::place_ranks(flat, {"a", "a"}), 4, 1, 0);
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2 hosts"), std::string::npos) << e.what();
  }
}

TEST(BisectionVerdict, TheSlowestPairingGivesTheOversubscription) {
  const auto m = model(kLeafSpine);
  const auto placement = topo::place_ranks(m, {"n1", "n2", "n3", "n4"});
  auto plan = plan_bisection(m, placement, 1, 1, 0);
  plan[1].label = "random 1";
  // worst: 0.4 Gb/s of 0.8 (2:1); the random pairing 0.76 of 0.8.
  const std::vector<BisectionMeasured> measured = {{0.05, {0.025, 0.025}},
                                                   {0.095, {0.0475, 0.0475}}};
  const auto v = judge_bisection(plan, measured, 1 << 20);
  EXPECT_EQ(v.slowest, 0U);
  EXPECT_EQ(v.fastest, 1U);
  EXPECT_NEAR(v.fraction, 0.5, 1e-12);
  EXPECT_NEAR(v.oversubscription, 2.0, 1e-12);
  EXPECT_NEAR(v.against_fastest, 1.9, 1e-12);
  ASSERT_EQ(v.slowest_pairs.size(), 3U) << ::testing::PrintToString(v.slowest_pairs);
  EXPECT_EQ(v.slowest_pairs[0].rfind("n1->n3 (worst): 0.2000 Gb/s, 50.00% of its 0.4000 Gb/s", 0),
            0U)
      << v.slowest_pairs[0];
  const std::string all = [&] {
    std::string text;
    for (const auto& line : v.lines)
      text += line + "\n";
    return text;
  }();
  EXPECT_NE(all.find("oversubscription 2.00:1"), std::string::npos) << all;
  EXPECT_NE(all.find("n1->n3 n2->n4"), std::string::npos) << all;
}

TEST(BisectionVerdict, UnknownRatesGiveNoOversubscription) {
  const auto flat = topo::flat_topology({"a", "b"});
  const auto plan = plan_bisection(flat, topo::place_ranks(flat, {"a", "b"}), 1, 1, 0);
  const auto v = judge_bisection(plan, {{0.1, {0.1}}, {0.05, {0.05}}}, 8);
  EXPECT_EQ(v.slowest, 1U);
  EXPECT_EQ(v.oversubscription, 0);
  EXPECT_NEAR(v.against_fastest, 2.0, 1e-12);
  EXPECT_NE(v.lines.back().find("a->b"), std::string::npos);
  EXPECT_THROW(judge_bisection(plan, {{0.1, {0.1}}}, 8), std::invalid_argument);
}

results::LinkMatrix matrix(const std::vector<std::string>& hosts, double base) {
  results::LinkMatrix m;
  m.n_ranks = static_cast<std::int64_t>(hosts.size());
  m.hostnames = hosts;
  m.threshold_fraction = 0.5;
  const auto n = hosts.size();
  m.bandwidth_GBps.assign(n * n, base);
  for (std::size_t i = 0; i < n; ++i)
    m.bandwidth_GBps[i * n + i] = std::numeric_limits<double>::quiet_NaN();
  return m;
}

void slow(results::LinkMatrix& m, const std::vector<std::size_t>& ranks, double bw) {
  const auto n = static_cast<std::size_t>(m.n_ranks);
  for (const auto r : ranks) {
    for (std::size_t j = 0; j < n; ++j) {
      if (j == r) continue;
      m.bandwidth_GBps[r * n + j] = bw;
      m.bandwidth_GBps[j * n + r] = bw;
    }
  }
}

TEST(GroupLinks, AHealthyFabricFlagsNothingAndListsItsClasses) {
  const auto t = model(kLeafSpine);
  const std::vector<std::string> hosts = {"n1", "n2", "n3", "n4"};
  auto m = matrix(hosts, 0.05);
  group_links(m, t, topo::place_ranks(t, hosts));
  EXPECT_EQ(m.link_groups,
            (std::vector<std::string>{"across the spine: 8 links, median 0.05000 GB/s",
                                      "within leaf leaf0: 2 links, median 0.05000 GB/s",
                                      "within leaf leaf1: 2 links, median 0.05000 GB/s"}));
  EXPECT_TRUE(m.flagged_groups.empty());
}

TEST(GroupLinks, ASlowSpineIsFlaggedAgainstTheLeaves) {
  const auto t = model(kLeafSpine);
  const std::vector<std::string> hosts = {"n1", "n2", "n3", "n4"};
  auto m = matrix(hosts, 0.02);  // every link across the spine slow ...
  const auto n = hosts.size();
  for (const auto& [i, j] :
       std::vector<std::pair<std::size_t, std::size_t>>{{0, 1}, {1, 0}, {2, 3}, {3, 2}})
    m.bandwidth_GBps[i * n + j] = 0.05;  // ... the leaves fine
  group_links(m, t, topo::place_ranks(t, hosts));
  ASSERT_EQ(m.flagged_groups.size(), 1U) << ::testing::PrintToString(m.flagged_groups);
  EXPECT_EQ(m.flagged_groups[0].rfind("the spine: links across it have a median of 0.02", 0), 0U)
      << m.flagged_groups[0];
}

TEST(GroupLinks, OnTwoLeavesASlowLeafIsNotASlowSpine) {
  const auto t = model(kLeafSpine);
  const std::vector<std::string> hosts = {"n1", "n2", "n3", "n4"};
  auto m = matrix(hosts, 0.05);
  slow(m, {2, 3}, 0.01);  // leaf1's switch: its own links and its uplink
  group_links(m, t, topo::place_ranks(t, hosts));
  ASSERT_EQ(m.flagged_groups.size(), 1U) << ::testing::PrintToString(m.flagged_groups);
  EXPECT_EQ(m.flagged_groups[0].rfind("leaf leaf1: its 2 within-leaf links", 0), 0U)
      << m.flagged_groups[0];
}

TEST(GroupLinks, AWholeLeafIsNamedAloneNotItsHosts) {
  const auto t = model(kThreeLeaves);
  const std::vector<std::string> hosts = {"n1", "n2", "n3", "n4", "n5", "n6"};
  auto m = matrix(hosts, 0.05);
  slow(m, {2, 3}, 0.01);  // every link of leaf1's hosts
  group_links(m, t, topo::place_ranks(t, hosts));
  ASSERT_EQ(m.flagged_groups.size(), 1U) << ::testing::PrintToString(m.flagged_groups);
  EXPECT_EQ(
      m.flagged_groups[0].rfind("leaf leaf1: its 16 cross-spine links have a median of 0.01", 0),
      0U)
      << m.flagged_groups[0];
  // One slow host: named, its leaf not.
  auto one = matrix(hosts, 0.05);
  slow(one, {4}, 0.01);
  group_links(one, t, topo::place_ranks(t, hosts));
  ASSERT_EQ(one.flagged_groups.size(), 1U);
  EXPECT_EQ(one.flagged_groups[0].rfind("host n5: its 8 cross-spine links", 0), 0U)
      << one.flagged_groups[0];
}

TEST(GroupLinks, WithoutSwitchesLinksAreWithinOrBetweenHosts) {
  const auto flat = topo::flat_topology({"a", "b"});
  const std::vector<std::string> hosts = {"a", "a", "b"};
  auto m = matrix(hosts, 0.05);
  group_links(m, flat, topo::place_ranks(flat, hosts));
  EXPECT_EQ(m.link_groups,
            (std::vector<std::string>{"between hosts: 4 links, median 0.05000 GB/s",
                                      "within a host: 2 links, median 0.05000 GB/s"}));
}

}  // namespace
}  // namespace fb
