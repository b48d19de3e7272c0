#include "harness/subsets.hpp"

#include <algorithm>

#include "harness/plan.hpp"

namespace fb {

std::string placement_name(RunOptions::NodePlacement placement) {
  return std::string(RunOptions::node_placement_choices().name_of(placement));
}

std::string NodeSubset::suffix() const {
  std::string out = ".nodes" + std::to_string(nodes) + "x" + std::to_string(ranks_per_node);
  if (placement) out.append(".").append(placement_name(*placement));
  return out;
}

namespace {

// The job's nodes (in the order of their first rank, rank 0's first) in the order a
// placement takes them. packed: leaf by leaf in the model's host order, rank 0's leaf and
// node first; spread: the same leaves in turn, one node from each.
std::vector<std::size_t> placement_order(RunOptions::NodePlacement placement,
                                         const std::vector<std::string>& nodes,
                                         const topo::Topology& model) {
  std::vector<std::size_t> order(nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  if (placement == RunOptions::NodePlacement::first || nodes.empty()) return order;
  const auto hosts = topo::host_order(model);
  auto position = [&](std::size_t node) {
    const int h = model.find_host(nodes[node]);
    const auto it = std::find(hosts.begin(), hosts.end(), h);
    return static_cast<std::size_t>(it - hosts.begin());
  };
  auto leaf = [&](std::size_t node) {
    const int h = model.find_host(nodes[node]);
    return h < 0 ? std::string() : model.leaf_of(h);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return position(a) < position(b); });
  // Leaves in the order their first node appears, rank 0's leaf first, its node first.
  std::vector<std::string> leaves;
  std::vector<std::vector<std::size_t>> members;
  auto add = [&](std::size_t node) {
    const auto name = leaf(node);
    auto it = std::find(leaves.begin(), leaves.end(), name);
    if (it == leaves.end()) {
      leaves.push_back(name);
      members.emplace_back();
      it = leaves.end() - 1;
    }
    members[static_cast<std::size_t>(it - leaves.begin())].push_back(node);
  };
  add(0);
  for (const auto node : order)
    if (node != 0) add(node);
  order.clear();
  if (placement == RunOptions::NodePlacement::packed) {
    for (const auto& m : members)
      order.insert(order.end(), m.begin(), m.end());
  } else {
    for (std::size_t k = 0; order.size() < nodes.size(); ++k)
      for (const auto& m : members)
        if (k < m.size()) order.push_back(m[k]);
  }
  return order;
}

}  // namespace

std::vector<NodeSubset> plan_subsets(const RunOptions& options,
                                     const std::vector<std::string>& hostnames,
                                     const topo::Topology& model) {
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
  for (const auto placement : options.node_placements) {
    const auto taken = placement_order(placement, nodes, model);
    for (const int m : counts) {
      if (m > n_nodes) {
        throw PlanError("--nodes " + std::to_string(m) + ": the job spans only " +
                        std::to_string(n_nodes) + " node" + (n_nodes == 1 ? "" : "s") + " (" +
                        node_list(n_nodes) + "); launch it on more nodes or ask for fewer");
      }
      NodeSubset subset;
      subset.nodes = m;
      subset.ranks_per_node = per_node;
      if (options.node_placement_given) subset.placement = placement;
      for (int k = 0; k < m; ++k) {
        const auto i = taken[static_cast<std::size_t>(k)];
        const auto& ranks = ranks_of[i];
        if (static_cast<int>(ranks.size()) < per_node) {
          throw PlanError("--ranks-per-node " + std::to_string(per_node) + ": node " + nodes[i] +
                          " has only " + std::to_string(ranks.size()) + " rank" +
                          (ranks.size() == 1 ? "" : "s") +
                          " in this job; launch more ranks per node or ask for fewer");
        }
        subset.ranks.insert(subset.ranks.end(), ranks.begin(), ranks.begin() + per_node);
        subset.hosts.push_back(nodes[i]);
      }
      std::sort(subset.ranks.begin(), subset.ranks.end());
      subsets.push_back(std::move(subset));
    }
  }
  return subsets;
}

std::vector<NodeSubset> plan_subsets(const RunOptions& options,
                                     const std::vector<std::string>& hostnames) {
  return plan_subsets(options, hostnames, topo::flat_topology(hostnames));
}

}  // namespace fb
