// What the CUDA reduction kernels compute, element by element, and how they walk a buffer.
// This header is compiled twice: by nvcc into the kernels (gpu/reduce_kernels.cu) and by the
// host compiler into the unit tests, which run the same code on the CPU against the CPU
// kernels (collectives/reduce_kernels.hpp) and the conversions of collectives/half.hpp. So
// the semantics are the CPU kernels', to the bit:
//   sum, prod   integers wrap (computed in unsigned arithmetic); floats in IEEE arithmetic;
//               float16 and bfloat16 widen to float32 and round back to nearest even once
//               per combine (combine3 computes (a op b) op c in float32 and rounds once).
//   min, max    NaN propagates; -0 is ordered below +0.
//   avg         combine is sum; finalize divides once by the rank count: integers truncate
//               toward zero, float32/float64 divide in their own precision, float16/bfloat16
//               divide in float32 and round back.
// One difference no test can pin down: a NaN produced by GPU arithmetic is the canonical NaN
// (0x7fffffff), where the CPU keeps the payload of an input NaN, so NaN results match as NaN,
// not bit for bit. Min and max move their operands unchanged and keep payloads on both.
//
// The kernels must be compiled without contraction into FMA (nvcc --fmad=false), without
// flushing subnormals (--ftz=false) and with IEEE division (--prec-div=true); gpu/CMakeLists.txt
// sets all three.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__CUDACC__)
#define FB_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FB_HOST_DEVICE inline
#endif

namespace fb::gpu::element {

// ---- Bit patterns of floating-point values (the intrinsics on the device). ----

FB_HOST_DEVICE std::uint32_t bits_of(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

FB_HOST_DEVICE std::uint64_t bits_of(double d) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(d));
#else
  std::uint64_t u = 0;
  std::memcpy(&u, &d, sizeof u);
  return u;
#endif
}

FB_HOST_DEVICE float float_from_bits(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f = 0;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

FB_HOST_DEVICE double double_from_bits(std::uint64_t u) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(u));
#else
  double d = 0;
  std::memcpy(&d, &u, sizeof d);
  return d;
#endif
}

// x + y rounded to nearest even, never fused with a multiplication that produced x.
FB_HOST_DEVICE float add_rn(float x, float y) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(x, y);
#else
  return x + y;
#endif
}

// ---- Elements: Storage is what lies in the buffer, Value what an op computes with. ----

template <typename T>
struct Native {
  using Storage = T;
  using Value = T;
  static FB_HOST_DEVICE T load(T v) { return v; }
  static FB_HOST_DEVICE T store(T v) { return v; }
};

// bfloat16 is the top half of a float32. Rounding back is float_to_bf16 of half.hpp: round
// to nearest even in integer arithmetic; a NaN is not rounded (the carry could make it an
// infinity) but made quiet, keeping its sign.
struct BFloat16 {
  using Storage = std::uint16_t;
  using Value = float;
  static FB_HOST_DEVICE float load(std::uint16_t h) {
    return float_from_bits(static_cast<std::uint32_t>(h) << 16);
  }
  static FB_HOST_DEVICE std::uint16_t store(float f) {
    const std::uint32_t u = bits_of(f);
    const bool nan = (u & 0x7FFFFFFFU) > 0x7F800000U;
    const std::uint32_t rounded = (u + 0x7FFFU + ((u >> 16) & 1U)) >> 16;
    return static_cast<std::uint16_t>(nan ? ((u >> 16) | 0x0040U) : rounded);
  }
};

// IEEE binary16 in integer arithmetic, without divergent branches: half_to_float and
// float_to_half of half.hpp, the same bits for every input (the unit tests check all 2^16
// halves, and float32 values at every exponent with the bit patterns around each rounding
// point).
struct Float16 {
  using Storage = std::uint16_t;
  using Value = float;
  static FB_HOST_DEVICE float load(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000U) << 16;
    const std::uint32_t magnitude = h & 0x7FFFU;
    const std::uint32_t mant = h & 0x3FFU;
    // Normal: rebias the exponent (15 -> 127). Subnormal: mant * 2^-24, exact in float32.
    // Infinity and NaN: all-ones exponent, NaNs made quiet.
    const std::uint32_t normal = (magnitude << 13) + (112U << 23);
    const std::uint32_t sub =
        bits_of(static_cast<float>(static_cast<std::int32_t>(mant)) * 0x1p-24F);
    const std::uint32_t special = 0x7F800000U | (mant << 13) | (mant != 0 ? 0x00400000U : 0U);
    std::uint32_t r = magnitude >= 0x7C00U ? special : normal;
    r = magnitude < 0x0400U ? sub : r;
    return float_from_bits(sign | r);
  }
  static FB_HOST_DEVICE std::uint16_t store(float f) {
    const std::uint32_t u = bits_of(f);
    const std::uint32_t sign = (u >> 16) & 0x8000U;
    const std::uint32_t abs = u & 0x7FFFFFFFU;
    // Normal half: rebias (127 -> 15) and round the 13 dropped bits to nearest even; a carry
    // out of the significand bumps the exponent, up to infinity.
    const std::uint32_t normal = (abs - 0x38000000U + 0x0FFFU + ((abs >> 13) & 1U)) >> 13;
    // Subnormal half (|f| < 2^-14): adding 0.5 puts the half's unit (2^-24) in the last place
    // of a float32, so the float32 addition rounds to nearest even as float_to_half does.
    const std::uint32_t sub = bits_of(add_rn(float_from_bits(abs), 0.5F)) - 0x3F000000U;
    std::uint32_t r = abs < 0x38800000U ? sub : normal;
    r = abs >= 0x47800000U ? (abs > 0x7F800000U ? 0x7E00U : 0x7C00U) : r;  // infinity, NaN
    return static_cast<std::uint16_t>(sign | r);
  }
};

// ---- Ops on values. ----

// Integer sum and product are computed in an unsigned type at least as wide as unsigned int,
// so nothing is promoted to a signed int that could overflow; the conversion back to T is
// modulo 2^N.
template <typename T>
using WrapType =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

struct Sum {
  template <typename T>
  static FB_HOST_DEVICE T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
    } else {
      return a + b;
    }
  }
};

struct Prod {
  template <typename T>
  static FB_HOST_DEVICE T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
    } else {
      return a * b;
    }
  }
};

// IEEE 754-2019 minimum and maximum, as the CPU kernels compute them: the plain comparison
// select, then equal inputs merge their bits (only +-0 differ: OR gives -0 for min, AND +0
// for max), then a NaN in `a` overrides (a NaN in `b` already won the first select).
struct Min {
  template <typename T>
  static FB_HOST_DEVICE T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return b < a ? b : a;
    } else if constexpr (sizeof(T) == 4) {
      const T r = a < b ? a : b;
      const T merged = a == b ? float_from_bits(bits_of(a) | bits_of(b)) : r;
      return a != a ? a : merged;  // NOLINT(misc-redundant-expression): the NaN test
    } else {
      const T r = a < b ? a : b;
      const T merged = a == b ? double_from_bits(bits_of(a) | bits_of(b)) : r;
      return a != a ? a : merged;  // NOLINT(misc-redundant-expression): the NaN test
    }
  }
};

struct Max {
  template <typename T>
  static FB_HOST_DEVICE T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      return b > a ? b : a;
    } else if constexpr (sizeof(T) == 4) {
      const T r = a > b ? a : b;
      const T merged = a == b ? float_from_bits(bits_of(a) & bits_of(b)) : r;
      return a != a ? a : merged;  // NOLINT(misc-redundant-expression): the NaN test
    } else {
      const T r = a > b ? a : b;
      const T merged = a == b ? double_from_bits(bits_of(a) & bits_of(b)) : r;
      return a != a ? a : merged;  // NOLINT(misc-redundant-expression): the NaN test
    }
  }
};

// avg's finalize: v / n, truncating toward zero for integers (C++ integer division; the CPU
// kernels get the same quotient through a double division for types up to 32 bits), in the
// value's own precision for floating point.
template <typename T>
FB_HOST_DEVICE T divide(T v, int n) {
  if constexpr (std::is_integral_v<T> && sizeof(T) <= 4 && std::is_signed_v<T>) {
    return static_cast<T>(static_cast<int>(v) / n);
  } else if constexpr (std::is_integral_v<T> && sizeof(T) <= 4) {
    return static_cast<T>(static_cast<unsigned>(v) / static_cast<unsigned>(n));
  } else {
    return static_cast<T>(v / static_cast<T>(n));
  }
}

// ---- Element functions: stored inputs to one stored result. ----

template <typename E, typename Op>
struct Combine2 {
  using Storage = typename E::Storage;
  static constexpr int kInputs = 2;
  FB_HOST_DEVICE Storage operator()(Storage x, Storage y) const {
    return E::store(Op::apply(E::load(x), E::load(y)));
  }
};

template <typename E, typename Op>
struct Combine3 {
  using Storage = typename E::Storage;
  static constexpr int kInputs = 3;
  FB_HOST_DEVICE Storage operator()(Storage x, Storage y, Storage z) const {
    return E::store(Op::apply(Op::apply(E::load(x), E::load(y)), E::load(z)));
  }
};

template <typename E>
struct Average {
  using Storage = typename E::Storage;
  static constexpr int kInputs = 1;
  int n_ranks;
  FB_HOST_DEVICE Storage operator()(Storage x) const {
    return E::store(divide(E::load(x), n_ranks));
  }
};

// ---- Walking a buffer. ----

// Bulk loads and stores move 16 bytes (one 128-bit access per thread and stream).
constexpr std::size_t kVectorBytes = 16;

template <typename S>
struct alignas(kVectorBytes) Pack {
  static constexpr std::size_t kCount = kVectorBytes / sizeof(S);
  S e[kCount];
};

// The pointers address elements [0, count) of each stream. Elements [0, head) and
// [head + vectors * Pack::kCount, count) go one at a time; the middle goes as whole packs,
// every stream 16-byte aligned there. When the streams are not equally misaligned no pack
// can be aligned in all of them and everything goes one element at a time (head == count).
struct VectorSplit {
  std::size_t head = 0;
  std::size_t vectors = 0;
};

inline VectorSplit split_for_vectors(const std::uintptr_t* addresses, int n_addresses,
                                     std::size_t count, std::size_t element_bytes) {
  const std::uintptr_t misalignment = addresses[0] % kVectorBytes;
  for (int i = 1; i < n_addresses; ++i) {
    if (addresses[i] % kVectorBytes != misalignment) return {count, 0};
  }
  const std::size_t to_boundary = (kVectorBytes - misalignment) % kVectorBytes;
  if (to_boundary % element_bytes != 0) return {count, 0};
  const std::size_t head =
      to_boundary / element_bytes < count ? to_boundary / element_bytes : count;
  return {head, (count - head) / (kVectorBytes / element_bytes)};
}

// One pass of an element-wise kernel: dst[i] = fn(in[0][i], ...), for the elements of
// `thread` in a grid of `threads` (grid-stride loops). dst may equal an input: every thread
// reads its elements before writing them.
template <typename S>
struct Streams {
  S* dst = nullptr;
  const S* in[3] = {nullptr, nullptr, nullptr};
  std::size_t count = 0;
  VectorSplit split;
};

template <typename S>
FB_HOST_DEVICE Pack<S> load_pack(const S* p) {
  Pack<S> out{};
#if defined(__CUDA_ARCH__)
  const uint4 v = *reinterpret_cast<const uint4*>(p);  // one 128-bit load
  static_assert(sizeof v == sizeof out);
  memcpy(&out, &v, sizeof out);
#else
  std::memcpy(&out, p, sizeof out);
#endif
  return out;
}

template <typename S>
FB_HOST_DEVICE void store_pack(S* p, const Pack<S>& pack) {
#if defined(__CUDA_ARCH__)
  uint4 v;
  memcpy(&v, &pack, sizeof v);
  *reinterpret_cast<uint4*>(p) = v;  // one 128-bit store
#else
  std::memcpy(p, &pack, sizeof pack);
#endif
}

template <typename Fn, typename S>
FB_HOST_DEVICE S apply_at(const Fn& fn, const Streams<S>& s, std::size_t i) {
  if constexpr (Fn::kInputs == 1) {
    return fn(s.in[0][i]);
  } else if constexpr (Fn::kInputs == 2) {
    return fn(s.in[0][i], s.in[1][i]);
  } else {
    return fn(s.in[0][i], s.in[1][i], s.in[2][i]);
  }
}

template <typename Fn, typename S>
FB_HOST_DEVICE void elementwise(const Fn& fn, const Streams<S>& s, std::size_t thread,
                                std::size_t threads) {
  constexpr std::size_t kPer = Pack<S>::kCount;
  const std::size_t head = s.split.head;
  for (std::size_t v = thread; v < s.split.vectors; v += threads) {
    const std::size_t i = head + v * kPer;
    const Pack<S> x = load_pack(s.in[0] + i);
    Pack<S> r{};
    if constexpr (Fn::kInputs == 1) {
      for (std::size_t j = 0; j < kPer; ++j)
        r.e[j] = fn(x.e[j]);
    } else if constexpr (Fn::kInputs == 2) {
      const Pack<S> y = load_pack(s.in[1] + i);
      for (std::size_t j = 0; j < kPer; ++j)
        r.e[j] = fn(x.e[j], y.e[j]);
    } else {
      const Pack<S> y = load_pack(s.in[1] + i);
      const Pack<S> z = load_pack(s.in[2] + i);
      for (std::size_t j = 0; j < kPer; ++j)
        r.e[j] = fn(x.e[j], y.e[j], z.e[j]);
    }
    store_pack(s.dst + i, r);
  }
  // The head and the tail, numbered as one range of single elements.
  const std::size_t vector_end = head + s.split.vectors * kPer;
  const std::size_t singles = head + (s.count - vector_end);
  for (std::size_t k = thread; k < singles; k += threads) {
    const std::size_t i = k < head ? k : vector_end + (k - head);
    s.dst[i] = apply_at(fn, s, i);
  }
}

}  // namespace fb::gpu::element
