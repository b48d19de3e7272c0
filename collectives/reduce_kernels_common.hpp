// Building blocks of the reduction kernels, private to collectives/reduce_kernels*.cpp:
// how a stored element becomes the value an op works on and back (Native, BFloat16,
// Float16), the ops (Sum, Prod, Min, Max, DivideBy), the element-wise loops, the
// multiversioned Elementwise kernel family, and kernels_of, which picks a family's kernels
// for an op.
//
// Everything here is written so that GCC vectorises the loops at -O3 without
// -ffast-math: every floating-point operation is evaluated unconditionally and choices are
// made with selects on its result. (A floating-point operation that the optimiser may sink
// into one arm of a branch blocks if-conversion, because with -ftrapping-math it "could
// trap", and the loop then stays scalar.) `pick` below is the select that cannot be turned
// back into a branch.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "collectives/reduce_kernels.hpp"

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

// c ? x : y on bit patterns, as mask arithmetic.
[[gnu::always_inline]] inline std::uint32_t pick(bool c, std::uint32_t x, std::uint32_t y) {
  const std::uint32_t mask = 0U - static_cast<std::uint32_t>(c);
  return (x & mask) | (y & ~mask);
}

// ---- Elements: Storage is what lies in the buffer, Value what the op computes with. ----

template <typename T>
struct Native {
  using Storage = T;
  using Value = T;
  [[gnu::always_inline]] static T load(T v) { return v; }
  [[gnu::always_inline]] static T store(T v) { return v; }
};

// bfloat16 is the top half of a float32; rounding back to nearest even is integer arithmetic
// (the same as float_to_bf16 in collectives/half.hpp, NaNs kept quiet with their sign).
// Whole buffers go two elements at a time (BFloat16Words in reduce_kernels_half.cpp); this
// is for the odd last element.
struct BFloat16 {
  using Storage = std::uint16_t;
  using Value = float;
  [[gnu::always_inline]] static float load(std::uint16_t h) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
  }
  [[gnu::always_inline]] static std::uint16_t store(float f) {
    return static_cast<std::uint16_t>(round_to_top(f) >> 16);
  }
  // f rounded to bfloat16, in the top half of the result (the bottom half is left over).
  // A NaN is not rounded (the carry could make it an infinity) but made quiet.
  [[gnu::always_inline]] static std::uint32_t round_to_top(float f) {
    const auto u = std::bit_cast<std::uint32_t>(f);
    const bool nan = static_cast<std::int32_t>(u & 0x7FFFFFFFU) > 0x7F800000;
    const std::uint32_t bias = pick(nan, 0U, 0x7FFFU + ((u >> 16) & 1U));
    return (u + bias) | pick(nan, 0x00400000U, 0U);
  }
};

// IEEE binary16 without conversion instructions: branch-free versions of half_to_float and
// float_to_half (collectives/half.hpp) that give the same bits for every input (checked
// exhaustively: all 2^16 halves and all 2^32 floats). The F16C kernels in
// reduce_kernels_half.cpp use the conversion instructions instead.
struct Float16 {
  using Storage = std::uint16_t;
  using Value = float;
  [[gnu::always_inline]] static float load(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000U) << 16;
    const std::uint32_t magnitude = h & 0x7FFFU;
    const std::uint32_t mant = h & 0x3FFU;
    // Normal: rebias the exponent (15 -> 127). Subnormal: mant * 2^-24, exact in float32 and
    // computed from a small integer, so no float32 subnormal is involved. Inf and NaN: all-ones
    // exponent, NaNs made quiet.
    const std::uint32_t normal = (magnitude << 13) + (112U << 23);
    const float sub = static_cast<float>(static_cast<std::int32_t>(mant)) * 0x1p-24F;
    const std::uint32_t special = 0x7F800000U | (mant << 13) | pick(mant != 0, 0x00400000U, 0U);
    std::uint32_t r = pick(magnitude >= 0x7C00U, special, normal);
    r = pick(magnitude < 0x0400U, std::bit_cast<std::uint32_t>(sub), r);
    return std::bit_cast<float>(sign | r);
  }
  [[gnu::always_inline]] static std::uint16_t store(float f) {
    const auto u = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (u >> 16) & 0x8000U;
    const std::uint32_t abs = u & 0x7FFFFFFFU;
    const auto iabs = static_cast<std::int32_t>(abs);  // signed compares vectorise everywhere
    // Normal half: rebias (127 -> 15) and round the 13 dropped bits to nearest even; a carry
    // out of the significand correctly bumps the exponent, up to infinity.
    const std::uint32_t normal = (abs - 0x38000000U + 0x0FFFU + ((abs >> 13) & 1U)) >> 13;
    // Subnormal half (|f| < 2^-14): adding 0.5 puts the half's units (2^-24) in the last
    // place of float32, so the addition rounds to nearest even, as float_to_half does.
    const std::uint32_t sub =
        std::bit_cast<std::uint32_t>(std::bit_cast<float>(abs) + 0.5F) - 0x3F000000U;
    std::uint32_t r = pick(iabs < 0x38800000, sub, normal);
    r = pick(iabs >= 0x47800000, pick(iabs > 0x7F800000, 0x7E00U, 0x7C00U), r);  // inf, NaN
    return static_cast<std::uint16_t>(sign | r);
  }
};

// ---- Ops on values. ----

// Integer sum and product wrap around: they are computed in an unsigned type at least as wide
// as unsigned int (so nothing is promoted to a signed int that could overflow), and the
// conversion back to T is modulo 2^N (C++20).
template <typename T>
using WrapType =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <typename T>
using BitsOf = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

struct Sum {
  template <typename T>
  [[gnu::always_inline]] static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
    } else {
      return a + b;
    }
  }
};

struct Prod {
  template <typename T>
  [[gnu::always_inline]] static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
    } else {
      return a * b;
    }
  }
};

// Floating-point min and max propagate NaN (a NaN input gives a NaN) and order -0 below +0,
// so the result does not depend on the order of the inputs (IEEE 754-2019 minimum and
// maximum). The first select is what minps/maxps do; equal inputs merge their bits (only
// +-0 differ), and a NaN in `a` overrides (a NaN in `b` already won the first select).
struct Min {
  template <typename T>
  [[gnu::always_inline]] static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return b < a ? b : a;
    } else {
      using U = BitsOf<T>;
      T r = a < b ? a : b;
      r = a == b ? std::bit_cast<T>(std::bit_cast<U>(a) | std::bit_cast<U>(b)) : r;
      return a != a ? a : r;  // NOLINT(misc-redundant-expression): the NaN test
    }
  }
};

struct Max {
  template <typename T>
  [[gnu::always_inline]] static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return b > a ? b : a;
    } else {
      using U = BitsOf<T>;
      T r = a > b ? a : b;
      r = a == b ? std::bit_cast<T>(std::bit_cast<U>(a) & std::bit_cast<U>(b)) : r;
      return a != a ? a : r;  // NOLINT(misc-redundant-expression): the NaN test
    }
  }
};

// avg's finalize: v / n. Floating point divides in its own precision (float16 and bfloat16
// values are float32 here). Integers truncate toward zero, as C++ integer division does; up to
// 32 bits that is done as a double division, which vectorises and is exact after truncation:
// |v| < 2^32, so the quotient's rounding error (< 2^-53 |v/n| < 2^-21 / n) is smaller than
// the distance 1/n from a non-integer quotient to the next integer.
template <typename T>
class DivideBy {
 public:
  explicit DivideBy(int n) : n_(static_cast<Divisor>(n)) {}
  [[gnu::always_inline]] T operator()(T v) const {
    if constexpr (std::is_integral_v<T> && sizeof(T) <= 4) {
      return static_cast<T>(static_cast<double>(v) / n_);
    } else {
      return static_cast<T>(v / n_);
    }
  }

 private:
  using Divisor = std::conditional_t<std::is_integral_v<T> && sizeof(T) <= 4, double, T>;
  Divisor n_;
};

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
