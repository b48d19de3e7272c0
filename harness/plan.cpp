#include "harness/plan.hpp"

#include "collectives/auto_select.hpp"

namespace fb {

std::string SeriesPlan::name() const {
  std::string n = std::string(to_string(collective())) + "." + algorithm.name + "." + transport +
                  "." + std::string(to_string(dtype)) + "." +
                  (is_reduction(collective()) ? std::string(to_string(op)) : std::string("none"));
  if (in_place) n += ".inplace";
  if (is_rooted(collective())) n += ".root" + std::to_string(root);
  if (on_device()) n += ".cuda";
  return n;
}

std::vector<SeriesPlan> plan_series(const RunOptions& o, int n_ranks) {
  if (o.root && *o.root >= n_ranks) {
    throw PlanError("--root " + std::to_string(*o.root) + " is not a rank of this " +
                    std::to_string(n_ranks) + "-rank job");
  }
  std::vector<int> roots;
  if (o.root) {
    roots.push_back(*o.root);
  } else {
    for (int r = 0; r < n_ranks; ++r)
      roots.push_back(r);
  }
  std::vector<bool> placements;
  if (o.placement != RunOptions::Placement::in_place) placements.push_back(false);
  if (o.placement != RunOptions::Placement::out_of_place) placements.push_back(true);
  const bool placement_explicit = o.placement == RunOptions::Placement::in_place;

  std::vector<SeriesPlan> plan;
  for (const auto collective : o.collectives) {
    for (const auto& name : o.algorithms) {
      AlgorithmEntry entry;
      if (name == kAutoAlgorithm) {
        entry = auto_entry(collective);
      } else if (const auto* found = find_algorithm(collective, name)) {
        entry = *found;
      } else {
        if (o.collectives.from_all || o.algorithms.from_all) continue;
        throw PlanError("algorithm '" + name + "' does not implement " +
                        std::string(to_string(collective)));
      }
      std::vector<std::string> transports{kNoTransport};
      if (entry.uses_transport) transports = o.transports.items;
      const std::vector<ReduceOp> ops =
          is_reduction(collective) ? o.ops.items : std::vector<ReduceOp>{o.ops.front()};
      for (const auto& transport : transports) {
        for (const auto dtype : o.dtypes) {
          for (const auto op : ops) {
            if (!entry.handles(dtype, op)) {
              if (o.collectives.from_all || o.algorithms.from_all || o.dtypes.from_all ||
                  o.ops.from_all)
                continue;
              throw PlanError(std::string(to_string(collective)) + " '" + name + "' cannot run " +
                              std::string(to_string(dtype)) +
                              (is_reduction(collective) ? " " + std::string(to_string(op)) : ""));
            }
            for (const bool in_place : placements) {
              if (in_place && !entry.supports_in_place) {
                if (!placement_explicit || o.collectives.from_all || o.algorithms.from_all)
                  continue;
                throw PlanError(std::string(to_string(collective)) + " '" + name +
                                "' has no in-place form");
              }
              const std::vector<int> series_roots =
                  is_rooted(collective) ? roots : std::vector<int>{0};
              for (const auto memory : o.memory) {
                if (entry.device_only && memory == RunOptions::Memory::host) {
                  const bool cuda_asked = o.memory.size() > 1;
                  if (cuda_asked || o.algorithms.from_all || o.collectives.from_all) continue;
                  throw PlanError("algorithm '" + name +
                                  "' runs on device buffers only: add --memory cuda (or both)");
                }
                for (const int root : series_roots) {
                  plan.push_back({entry, transport, dtype, op, in_place, root, memory});
                }
              }
            }
          }
        }
      }
    }
  }
  if (plan.empty()) throw PlanError("nothing to measure: no algorithm applies to the selection");
  return plan;
}

}  // namespace fb
