// Topology sweep, first form: the same series measured on growing subsets of the job's
// nodes (--nodes 2,4 or --nodes sweep) with a chosen number of ranks per node
// (--ranks-per-node). Nodes are told apart by host name and taken in the order of their
// first rank; on each node the subset uses its first ranks. Each subset runs on a bootstrap
// of its own (Bootstrap::split) while the other ranks wait, and each of its series is a
// series of its own, named with the suffix ".nodes<M>x<K>" and carrying the parameters
// nodes = M and ranks_per_node = K.
#pragma once

#include <string>
#include <vector>

#include "harness/cli/options.hpp"

namespace fb {

struct NodeSubset {
  int nodes = 0;
  int ranks_per_node = 0;
  std::vector<int> ranks;          // world ranks, ascending; world rank 0 is always among them
  std::vector<std::string> hosts;  // the nodes used, in order
  std::string suffix() const;      // ".nodes<M>x<K>"
};

// The subsets to measure, from every rank's host name (rank order). Empty when no topology
// sweep was asked for (neither --nodes nor --ranks-per-node). Throws PlanError when the
// launch cannot provide what was asked: more nodes than the job spans, or a node with fewer
// ranks than --ranks-per-node.
std::vector<NodeSubset> plan_subsets(const RunOptions& options,
                                     const std::vector<std::string>& hostnames);

}  // namespace fb
