#include "harness/plan.hpp"

namespace fb {

std::string SeriesPlan::name() const {
  return std::string(to_string(collective)) + "." + algorithm->name + "." + transport + "." +
         std::string(to_string(dtype)) + "." + std::string(to_string(op));
}

std::vector<SeriesPlan> plan_series(const RunOptions& options) {
  std::vector<SeriesPlan> plan;
  for (const auto collective : options.collectives) {
    for (const auto& name : options.algorithms) {
      const auto* entry = find_algorithm(collective, name);
      if (entry == nullptr) continue;  // rejected earlier when named explicitly
      std::vector<std::string> transports{kNoTransport};
      if (entry->uses_transport) transports = options.transports;
      for (const auto& transport : transports) {
        for (const auto dtype : options.dtypes) {
          for (const auto op : options.ops)
            plan.push_back({collective, entry, transport, dtype, op});
        }
      }
    }
  }
  return plan;
}

}  // namespace fb
