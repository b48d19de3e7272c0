// Topology sweep, first form: the same series measured on growing subsets of the job's
// nodes (--nodes 2,4 or --nodes sweep) with a chosen number of ranks per node
// (--ranks-per-node). Nodes are told apart by host name and taken in the order of their
// first rank; on each node the subset uses its first ranks. Each subset runs on a bootstrap
// of its own (Bootstrap::split) while the other ranks wait, and each of its series is a
// series of its own, named with the suffix ".nodes<M>x<K>" and carrying the parameters
// nodes = M and ranks_per_node = K. With --placement, each subset is taken in every
// placement asked for (first, packed: within as few leaves of the fabric's model as they fit,
// spread: one per leaf in turn; rank 0's node always first), and the series name and
// parameters say which (".nodes2x1.spread", node_placement = 0 first, 1 packed, 2 spread).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/cli/options.hpp"
#include "topologies/topology.hpp"

namespace fb {

struct NodeSubset {
  int nodes = 0;
  int ranks_per_node = 0;
  std::vector<int> ranks;          // world ranks, ascending; world rank 0 is always among them
  std::vector<std::string> hosts;  // the nodes used, in order
  // Set when --placement was given (the suffix and parameters then name it).
  std::optional<RunOptions::NodePlacement> placement;
  std::string suffix() const;  // ".nodes<M>x<K>", then ".<placement>" when set
};

std::string placement_name(RunOptions::NodePlacement placement);

// The subsets to measure, from every rank's host name (rank order). Empty when no topology
// sweep was asked for (neither --nodes nor --ranks-per-node). Throws PlanError when the
// launch cannot provide what was asked: more nodes than the job spans, or a node with fewer
// ranks than --ranks-per-node.
// `model` places the nodes on leaves for --placement packed and spread (the flat model: every
// node on no leaf, so both keep the order of first ranks).
std::vector<NodeSubset> plan_subsets(const RunOptions& options,
                                     const std::vector<std::string>& hostnames,
                                     const topo::Topology& model);
// The same on the flat model of the host names.
std::vector<NodeSubset> plan_subsets(const RunOptions& options,
                                     const std::vector<std::string>& hostnames);

}  // namespace fb
