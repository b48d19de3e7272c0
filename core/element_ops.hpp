// What a reduction computes, element by element: how a stored element becomes the value an
// op works on and back (Native, BFloat16, Float16), the ops (Sum, Prod, Min, Max) and avg's
// division (DivideBy). One definition for the CPU kernels (collectives/reduce_kernels*.cpp,
// which wrap it in vectorised loops) and the CUDA kernels (gpu/reduce_kernels.cu, through
// gpu/reduce_element.hpp), so both compute the same bits:
//   sum, prod   integers wrap (computed in unsigned arithmetic); floats in IEEE arithmetic;
//               float16 and bfloat16 widen to float32 and round back to nearest even once
//               per combine (combine3 computes (a op b) op c in float32 and rounds once).
//   min, max    NaN propagates (a NaN input gives a NaN); -0 is ordered below +0, so the
//               result does not depend on the order of the inputs (IEEE 754-2019 minimum
//               and maximum).
//   avg         combine is sum; the finalize divides once by the rank count: integers
//               truncate toward zero, float32/float64 divide in their own precision,
//               float16/bfloat16 divide in float32 and round back.
//
// Written so that GCC vectorises the CPU loops at -O3 without -ffast-math: every
// floating-point operation is evaluated unconditionally and choices are made with selects on
// its result. (A floating-point operation that the optimiser may sink into one arm of a
// branch blocks if-conversion, because with -ftrapping-math it "could trap", and the loop
// then stays scalar.) `pick` is the select that cannot be turned back into a branch. On the
// device the same code is branch-free, so a warp does not diverge. The CUDA kernels are
// compiled without FMA contraction, subnormal flushing or approximate division
// (gpu/CMakeLists.txt), so the device's arithmetic is the CPU's.
#pragma once

#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define FB_ELEMENT_FN __host__ __device__ __forceinline__
#else
#include <bit>
#define FB_ELEMENT_FN __attribute__((always_inline)) inline
#endif

namespace fb::element {

// ---- Bit patterns of floating-point values (the intrinsics on the device). ----

FB_ELEMENT_FN std::uint32_t bits_of(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#elif defined(__CUDACC__)
  std::uint32_t u = 0;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
#else
  return std::bit_cast<std::uint32_t>(f);
#endif
}

FB_ELEMENT_FN std::uint64_t bits_of(double d) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(d));
#elif defined(__CUDACC__)
  std::uint64_t u = 0;
  __builtin_memcpy(&u, &d, sizeof u);
  return u;
#else
  return std::bit_cast<std::uint64_t>(d);
#endif
}

FB_ELEMENT_FN float float_from_bits(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#elif defined(__CUDACC__)
  float f = 0;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
#else
  return std::bit_cast<float>(u);
#endif
}

FB_ELEMENT_FN double double_from_bits(std::uint64_t u) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(u));
#elif defined(__CUDACC__)
  double d = 0;
  __builtin_memcpy(&d, &u, sizeof d);
  return d;
#else
  return std::bit_cast<double>(u);
#endif
}

// x + y rounded to nearest even, never fused with a multiplication that produced x.
FB_ELEMENT_FN float add_rn(float x, float y) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(x, y);
#else
  return x + y;
#endif
}

// c ? x : y on bit patterns, as mask arithmetic.
FB_ELEMENT_FN std::uint32_t pick(bool c, std::uint32_t x, std::uint32_t y) {
  const std::uint32_t mask = 0U - static_cast<std::uint32_t>(c);
  return (x & mask) | (y & ~mask);
}

// ---- Elements: Storage is what lies in the buffer, Value what the op computes with. ----

template <typename T>
struct Native {
  using Storage = T;
  using Value = T;
  static FB_ELEMENT_FN T load(T v) { return v; }
  static FB_ELEMENT_FN T store(T v) { return v; }
};

// bfloat16 is the top half of a float32; rounding back to nearest even is integer arithmetic
// (float_to_bf16 in collectives/half.hpp, NaNs made quiet with their sign kept).
struct BFloat16 {
  using Storage = std::uint16_t;
  using Value = float;
  static FB_ELEMENT_FN float load(std::uint16_t h) {
    return float_from_bits(static_cast<std::uint32_t>(h) << 16);
  }
  static FB_ELEMENT_FN std::uint16_t store(float f) {
    return static_cast<std::uint16_t>(round_to_top(f) >> 16);
  }
  // f rounded to bfloat16, in the top half of the result (the bottom half is left over).
  // A NaN is not rounded (the carry could make it an infinity) but made quiet.
  static FB_ELEMENT_FN std::uint32_t round_to_top(float f) {
    const std::uint32_t u = bits_of(f);
    const bool nan = static_cast<std::int32_t>(u & 0x7FFFFFFFU) > 0x7F800000;
    const std::uint32_t bias = pick(nan, 0U, 0x7FFFU + ((u >> 16) & 1U));
    return (u + bias) | pick(nan, 0x00400000U, 0U);
  }
};

// IEEE binary16 without conversion instructions: branch-free versions of half_to_float and
// float_to_half (collectives/half.hpp) that give the same bits for every input (checked
// exhaustively: all 2^16 halves and all 2^32 floats). The CPU's F16C kernels
// (collectives/reduce_kernels_half.cpp) use the conversion instructions instead.
struct Float16 {
  using Storage = std::uint16_t;
  using Value = float;
  static FB_ELEMENT_FN float load(std::uint16_t h) {
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
    r = pick(magnitude < 0x0400U, bits_of(sub), r);
    return float_from_bits(sign | r);
  }
  static FB_ELEMENT_FN std::uint16_t store(float f) {
    const std::uint32_t u = bits_of(f);
    const std::uint32_t sign = (u >> 16) & 0x8000U;
    const std::uint32_t abs = u & 0x7FFFFFFFU;
    const auto iabs = static_cast<std::int32_t>(abs);  // signed compares vectorise everywhere
    // Normal half: rebias (127 -> 15) and round the 13 dropped bits to nearest even; a carry
    // out of the significand correctly bumps the exponent, up to infinity.
    const std::uint32_t normal = (abs - 0x38000000U + 0x0FFFU + ((abs >> 13) & 1U)) >> 13;
    // Subnormal half (|f| < 2^-14): adding 0.5 puts the half's units (2^-24) in the last
    // place of float32, so the addition rounds to nearest even, as float_to_half does.
    const std::uint32_t sub = bits_of(add_rn(float_from_bits(abs), 0.5F)) - 0x3F000000U;
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

struct Sum {
  template <typename T>
  static FB_ELEMENT_FN T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
    } else {
      return a + b;
    }
  }
};

struct Prod {
  template <typename T>
  static FB_ELEMENT_FN T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
    } else {
      return a * b;
    }
  }
};

// Equal inputs merge their bits (only +-0 differ: OR gives -0, AND gives +0).
#if defined(__CUDACC__)
template <typename T>
FB_ELEMENT_FN T merge_or(T a, T b) {
  if constexpr (sizeof(T) == 4) {
    return float_from_bits(bits_of(a) | bits_of(b));
  } else {
    return double_from_bits(bits_of(a) | bits_of(b));
  }
}
template <typename T>
FB_ELEMENT_FN T merge_and(T a, T b) {
  if constexpr (sizeof(T) == 4) {
    return float_from_bits(bits_of(a) & bits_of(b));
  } else {
    return double_from_bits(bits_of(a) & bits_of(b));
  }
}
#else
template <typename T>
using BitsOf = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
#endif

// The first select is what minps/maxps do; equal inputs merge their bits, and a NaN in `a`
// overrides (a NaN in `b` already won the first select).
struct Min {
  template <typename T>
  static FB_ELEMENT_FN T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return b < a ? b : a;
    } else {
      T r = a < b ? a : b;
#if defined(__CUDACC__)
      r = a == b ? merge_or(a, b) : r;
#else
      r = a == b ? std::bit_cast<T>(std::bit_cast<BitsOf<T>>(a) | std::bit_cast<BitsOf<T>>(b)) : r;
#endif
      return a != a ? a : r;  // NOLINT(misc-redundant-expression): the NaN test
    }
  }
};

struct Max {
  template <typename T>
  static FB_ELEMENT_FN T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return b > a ? b : a;
    } else {
      T r = a > b ? a : b;
#if defined(__CUDACC__)
      r = a == b ? merge_and(a, b) : r;
#else
      r = a == b ? std::bit_cast<T>(std::bit_cast<BitsOf<T>>(a) & std::bit_cast<BitsOf<T>>(b)) : r;
#endif
      return a != a ? a : r;  // NOLINT(misc-redundant-expression): the NaN test
    }
  }
};

// avg's finalize: v / n. Floating point divides in its own precision (float16 and bfloat16
// values are float32 here). Integers truncate toward zero, as C++ integer division does. On
// the CPU, up to 32 bits that is done as a double division, which vectorises and is exact
// after truncation: |v| < 2^32, so the quotient's rounding error (< 2^-53 |v/n| < 2^-21 / n)
// is smaller than the distance 1/n from a non-integer quotient to the next integer. The
// device divides integers as integers.
// Built where it divides: its layout differs between the host and the device.
template <typename T>
class DivideBy {
 public:
  FB_ELEMENT_FN explicit DivideBy(int n) : n_(static_cast<Divisor>(n)) {}
  FB_ELEMENT_FN T operator()(T v) const { return static_cast<T>(static_cast<Divisor>(v) / n_); }

 private:
  static constexpr bool kSmallInt = std::is_integral_v<T> && sizeof(T) <= 4;
#if defined(__CUDA_ARCH__)
  using Divisor =
      std::conditional_t<kSmallInt, std::conditional_t<std::is_signed_v<T>, int, unsigned>, T>;
#else
  using Divisor = std::conditional_t<kSmallInt, double, T>;
#endif
  Divisor n_;
};

}  // namespace fb::element
