// Building blocks of the reduction kernels, private to collectives/reduce_kernels*.cpp: the
// element-wise loops over the shared element ops (core/element_ops.hpp: what lies in the
// buffer, the ops, avg's division), the multiversioned Elementwise kernel family, and
// kernels_of, which picks a family's kernels for an op. The loops vectorise at -O3 without
// -ffast-math (core/element_ops.hpp says how the ops are written for that).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "collectives/reduce_kernels.hpp"
#include "core/element_ops.hpp"

namespace fb::reduce_detail {

// Each entry point is compiled for AVX-512, AVX2 and baseline x86-64, and the loader picks
// the widest the CPU has (GCC function multiversioning), once, at program start. The loop
// templates are always_inline, so each clone vectorises them for its own target.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define FB_MULTIVERSION [[gnu::target_clones("avx512f", "avx2", "default")]]
#else
#define FB_MULTIVERSION
#endif

// The elements (Native, BFloat16, Float16), the ops (Sum, Prod, Min, Max), avg's DivideBy and
// the `pick` select are shared with the CUDA kernels (core/element_ops.hpp).
using element::BFloat16;
using element::DivideBy;
using element::Float16;
using element::Max;
using element::Min;
using element::Native;
using element::pick;
using element::Prod;
using element::Sum;

inline void check_rank_count(int n_ranks) {
  if (n_ranks < 1) throw std::invalid_argument("avg finalize needs at least one rank");
}

// ---- Loops. dst may equal a, b or c: every element is read before it is written. ----

template <typename E, typename Op>
[[gnu::always_inline]] inline void combine2_loop(void* dst, const void* a, const void* b,
                                                 std::size_t n) {
  using S = typename E::Storage;
  auto* d = static_cast<S*>(dst);
  const auto* x = static_cast<const S*>(a);
  const auto* y = static_cast<const S*>(b);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = E::store(Op::apply(E::load(x[i]), E::load(y[i])));
}

template <typename E, typename Op>
[[gnu::always_inline]] inline void combine3_loop(void* dst, const void* a, const void* b,
                                                 const void* c, std::size_t n) {
  using S = typename E::Storage;
  auto* d = static_cast<S*>(dst);
  const auto* x = static_cast<const S*>(a);
  const auto* y = static_cast<const S*>(b);
  const auto* z = static_cast<const S*>(c);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = E::store(Op::apply(Op::apply(E::load(x[i]), E::load(y[i])), E::load(z[i])));
}

template <typename E>
[[gnu::always_inline]] inline void average_loop(void* data, std::size_t n, int n_ranks) {
  using S = typename E::Storage;
  auto* p = static_cast<S*>(data);
  const DivideBy<typename E::Value> divide(n_ranks);
  for (std::size_t i = 0; i < n; ++i)
    p[i] = E::store(divide(E::load(p[i])));
}

// ---- Entry points. ----

// A family of kernels provides combine2<Op>, combine3<Op> and average; kernels_of picks the
// members for an op. Elementwise runs the loops above, each instantiation multiversioned.
template <typename E>
struct Elementwise {
  template <typename Op>
  FB_MULTIVERSION static void combine2(void* dst, const void* a, const void* b, std::size_t n) {
    combine2_loop<E, Op>(dst, a, b, n);
  }
  template <typename Op>
  FB_MULTIVERSION static void combine3(void* dst, const void* a, const void* b, const void* c,
                                       std::size_t n) {
    combine3_loop<E, Op>(dst, a, b, c, n);
  }
  FB_MULTIVERSION static void average(void* data, std::size_t n, int n_ranks) {
    check_rank_count(n_ranks);
    average_loop<E>(data, n, n_ranks);
  }
};

template <typename Family>
ReduceKernels kernels_of(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return {&Family::template combine2<Sum>, &Family::template combine3<Sum>, nullptr};
    case ReduceOp::prod:
      return {&Family::template combine2<Prod>, &Family::template combine3<Prod>, nullptr};
    case ReduceOp::min:
      return {&Family::template combine2<Min>, &Family::template combine3<Min>, nullptr};
    case ReduceOp::max:
      return {&Family::template combine2<Max>, &Family::template combine3<Max>, nullptr};
    case ReduceOp::avg:
      return {&Family::template combine2<Sum>, &Family::template combine3<Sum>, &Family::average};
  }
  throw std::invalid_argument("invalid reduction op");
}

}  // namespace fb::reduce_detail
