// Where an algorithm's ranks sit, from its context (--topology, --rank-order): the ring
// order and hosts, and the places trees are numbered by.
#pragma once

#include "collectives/algorithm.hpp"
#include "topologies/places.hpp"
#include "topologies/topology.hpp"

namespace fb {

// The context's layout, or rank order with a host per rank when it has none (or one for
// another rank count).
topo::RankLayout context_layout(const AlgorithmContext& ctx);
// The layout's order as places (trees numbered in it); rank order without a layout.
topo::Places context_places(const AlgorithmContext& ctx);

}  // namespace fb
