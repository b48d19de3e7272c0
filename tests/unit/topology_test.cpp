// The fabric model (topologies/topology.hpp): host lists, the YAML and Slurm readers and
// their checks, the canonical JSON, the comparison of two models, placement and rank orders.
#include "topologies/topology.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/topology_fixtures.hpp"

namespace fb::topo {
namespace {

using fb::test::kLeafSpine;

constexpr const char* kLeafSpineSlurm = R"(
# the same fabric as Slurm sees it
SwitchName=leaf0 Nodes=n[1-2]
SwitchName=leaf1 Nodes=n[3-4] LinkSpeed=7
SwitchName=spine \
  Switches=leaf[0-1]
)";

TEST(HostList, ExpandsRangesListsAndPadding) {
  EXPECT_EQ(expand_hostlist("n[1-3],login"), (std::vector<std::string>{"n1", "n2", "n3", "login"}));
  EXPECT_EQ(expand_hostlist("c[08-10]"), (std::vector<std::string>{"c08", "c09", "c10"}));
  EXPECT_EQ(expand_hostlist("r[1,4]x[0-1]"),
            (std::vector<std::string>{"r1x0", "r1x1", "r4x0", "r4x1"}));
  EXPECT_THROW(expand_hostlist("n[1-"), TopologyError);
  EXPECT_THROW(expand_hostlist("n[3-1]"), TopologyError);
  EXPECT_THROW(expand_hostlist("n[a-b]"), TopologyError);
  EXPECT_THROW(expand_hostlist("a,,b"), TopologyError);
}

TEST(NaturalOrder, NumbersCompareAsNumbers) {
  EXPECT_TRUE(natural_less("h2", "h10"));
  EXPECT_FALSE(natural_less("h10", "h2"));
  EXPECT_TRUE(natural_less("a", "b"));
  EXPECT_TRUE(natural_less("leaf", "leaf0"));
  EXPECT_FALSE(natural_less("h1", "h1"));
}

TEST(YamlTopology, ReadsSwitchesTiersLinksAndNics) {
  const auto t = parse_yaml_topology(kLeafSpine, "test");
  ASSERT_EQ(t.hosts.size(), 4U);
  ASSERT_EQ(t.switches.size(), 3U);
  EXPECT_EQ(t.switches[0].name, "leaf0");
  EXPECT_EQ(t.switches[0].tier, 0);
  EXPECT_EQ(t.switches[2].name, "spine");
  EXPECT_EQ(t.switches[2].tier, 1);
  ASSERT_EQ(t.links.size(), 2U);
  EXPECT_EQ(t.links[1].lower, "leaf1");
  EXPECT_EQ(t.links[1].upper, "spine");
  EXPECT_DOUBLE_EQ(t.links[1].rate_Gbps, 0.4);
  EXPECT_EQ(t.hosts[2].name, "n3");
  EXPECT_EQ(t.leaf_of(2), "leaf1");
  EXPECT_EQ(t.hosts[2].nics[0].name, "eth0");
  EXPECT_EQ(t.hosts[2].nics[0].rail, 0);
  EXPECT_DOUBLE_EQ(t.host_rate_Gbps(2), 0.4);
  EXPECT_EQ(t.find_host("n3.cluster.example"), 2);
  EXPECT_EQ(t.find_host("n9"), -1);
}

TEST(YamlTopology, RailsDefaultToTheNicIndex) {
  const auto t = parse_yaml_topology(R"(
switches: [{name: rail0}, {name: rail1}]
hosts:
  - name: g[0-1]
    nics: [{name: ib0, switch: rail0, rate: 400G}, {name: ib1, switch: rail1, rate: 400G}]
)",
                                     "rails");
  ASSERT_EQ(t.hosts[1].nics.size(), 2U);
  EXPECT_EQ(t.hosts[1].nics[1].rail, 1);
  EXPECT_EQ(t.hosts[1].nics[1].switch_name, "rail1");
  EXPECT_DOUBLE_EQ(t.host_rate_Gbps(1), 800);
}

void expect_refused(const char* yaml, const std::string& words) {
  try {
    (void)parse_yaml_topology(yaml, "bad.yaml");
    ADD_FAILURE() << "accepted: " << yaml;
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("bad.yaml: ", 0), 0U) << e.what();
  }
}

TEST(YamlTopology, RefusesWhatDoesNotHoldTogether) {
  expect_refused("hosts: [{name: a, switch: x}]", "switch 'x', which is not described");
  expect_refused("hosts: [{name: a}, {name: a}]", "host 'a' is named twice");
  expect_refused("hosts: [{name: a, rate: fast}]", "rate 'fast'");
  expect_refused("hosts: [{name: a, nic: [eth0]}]", "unknown key 'nic'");
  expect_refused("version: 2\nhosts: [{name: a}]", "version 2");
  expect_refused("switches: [{name: s}]", "'hosts' must be a list");
  expect_refused(
      "switches: [{name: a, uplinks: [{to: b}]}, {name: b, uplinks: [{to: a}]}]\nhosts: [{name: "
      "h}]",
      "linked twice");
  expect_refused(
      "switches: [{name: a, uplinks: [{to: b}]}, {name: b, uplinks: [{to: c}]}, {name: c, "
      "uplinks: [{to: a}]}]\nhosts: [{name: h}]",
      "cycle");
  expect_refused("hosts: [{name: 'a[1-'}]", "unbalanced");
  expect_refused("hosts: [", "not YAML");
}

TEST(SlurmTopology, GivesTheSameModelAsTheYaml) {
  const auto yaml = parse_yaml_topology(kLeafSpine, "yaml");
  const auto slurm = parse_slurm_topology(kLeafSpineSlurm, "slurm");
  EXPECT_TRUE(compare_topologies(yaml, slurm).empty());
  // What Slurm cannot know (rates, NIC names) is all that differs in the JSON.
  const auto strip = [](std::string json) {
    for (const char* key : {"\"rate_gbps\":0.4", "\"rate_gbps\":0.0", "\"name\":\"eth0\"",
                            "\"name\":\"\"", "\"source\":\"yaml\"", "\"source\":\"slurm\""}) {
      for (auto at = json.find(key); at != std::string::npos; at = json.find(key))
        json.erase(at, std::string(key).size());
    }
    return json;
  };
  EXPECT_EQ(strip(to_json(yaml, -1)), strip(to_json(slurm, -1)));
}

TEST(SlurmTopology, NamesTheDifferencesOfAnotherFabric) {
  const auto yaml = parse_yaml_topology(kLeafSpine, "yaml");
  const auto moved = parse_slurm_topology(
      "SwitchName=leaf0 Nodes=n[1-3]\nSwitchName=leaf1 Nodes=n4\nSwitchName=spine "
      "Switches=leaf[0-1]\n",
      "slurm");
  const auto diffs = compare_topologies(yaml, moved);
  ASSERT_EQ(diffs.size(), 1U);
  EXPECT_EQ(diffs[0], "host n3 hangs from leaf1 in yaml but from leaf0 in slurm");
}

TEST(SlurmTopology, RefusesBlocksAndNonsense) {
  EXPECT_THROW(parse_slurm_topology("BlockName=b1 Nodes=n[1-4]\n", "s"), TopologyError);
  EXPECT_THROW(parse_slurm_topology("SwitchName=s Nodes=n1 Colour=red\n", "s"), TopologyError);
  EXPECT_THROW(parse_slurm_topology("SwitchName=s Switches=t\n", "s"), TopologyError);
  EXPECT_THROW(parse_slurm_topology("Nodes=n1\n", "s"), TopologyError);
}

TEST(Placement, LocalRanksNicsAndUnknownHosts) {
  const auto t = parse_yaml_topology(R"(
switches: [{name: r0}, {name: r1}]
hosts:
  - name: g[0-1]
    nics: [{name: ib0, switch: r0}, {name: ib1, switch: r1}]
)",
                                     "rails");
  const auto p = place_ranks(t, {"g1", "g0", "g1", "g0", "g1"});
  EXPECT_EQ(p.ranks[0].host, 1);
  EXPECT_EQ(p.ranks[2].local_rank, 1);
  EXPECT_EQ(p.ranks[4].local_rank, 2);
  EXPECT_EQ(p.ranks[4].local_size, 3);
  EXPECT_EQ(p.ranks[2].nic, 1);
  EXPECT_EQ(p.ranks[4].nic, 0);
  EXPECT_EQ(p.by_host[0], (std::vector<int>{1, 3}));
  try {
    (void)place_ranks(t, {"g0", "x9"});
    ADD_FAILURE() << "an unknown host was placed";
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find("rank 1 runs on host 'x9'"), std::string::npos);
  }
}

TEST(RankOrder, TopologyOrderKeepsLeavesTogetherAndCrossesLeast) {
  const auto t = parse_yaml_topology(kLeafSpine, "yaml");
  // Ranks numbered alternately across the leaves: n1 (leaf0), n3 (leaf1), n2, n4.
  const std::vector<std::string> hosts{"n1", "n3", "n2", "n4"};
  const auto p = place_ranks(t, hosts);
  const auto by_rank = ring_order(t, p, RankOrder::rank, 0);
  EXPECT_EQ(by_rank, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(ring_crossings(t, p, by_rank).leaves, 4);
  const auto by_topology = ring_order(t, p, RankOrder::topology, 0);
  EXPECT_EQ(by_topology, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(ring_crossings(t, p, by_topology).leaves, 2);
  EXPECT_EQ(ring_crossings(t, p, by_topology).hosts, 4);
  const auto layout = make_layout(p, by_topology);
  EXPECT_TRUE(layout.uniform());
  ASSERT_EQ(layout.hosts.size(), 4U);
  EXPECT_EQ(layout.hosts[1], (std::vector<int>{2}));
}

TEST(RankOrder, HostOrderWalksTheTreeFromTheTop) {
  // Leaves named against their place: the walk goes spine a (leaf z), then spine b.
  const auto t = parse_yaml_topology(R"(
switches:
  - name: core
  - name: spine-a
    uplinks: [{to: core}]
  - name: spine-b
    uplinks: [{to: core}]
  - name: leaf-z
    uplinks: [{to: spine-a}]
  - name: leaf-a
    uplinks: [{to: spine-b}]
hosts:
  - {name: h1, switch: leaf-a}
  - {name: h2, switch: leaf-z}
  - {name: h3}
)",
                                     "tree");
  EXPECT_EQ(t.switches.back().name, "core");
  EXPECT_EQ(t.switches.back().tier, 2);
  const auto order = host_order(t);
  ASSERT_EQ(order.size(), 3U);
  EXPECT_EQ(t.hosts[static_cast<std::size_t>(order[0])].name, "h2");
  EXPECT_EQ(t.hosts[static_cast<std::size_t>(order[1])].name, "h1");
  EXPECT_EQ(t.hosts[static_cast<std::size_t>(order[2])].name, "h3");  // no leaf: last
}

TEST(RankOrder, RandomIsASeededPermutation) {
  std::vector<std::string> hosts(12, "h");
  const auto t = flat_topology(hosts);
  const auto p = place_ranks(t, hosts);
  const auto a = ring_order(t, p, RankOrder::random, 42);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(12);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_EQ(a, ring_order(t, p, RankOrder::random, 42));
  EXPECT_NE(a, ring_order(t, p, RankOrder::random, 43));
  EXPECT_NE(a, identity);
}

TEST(Bisection, WorstPairingCrossesTheSpine) {
  const auto t = parse_yaml_topology(kLeafSpine, "yaml");
  const auto pairs = worst_pairing(t, {0, 1, 2, 3});
  ASSERT_EQ(pairs.size(), 2U);
  for (const auto& [a, b] : pairs)
    EXPECT_NE(t.leaf_of(a), t.leaf_of(b));
}

TEST(FlatTopology, OneHostPerNameAndJsonThatReadsBack) {
  const auto t = flat_topology({"b", "a", "b"});
  ASSERT_EQ(t.hosts.size(), 2U);
  EXPECT_EQ(t.hosts[0].name, "a");
  const auto json = to_json(t, -1);
  EXPECT_NE(json.find("\"format\":\"fabricbench-topology\""), std::string::npos);
  EXPECT_NE(json.find("\"source\":\"flat\""), std::string::npos);
}

}  // namespace
}  // namespace fb::topo
