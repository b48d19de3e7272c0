#include "collectives/registry.hpp"

#include <algorithm>
#include <utility>

#include "collectives/pipeline_defaults.hpp"

namespace fb {

const std::vector<AlgorithmEntry>& algorithm_registry() {
  static const std::vector<AlgorithmEntry> entries = [] {
    auto all = reduction_family_algorithms();
    auto movement = movement_family_algorithms();
    all.insert(all.end(), movement.begin(), movement.end());
    // Algorithms over a transport take the pipeline parameters of its path.
    for (auto& entry : all) {
      if (entry.uses_transport) entry.create = with_path_pipeline(std::move(entry.create));
    }
    return all;
  }();
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
