#include "harness/subsets.hpp"

#include <algorithm>

#include "harness/plan.hpp"

namespace fb {

std::string NodeSubset::suffix() const {
  return ".nodes" + std::to_string(nodes) + "x" + std::to_string(ranks_per_node);
}

std::vector<NodeSubset> plan_subsets(const RunOptions& options,
                                     const std::vector<std::string>& hostnames) {
  if (options.nodes.empty() && !options.node_sweep && options.ranks_per_node == 0) return {};

  // Nodes in the order of their first rank, each with its ranks in rank order.
  std::vector<std::string> nodes;
  std::vector<std::vector<int>> ranks_of;
  for (int r = 0; r < static_cast<int>(hostnames.size()); ++r) {
    const auto& host = hostnames[static_cast<std::size_t>(r)];
    auto it = std::find(nodes.begin(), nodes.end(), host);
    if (it == nodes.end()) {
      nodes.push_back(host);
      ranks_of.emplace_back();
      it = nodes.end() - 1;
    }
    ranks_of[static_cast<std::size_t>(it - nodes.begin())].push_back(r);
  }
  const int n_nodes = static_cast<int>(nodes.size());

  std::size_t fewest = hostnames.size();
  for (const auto& ranks : ranks_of)
    fewest = std::min(fewest, ranks.size());
  const int per_node =
      options.ranks_per_node > 0 ? options.ranks_per_node : static_cast<int>(fewest);

  std::vector<int> counts = options.nodes;
  if (options.node_sweep) {
    counts.clear();
    for (int m = 2; m < n_nodes; m *= 2)
      counts.push_back(m);
    counts.push_back(n_nodes);
  }
  if (counts.empty()) counts.push_back(n_nodes);  // only --ranks-per-node: every node

  auto node_list = [&](int count) {
    std::string out;
    for (int i = 0; i < count && i < n_nodes; ++i)
      out += (i == 0 ? "" : ", ") + nodes[static_cast<std::size_t>(i)];
    if (count < n_nodes) out += ", ...";
    return out;
  };
  std::vector<NodeSubset> subsets;
  for (const int m : counts) {
    if (m > n_nodes) {
      throw PlanError("--nodes " + std::to_string(m) + ": the job spans only " +
                      std::to_string(n_nodes) + " node" + (n_nodes == 1 ? "" : "s") + " (" +
                      node_list(n_nodes) + "); launch it on more nodes or ask for fewer");
    }
    NodeSubset subset;
    subset.nodes = m;
    subset.ranks_per_node = per_node;
    for (int i = 0; i < m; ++i) {
      const auto& ranks = ranks_of[static_cast<std::size_t>(i)];
      if (static_cast<int>(ranks.size()) < per_node) {
        throw PlanError("--ranks-per-node " + std::to_string(per_node) + ": node " +
                        nodes[static_cast<std::size_t>(i)] + " has only " +
                        std::to_string(ranks.size()) + " rank" + (ranks.size() == 1 ? "" : "s") +
                        " in this job; launch more ranks per node or ask for fewer");
      }
      subset.ranks.insert(subset.ranks.end(), ranks.begin(), ranks.begin() + per_node);
      subset.hosts.push_back(nodes[static_cast<std::size_t>(i)]);
    }
    std::sort(subset.ranks.begin(), subset.ranks.end());
    subsets.push_back(std::move(subset));
  }
  return subsets;
}

}  // namespace fb
