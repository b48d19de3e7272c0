// Cost formulas of the collective algorithms (Hockney's alpha-beta model with a reduction
// term): the time of one call on p ranks and n bytes is
//
//     T(p, n) = a * alpha + b * n * beta + g * n * gamma
//
// with alpha the cost of one message (latency and per-message overhead), beta the time per
// byte on a link and gamma the time per byte of reduction. The functions here give the
// coefficients (a, b, g) of each algorithm; analysis/model.hpp fits alpha, beta and gamma to
// measured series and predicts other scales with them. Pure maths, no I/O.
//
// n is the byte count the harness reports for the point (nccl-tests' convention: the larger
// of the send and receive buffers; core/types.hpp). Formulas and their sources are in
// docs/ANALYSIS.md (model section).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fb::topo {

struct CostCoefficients {
  double a = 0;  // messages on the critical path (x alpha)
  double b = 0;  // bytes on the critical path per byte of n (x n beta)
  double g = 0;  // bytes reduced on the critical path per byte of n (x n gamma)
};

// floor(log2 p) and ceil(log2 p) for p >= 1.
int floor_log2(std::int64_t p);
int ceil_log2(std::int64_t p);

// ---- the formulas (p >= 2 ranks, n >= 0 bytes) ------------------------------------------
// Ring all-reduce (reduce-scatter then all-gather): 2(p-1) alpha + 2(p-1)/p n beta
// + (p-1)/p n gamma.
CostCoefficients ring_allreduce(std::int64_t p);
// Ring reduce-scatter: (p-1) alpha + (p-1)/p n beta + (p-1)/p n gamma.
CostCoefficients ring_reducescatter(std::int64_t p);
// Ring all-gather: (p-1) alpha + (p-1)/p n beta.
CostCoefficients ring_allgather(std::int64_t p);
// Rabenseifner (recursive halving reduce-scatter + recursive doubling all-gather) on
// q = 2^floor(log2 p) ranks: 2 log2 q alpha + 2(q-1)/q n beta + (q-1)/q n gamma; when p is
// not a power of two, the fold-in (alpha + n beta + n gamma) and the hand-back
// (alpha + n beta) of collectives/halving_doubling.cpp are added.
CostCoefficients rabenseifner_allreduce(std::int64_t p);
// Recursive doubling all-reduce (whole vector every step) on q = 2^floor(log2 p) ranks:
// log2 q (alpha + n beta + n gamma), with the same fold-in and hand-back for other p.
CostCoefficients recursive_doubling_allreduce(std::int64_t p);
// Pipelined binomial tree (collectives/broadcast.cpp) with k = ceil(n / chunk) chunks:
// the root sends each chunk to its d = ceil(log2 p) children, largest subtree first, so the
// first child's subtree receives its last chunk after d(k-1) + 1 steps and passes it down
// d - 1 more: d k (alpha + n/k beta). k = 1 is the classic log2 p (alpha + n beta).
// A reduce adds the same amount of reduction (g = d).
CostCoefficients binomial_broadcast(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes);
CostCoefficients binomial_reduce(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes);
// Pipelined chain with k = ceil(n / chunk) chunks of s = n/k bytes:
// (p - 1 + k - 1)(alpha + s beta); a reduce adds (p - 1 + k - 1) s gamma.
CostCoefficients chain_broadcast(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes);
CostCoefficients chain_reduce(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes);
// Double binary tree all-reduce (collectives/tree_allreduce.cpp, topologies/tree.hpp):
// each tree carries n/2 bytes in k = ceil(n/2 / chunk) chunks of s = n/(2k). Per chunk
// index the busiest rank sends (or receives) m chunks over both trees (m = 4 once p >= 4:
// 3 as an inner node of one tree, 1 as a leaf of the other). The first chunk climbs the D =
// floor(log2 p) levels and comes down again; each further chunk adds m steps at the busiest
// rank: (m (k-1) + 2 D)(alpha + s beta) + c n/2 gamma, c the most children a rank reduces
// for. At p = 2 this is the ring's 2 alpha + n beta + n/2 gamma.
CostCoefficients double_tree_allreduce(std::int64_t p, std::int64_t n, std::int64_t chunk_bytes);
// Recursive doubling all-gather on q = 2^floor(log2 p) participants: log2 q alpha +
// (p-1)/p n beta; when p != q the fold-in (alpha + n/p beta) and the hand-back of the whole
// result (alpha + n beta) are added.
CostCoefficients recursive_doubling_allgather(std::int64_t p);
// Bruck all-gather: ceil(log2 p) alpha + (p-1)/p n beta.
CostCoefficients bruck_allgather(std::int64_t p);
// k-nomial tree of whole-buffer messages, d = ceil(log_k p) levels: on the critical path a
// rank serves its up to k-1 children of each level one after another:
// (k-1) d (alpha + n beta); a reduce adds as much reduction ((k-1) d n gamma).
CostCoefficients knomial_broadcast(std::int64_t p, std::int64_t radix);
CostCoefficients knomial_reduce(std::int64_t p, std::int64_t radix);
// Scatter + ring all-gather broadcast (van de Geijn): binomial scatter
// ceil(log2 p) alpha + (p-1)/p n beta, then ring all-gather (p-1)(alpha + n/p beta).
CostCoefficients scatter_allgather_broadcast(std::int64_t p);
// Pairwise all-to-all: (p-1)(alpha + n/p beta).
CostCoefficients pairwise_alltoall(std::int64_t p);
// Bruck all-to-all: ceil(log2 p) rounds of about half the buffer: ceil(log2 p)(alpha + n/2 beta).
CostCoefficients bruck_alltoall(std::int64_t p);
// Ring shift (sendrecv): every rank sends n and receives n at once: alpha + n beta.
CostCoefficients ring_sendrecv();

// ---- the registry's algorithms ----------------------------------------------------------
// The cost formula of a registered algorithm (collective and algorithm as the registry and
// the results file name them, e.g. "allreduce", "ring"), for p ranks and n bytes, with the
// algorithm parameters recorded in the series (chunk_bytes, segment_bytes, ...). Empty when
// the algorithm has no formula here (baselines such as mpi and nccl, auto).
struct AlgorithmCost {
  std::string formula;  // in words, e.g. "ring: 2(p-1) a + 2(p-1)/p n b + (p-1)/p n g"
  CostCoefficients coefficients;
};
using CostParameters = std::vector<std::pair<std::string, std::int64_t>>;
std::optional<AlgorithmCost> algorithm_cost(std::string_view collective, std::string_view algorithm,
                                            std::int64_t p, std::int64_t n,
                                            const CostParameters& parameters);

// nccl-tests' bus bandwidth factor of a collective at p ranks (as core/types.cpp):
// allreduce 2(p-1)/p; reducescatter, allgather, alltoall (p-1)/p; the others 1. Empty for
// an unknown collective.
std::optional<double> busbw_factor(std::string_view collective, std::int64_t p);

}  // namespace fb::topo
