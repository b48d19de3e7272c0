#include "collectives/registry.hpp"

#include <algorithm>

#include "collectives/mpi_baseline.hpp"
#include "collectives/ring_allreduce.hpp"
#include "collectives/tree_allreduce.hpp"

namespace fb {

const std::vector<AlgorithmEntry>& algorithm_registry() {
  static const std::vector<AlgorithmEntry> entries = {
      {Collective::allreduce, "ring", true, "ring reduce-scatter + all-gather, pipelined segments",
       make_ring_allreduce},
      {Collective::allreduce, "tree", true,
       "double binary tree, pipelined reduce up / broadcast down", make_tree_allreduce},
      {Collective::allreduce, "mpi", false, "the MPI library's MPI_Allreduce (baseline)",
       make_mpi_allreduce},
  };
  return entries;
}

const AlgorithmEntry* find_algorithm(Collective collective, const std::string& name) {
  for (const auto& entry : algorithm_registry()) {
    if (entry.collective == collective && entry.name == name) return &entry;
  }
  return nullptr;
}

std::vector<std::string> algorithm_names() {
  std::vector<std::string> names;
  for (const auto& entry : algorithm_registry()) {
    if (std::find(names.begin(), names.end(), entry.name) == names.end()) {
      names.push_back(entry.name);
    }
  }
  return names;
}

}  // namespace fb
