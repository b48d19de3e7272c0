#include "topologies/cost_model.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "topologies/tree.hpp"

namespace fb::topo {

namespace {

// The pipelines' default chunk (collectives/algorithm.hpp), for a series that does not
// record its own.
constexpr std::int64_t kDefaultChunkBytes = std::int64_t{256} << 10;

void require_ranks(std::int64_t p) {
  if (p < 2)
    throw std::invalid_argument("cost model: needs at least 2 ranks, got " + std::to_string(p));
}

std::int64_t chunks_of(std::int64_t n, std::int64_t chunk_bytes) {
  if (chunk_bytes <= 0) throw std::invalid_argument("cost model: chunk size must be positive");
  return n <= 0 ? 1 : (n + chunk_bytes - 1) / chunk_bytes;
}

std::int64_t parameter_or(const CostParameters& parameters, std::string_view name,
                          std::int64_t fallback) {
  for (const auto& [key, value] : parameters)
    if (key == name && value > 0) return value;
  return fallback;
}

// Fold-in and hand-back of the ranks beyond the largest power of two (halving_doubling.cpp).
CostCoefficients with_fold(CostCoefficients c, std::int64_t p) {
  if ((p & (p - 1)) != 0) {
    c.a += 2;  // whole vector in, whole result back
    c.b += 2;
    c.g += 1;  // the fold-in adds its partner's vector
  }
  return c;
}

}  // namespace

int floor_log2(std::int64_t p) {
  if (p < 1) throw std::invalid_argument("cost model: log2 of " + std::to_string(p));
  int d = 0;
  while ((std::int64_t{1} << (d + 1)) <= p)
    ++d;
  return d;
}

int ceil_log2(std::int64_t p) {
  const int d = floor_log2(p);
  return (std::int64_t{1} << d) == p ? d : d + 1;
}

CostCoefficients ring_allreduce(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  return {2 * (q - 1), 2 * (q - 1) / q, (q - 1) / q};
}

CostCoefficients ring_reducescatter(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  return {q - 1, (q - 1) / q, (q - 1) / q};
}

CostCoefficients ring_allgather(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  return {q - 1, (q - 1) / q, 0};
}

CostCoefficients rabenseifner_allreduce(std::int64_t p) {
  require_ranks(p);
  const int d = floor_log2(p);
  const double q = static_cast<double>(std::int64_t{1} << d);
  return with_fold({2.0 * d, 2 * (q - 1) / q, (q - 1) / q}, p);
}

CostCoefficients recursive_doubling_allreduce(std::int64_t p) {
  require_ranks(p);
  const double d = floor_log2(p);
  return with_fold({d, d, d}, p);
}

CostCoefficients binomial_broadcast(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes) {
  require_ranks(p);
  const double d = ceil_log2(p);
  const double k = static_cast<double>(chunks_of(n, chunk_bytes));
  return {d * k, d, 0};
}

CostCoefficients binomial_reduce(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes) {
  auto c = binomial_broadcast(p, n, chunk_bytes);
  c.g = c.b;
  return c;
}

CostCoefficients chain_broadcast(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes) {
  require_ranks(p);
  const auto k = chunks_of(n, chunk_bytes);
  const double steps = static_cast<double>(p - 1 + k - 1);
  return {steps, steps / static_cast<double>(k), 0};
}

CostCoefficients chain_reduce(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes) {
  auto c = chain_broadcast(p, n, chunk_bytes);
  c.g = c.b;
  return c;
}

CostCoefficients double_tree_allreduce(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes) {
  require_ranks(p);
  if (p > std::int64_t{1} << 30) throw std::invalid_argument("cost model: too many ranks");
  const int ranks = static_cast<int>(p);
  // Per chunk index, what each rank sends, receives and reduces over both trees.
  int busiest = 0;
  int most_children = 0;
  for (int r = 0; r < ranks; ++r) {
    int sends = 0, receives = 0, children = 0;
    for (int tree = 0; tree < 2; ++tree) {
      const TreeNode node = double_tree_node(tree, r, ranks);
      const int up = node.parent >= 0 ? 1 : 0;
      sends += up + node.n_children();     // partial sum up, final chunk to each child
      receives += node.n_children() + up;  // each child's partial sum, final chunk from parent
      children += node.n_children();
    }
    busiest = std::max({busiest, sends, receives});
    most_children = std::max(most_children, children);
  }
  const auto k = chunks_of((n + 1) / 2, chunk_bytes);
  const double depth = floor_log2(p);
  // The first chunk climbs D levels and comes down D; every later one adds the busiest
  // rank's m sends.
  const double steps = busiest * static_cast<double>(k - 1) + 2 * depth;
  // s = n / (2k) bytes per step.
  return {steps, steps / (2.0 * static_cast<double>(k)), most_children / 2.0};
}

CostCoefficients recursive_doubling_allgather(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  CostCoefficients c{static_cast<double>(floor_log2(p)), (q - 1) / q, 0};
  if ((p & (p - 1)) != 0) {
    c.a += 2;
    c.b += 1 + 1 / q;
  }
  return c;
}

CostCoefficients bruck_allgather(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  return {static_cast<double>(ceil_log2(p)), (q - 1) / q, 0};
}

CostCoefficients knomial_broadcast(std::int64_t p, std::int64_t radix) {
  require_ranks(p);
  if (radix < 2) throw std::invalid_argument("cost model: k-nomial radix must be >= 2");
  int depth = 0;
  for (std::int64_t reach = 1; reach < p; reach *= radix)
    ++depth;
  const double steps = static_cast<double>((radix - 1) * depth);
  return {steps, steps, 0};
}

CostCoefficients knomial_reduce(std::int64_t p, std::int64_t radix) {
  auto c = knomial_broadcast(p, radix);
  c.g = c.b;
  return c;
}

CostCoefficients scatter_allgather_broadcast(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  return {ceil_log2(p) + q - 1, 2 * (q - 1) / q, 0};
}

CostCoefficients pairwise_alltoall(std::int64_t p) {
  require_ranks(p);
  const double q = static_cast<double>(p);
  return {q - 1, (q - 1) / q, 0};
}

CostCoefficients bruck_alltoall(std::int64_t p) {
  require_ranks(p);
  const double d = ceil_log2(p);
  return {d, d / 2, 0};
}

CostCoefficients ring_sendrecv() {
  return {1, 1, 0};
}

std::optional<AlgorithmCost> algorithm_cost(std::string_view collective, std::string_view algorithm,
                                            std::int64_t p, std::int64_t n,
                                            const CostParameters& parameters) {
  const auto chunk = parameter_or(parameters, "chunk_bytes", kDefaultChunkBytes);
  if (collective == "allreduce") {
    if (algorithm == "ring")
      return AlgorithmCost{"ring: 2(p-1) a + 2(p-1)/p n b + (p-1)/p n g", ring_allreduce(p)};
    if (algorithm == "halving-doubling")
      return AlgorithmCost{
          "Rabenseifner: 2 log2 q a + 2(q-1)/q n b + (q-1)/q n g, q = 2^floor(log2 p), "
          "+ (2 a + 2 n b + n g) when p != q",
          rabenseifner_allreduce(p)};
    if (algorithm == "recursive-doubling")
      return AlgorithmCost{"recursive doubling: log2 q (a + n b + n g), + fold when p != q",
                           recursive_doubling_allreduce(p)};
    if (algorithm == "tree")
      return AlgorithmCost{
          "double binary tree: (m (k-1) + 2 floor(log2 p))(a + n/(2k) b) + c n/2 g, "
          "k = ceil(n/2 / chunk)",
          double_tree_allreduce(p, n, chunk)};
  } else if (collective == "reducescatter") {
    if (algorithm == "ring")
      return AlgorithmCost{"ring: (p-1) a + (p-1)/p n b + (p-1)/p n g", ring_reducescatter(p)};
  } else if (collective == "allgather") {
    if (algorithm == "ring") return AlgorithmCost{"ring: (p-1) a + (p-1)/p n b", ring_allgather(p)};
    if (algorithm == "recursive-doubling")
      return AlgorithmCost{
          "recursive doubling: log2 q a + (p-1)/p n b, q = 2^floor(log2 p), "
          "+ (2 a + (1 + 1/p) n b) when p != q",
          recursive_doubling_allgather(p)};
    if (algorithm == "bruck")
      return AlgorithmCost{"Bruck: ceil(log2 p) a + (p-1)/p n b", bruck_allgather(p)};
  } else if (collective == "broadcast" || collective == "reduce") {
    const bool reduce = collective == "reduce";
    if (algorithm == "binomial")
      return AlgorithmCost{reduce ? "binomial: d k (a + n/k b + n/k g), d = ceil(log2 p), "
                                    "k = ceil(n / chunk)"
                                  : "binomial: d k (a + n/k b), d = ceil(log2 p), "
                                    "k = ceil(n / chunk)",
                           reduce ? binomial_reduce(p, n, chunk) : binomial_broadcast(p, n, chunk)};
    if (algorithm == "chain")
      return AlgorithmCost{reduce ? "chain: (p-1+k-1)(a + n/k b + n/k g), k = ceil(n / chunk)"
                                  : "chain: (p-1+k-1)(a + n/k b), k = ceil(n / chunk)",
                           reduce ? chain_reduce(p, n, chunk) : chain_broadcast(p, n, chunk)};
    if (algorithm == "knomial") {
      const auto k = parameter_or(parameters, "radix", 4);
      return AlgorithmCost{reduce ? "k-nomial: (k-1) d (a + n b + n g), d = ceil(log_k p)"
                                  : "k-nomial: (k-1) d (a + n b), d = ceil(log_k p)",
                           reduce ? knomial_reduce(p, k) : knomial_broadcast(p, k)};
    }
    if (algorithm == "scatter-allgather" && !reduce)
      return AlgorithmCost{"scatter + ring all-gather: (ceil(log2 p) + p-1) a + 2(p-1)/p n b",
                           scatter_allgather_broadcast(p)};
  } else if (collective == "alltoall") {
    if (algorithm == "pairwise")
      return AlgorithmCost{"pairwise: (p-1)(a + n/p b)", pairwise_alltoall(p)};
    if (algorithm == "bruck")
      return AlgorithmCost{"Bruck: ceil(log2 p)(a + n/2 b)", bruck_alltoall(p)};
  } else if (collective == "sendrecv") {
    if (algorithm == "ring") return AlgorithmCost{"ring shift: a + n b", ring_sendrecv()};
  }
  return std::nullopt;
}

std::optional<double> busbw_factor(std::string_view collective, std::int64_t p) {
  if (p <= 0) return std::nullopt;
  const double q = static_cast<double>(p);
  if (collective == "allreduce") return 2 * (q - 1) / q;
  if (collective == "reducescatter" || collective == "allgather" || collective == "alltoall")
    return (q - 1) / q;
  if (collective == "broadcast" || collective == "reduce" || collective == "sendrecv") return 1.0;
  return std::nullopt;
}

}  // namespace fb::topo
