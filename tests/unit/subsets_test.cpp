// Node subsets of the topology sweep, from host names alone.
#include "harness/subsets.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/plan.hpp"

namespace fb {
namespace {

// Ranks dealt round robin over `nodes` hosts (as mpirun --map-by node does).
std::vector<std::string> round_robin(int ranks, int nodes) {
  std::vector<std::string> out;
  for (int r = 0; r < ranks; ++r)
    out.push_back("node" + std::to_string(r % nodes));
  return out;
}

TEST(Subsets, NoneUnlessAsked) {
  EXPECT_TRUE(plan_subsets(RunOptions{}, round_robin(8, 4)).empty());
}

TEST(Subsets, SweepDoublesUpToEveryNode) {
  RunOptions o;
  o.node_sweep = true;
  const auto subsets = plan_subsets(o, round_robin(12, 6));
  ASSERT_EQ(subsets.size(), 3U);  // 2, 4, 6
  EXPECT_EQ(subsets[0].nodes, 2);
  EXPECT_EQ(subsets[1].nodes, 4);
  EXPECT_EQ(subsets[2].nodes, 6);
  EXPECT_EQ(subsets[0].ranks_per_node, 2);  // every rank of each node by default
  EXPECT_EQ(subsets[0].ranks, (std::vector<int>{0, 1, 6, 7}));
  EXPECT_EQ(subsets[0].hosts, (std::vector<std::string>{"node0", "node1"}));
  EXPECT_EQ(subsets[2].ranks.size(), 12U);
  EXPECT_EQ(subsets[1].suffix(), ".nodes4x2");
}

TEST(Subsets, RanksPerNodeTakesTheFirstRanksOfEachNode) {
  RunOptions o;
  o.nodes = {1, 3};
  o.ranks_per_node = 1;
  const auto subsets = plan_subsets(o, round_robin(6, 3));
  ASSERT_EQ(subsets.size(), 2U);
  EXPECT_EQ(subsets[0].ranks, (std::vector<int>{0}));
  EXPECT_EQ(subsets[1].ranks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(subsets[1].suffix(), ".nodes3x1");
}

TEST(Subsets, BlockPlacementAndUnevenNodes) {
  // node a: ranks 0,1,2; node b: ranks 3,4. Default per node = the fewest (2).
  const std::vector<std::string> hosts{"a", "a", "a", "b", "b"};
  RunOptions o;
  o.nodes = {2};
  const auto subsets = plan_subsets(o, hosts);
  ASSERT_EQ(subsets.size(), 1U);
  EXPECT_EQ(subsets[0].ranks, (std::vector<int>{0, 1, 3, 4}));
  EXPECT_EQ(subsets[0].ranks_per_node, 2);
}

TEST(Subsets, RefusesWhatTheLaunchCannotGive) {
  RunOptions o;
  o.nodes = {8};
  try {
    plan_subsets(o, round_robin(4, 4));
    FAIL() << "8 nodes from a 4-node job";
  } catch (const PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("spans only 4 nodes"), std::string::npos) << e.what();
  }
  RunOptions p;
  p.ranks_per_node = 3;
  try {
    plan_subsets(p, {"a", "a", "a", "b", "b"});
    FAIL() << "3 ranks per node from a node with 2";
  } catch (const PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("node b has only 2 ranks"), std::string::npos) << e.what();
  }
}

// Two leaves of three nodes each; the job's ranks dealt over the nodes in another order.
constexpr const char* kTwoLeaves = R"(
version: 1
switches:
  - name: spine
  - name: leaf[0-1]
    uplinks: [{to: spine, rate: 400Mbit}]
hosts:
  - name: n[1-3]
    nics: [{name: eth0, switch: leaf0, rate: 400Mbit}]
  - name: n[4-6]
    nics: [{name: eth0, switch: leaf1, rate: 400Mbit}]
)";

TEST(Subsets, PlacementPacksWithinALeafOrSpreadsAcrossLeaves) {
  const auto model = topo::parse_yaml_topology(kTwoLeaves, "test.yaml");
  const std::vector<std::string> hosts = {"n2", "n5", "n1", "n4", "n3", "n6"};
  RunOptions o;
  o.nodes = {2, 3};
  o.node_placements = {RunOptions::NodePlacement::first, RunOptions::NodePlacement::packed,
                       RunOptions::NodePlacement::spread};
  o.node_placement_given = true;
  const auto subsets = plan_subsets(o, hosts, model);
  ASSERT_EQ(subsets.size(), 6U);
  // first: the job's first nodes, whatever their leaves.
  EXPECT_EQ(subsets[0].hosts, (std::vector<std::string>{"n2", "n5"}));
  EXPECT_EQ(subsets[0].suffix(), ".nodes2x1.first");
  // packed: rank 0's node, then its leaf's others in host order.
  EXPECT_EQ(subsets[2].hosts, (std::vector<std::string>{"n2", "n1"}));
  EXPECT_EQ(subsets[3].hosts, (std::vector<std::string>{"n2", "n1", "n3"}));
  EXPECT_EQ(subsets[3].ranks, (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(subsets[3].suffix(), ".nodes3x1.packed");
  // spread: one node per leaf in turn.
  EXPECT_EQ(subsets[4].hosts, (std::vector<std::string>{"n2", "n4"}));
  EXPECT_EQ(subsets[5].hosts, (std::vector<std::string>{"n2", "n4", "n1"}));
  EXPECT_EQ(subsets[5].suffix(), ".nodes3x1.spread");
  for (const auto& s : subsets)
    EXPECT_EQ(s.ranks.front(), 0);  // rank 0 writes the file: in every subset
  // Without the option the names stay as they were.
  RunOptions plain;
  plain.nodes = {2};
  EXPECT_EQ(plan_subsets(plain, hosts, model)[0].suffix(), ".nodes2x1");
}

}  // namespace
}  // namespace fb
