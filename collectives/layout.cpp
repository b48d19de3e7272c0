#include "collectives/layout.hpp"

#include <vector>

namespace fb {

namespace {
const topo::RankLayout* usable_layout(const AlgorithmContext& ctx) {
  const int n = ctx.transport->size();
  return ctx.layout && static_cast<int>(ctx.layout->order.size()) == n ? ctx.layout.get() : nullptr;
}
}  // namespace

topo::RankLayout context_layout(const AlgorithmContext& ctx) {
  const auto* layout = usable_layout(ctx);
  return layout != nullptr ? *layout : topo::flat_layout(ctx.transport->size());
}

topo::Places context_places(const AlgorithmContext& ctx) {
  const auto* layout = usable_layout(ctx);
  if (layout == nullptr) return {};
  std::vector<int> host_of_rank(layout->order.size(), -1);
  for (std::size_t h = 0; h < layout->hosts.size(); ++h)
    for (const int rank : layout->hosts[h])
      host_of_rank.at(static_cast<std::size_t>(rank)) = static_cast<int>(h);
  return topo::Places(layout->order, host_of_rank);
}

}  // namespace fb
