// Kernels of float16 (conversion instructions where the CPU has them) and bfloat16 (two
// elements per 32-bit word).
#include "collectives/reduce_kernels_half.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "collectives/reduce_kernels_common.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define FB_F16C_KERNELS 1
#endif

namespace fb::reduce_detail {

namespace {

#ifdef FB_F16C_KERNELS

// The conversion instructions round to nearest even and handle subnormals, infinities and
// NaNs as collectives/half.hpp does (NaN payloads may differ; NaNs stay NaNs). The kernels
// below convert a block of kBlock elements to float32, run the op on the float32 block, and
// convert back once, so the op is the same scalar code as everywhere else and vectorises as
// a float32 loop. The members are plain inline functions with a target attribute, not
// always_inline: they can only be inlined into a caller compiled for the same target, which
// the entry points at the end of this section are.
constexpr std::size_t kBlock = 64;

struct CvtAvx512 {
  [[gnu::target("avx512f")]] static void widen(float* out, const std::uint16_t* in) {
    for (std::size_t j = 0; j < kBlock; j += 16) {
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + j));
      _mm512_storeu_ps(out + j, _mm512_maskz_cvtph_ps(0xFFFF, h));
    }
  }
  [[gnu::target("avx512f")]] static void narrow(std::uint16_t* out, const float* in) {
    for (std::size_t j = 0; j < kBlock; j += 16) {
      const __m256i h = _mm512_maskz_cvtps_ph(0xFFFF, _mm512_loadu_ps(in + j),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), h);
    }
  }
};

struct CvtAvx2 {
  [[gnu::target("avx2,f16c")]] static void widen(float* out, const std::uint16_t* in) {
    for (std::size_t j = 0; j < kBlock; j += 8) {
      const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + j));
      _mm256_storeu_ps(out + j, _mm256_cvtph_ps(h));
    }
  }
  [[gnu::target("avx2,f16c")]] static void narrow(std::uint16_t* out, const float* in) {
    for (std::size_t j = 0; j < kBlock; j += 8) {
      const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + j), _MM_FROUND_TO_NEAREST_INT);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), h);
    }
  }
};

// The last partial block uses the portable conversions, which give the same bits.
template <typename Cvt, typename Op>
[[gnu::always_inline]] inline void combine2_blocks(void* dst, const void* a, const void* b,
                                                   std::size_t n) {
  auto* d = static_cast<std::uint16_t*>(dst);
  const auto* x = static_cast<const std::uint16_t*>(a);
  const auto* y = static_cast<const std::uint16_t*>(b);
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float fx[kBlock];
    float fy[kBlock];
    Cvt::widen(fx, x + i);
    Cvt::widen(fy, y + i);
    for (std::size_t j = 0; j < kBlock; ++j)
      fx[j] = Op::apply(fx[j], fy[j]);
    Cvt::narrow(d + i, fx);
  }
  combine2_loop<Float16, Op>(d + i, x + i, y + i, n - i);
}

template <typename Cvt, typename Op>
[[gnu::always_inline]] inline void combine3_blocks(void* dst, const void* a, const void* b,
                                                   const void* c, std::size_t n) {
  auto* d = static_cast<std::uint16_t*>(dst);
  const auto* x = static_cast<const std::uint16_t*>(a);
  const auto* y = static_cast<const std::uint16_t*>(b);
  const auto* z = static_cast<const std::uint16_t*>(c);
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float fx[kBlock];
    float fy[kBlock];
    float fz[kBlock];
    Cvt::widen(fx, x + i);
    Cvt::widen(fy, y + i);
    Cvt::widen(fz, z + i);
    for (std::size_t j = 0; j < kBlock; ++j)
      fx[j] = Op::apply(Op::apply(fx[j], fy[j]), fz[j]);
    Cvt::narrow(d + i, fx);
  }
  combine3_loop<Float16, Op>(d + i, x + i, y + i, z + i, n - i);
}

template <typename Cvt>
[[gnu::always_inline]] inline void average_blocks(void* data, std::size_t n, int n_ranks) {
  check_rank_count(n_ranks);
  auto* p = static_cast<std::uint16_t*>(data);
  const DivideBy<float> divide(n_ranks);
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float f[kBlock];
    Cvt::widen(f, p + i);
    for (std::size_t j = 0; j < kBlock; ++j)
      f[j] = divide(f[j]);
    Cvt::narrow(p + i, f);
  }
  average_loop<Float16>(p + i, n - i, n_ranks);
}

// Kernel families (see kernels_of), compiled for the instructions their conversions need.
struct Avx512 {
  template <typename Op>
  [[gnu::target("avx512f")]] static void combine2(void* d, const void* a, const void* b,
                                                  std::size_t n) {
    combine2_blocks<CvtAvx512, Op>(d, a, b, n);
  }
  template <typename Op>
  [[gnu::target("avx512f")]] static void combine3(void* d, const void* a, const void* b,
                                                  const void* c, std::size_t n) {
    combine3_blocks<CvtAvx512, Op>(d, a, b, c, n);
  }
  [[gnu::target("avx512f")]] static void average(void* p, std::size_t n, int n_ranks) {
    average_blocks<CvtAvx512>(p, n, n_ranks);
  }
};

struct Avx2 {
  template <typename Op>
  [[gnu::target("avx2,f16c")]] static void combine2(void* d, const void* a, const void* b,
                                                    std::size_t n) {
    combine2_blocks<CvtAvx2, Op>(d, a, b, n);
  }
  template <typename Op>
  [[gnu::target("avx2,f16c")]] static void combine3(void* d, const void* a, const void* b,
                                                    const void* c, std::size_t n) {
    combine3_blocks<CvtAvx2, Op>(d, a, b, c, n);
  }
  [[gnu::target("avx2,f16c")]] static void average(void* p, std::size_t n, int n_ranks) {
    average_blocks<CvtAvx2>(p, n, n_ranks);
  }
};

// __builtin_cpu_supports checks that the OS saves the vector registers; F16C needs only its
// CPUID bit on top of AVX2 (and not every compiler's __builtin_cpu_supports knows "f16c").
bool has_f16c() {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

#endif  // FB_F16C_KERNELS

// bfloat16 is the top half of a float32, so a 32-bit word holding two of them gives both
// float32 values with one shift and one mask, and two rounded results go back into a word the
// same way. The vectorised loops then work on 32-bit lanes without packing and unpacking
// 16-bit lanes, which cost more than the arithmetic (and AVX-512F has no 16-bit lane
// operations). Both halves are treated alike, so the byte order does not matter. An odd last
// element goes through the one-element loops.
struct BFloat16Words {
  [[gnu::always_inline]] static std::uint32_t load(const std::byte* p, std::size_t i) {
    std::uint32_t w = 0;
    std::memcpy(&w, p + 4 * i, sizeof w);  // the buffers need only 2-byte alignment
    return w;
  }
  [[gnu::always_inline]] static float low(std::uint32_t w) { return std::bit_cast<float>(w << 16); }
  [[gnu::always_inline]] static float high(std::uint32_t w) {
    return std::bit_cast<float>(w & 0xFFFF0000U);
  }
  [[gnu::always_inline]] static void store(std::byte* p, std::size_t i, float low, float high) {
    const std::uint32_t w =
        (BFloat16::round_to_top(low) >> 16) | (BFloat16::round_to_top(high) & 0xFFFF0000U);
    std::memcpy(p + 4 * i, &w, sizeof w);
  }

  template <typename Op>
  FB_MULTIVERSION static void combine2(void* dst, const void* a, const void* b, std::size_t n) {
    auto* d = static_cast<std::byte*>(dst);
    const auto* x = static_cast<const std::byte*>(a);
    const auto* y = static_cast<const std::byte*>(b);
    const std::size_t words = n / 2;
    for (std::size_t i = 0; i < words; ++i) {
      const std::uint32_t wx = load(x, i);
      const std::uint32_t wy = load(y, i);
      store(d, i, Op::apply(low(wx), low(wy)), Op::apply(high(wx), high(wy)));
    }
    combine2_loop<BFloat16, Op>(d + 4 * words, x + 4 * words, y + 4 * words, n % 2);
  }

  template <typename Op>
  FB_MULTIVERSION static void combine3(void* dst, const void* a, const void* b, const void* c,
                                       std::size_t n) {
    auto* d = static_cast<std::byte*>(dst);
    const auto* x = static_cast<const std::byte*>(a);
    const auto* y = static_cast<const std::byte*>(b);
    const auto* z = static_cast<const std::byte*>(c);
    const std::size_t words = n / 2;
    for (std::size_t i = 0; i < words; ++i) {
      const std::uint32_t wx = load(x, i);
      const std::uint32_t wy = load(y, i);
      const std::uint32_t wz = load(z, i);
      store(d, i, Op::apply(Op::apply(low(wx), low(wy)), low(wz)),
            Op::apply(Op::apply(high(wx), high(wy)), high(wz)));
    }
    combine3_loop<BFloat16, Op>(d + 4 * words, x + 4 * words, y + 4 * words, z + 4 * words, n % 2);
  }

  FB_MULTIVERSION static void average(void* data, std::size_t n, int n_ranks) {
    check_rank_count(n_ranks);
    auto* p = static_cast<std::byte*>(data);
    const DivideBy<float> divide(n_ranks);
    const std::size_t words = n / 2;
    for (std::size_t i = 0; i < words; ++i) {
      const std::uint32_t w = load(p, i);
      store(p, i, divide(low(w)), divide(high(w)));
    }
    average_loop<BFloat16>(p + 4 * words, n % 2, n_ranks);
  }
};

}  // namespace

bool half_isa_available(HalfIsa isa) {
#ifdef FB_F16C_KERNELS
  __builtin_cpu_init();  // in case this runs before the constructors that normally do it
#endif
  switch (isa) {
    case HalfIsa::portable:
      return true;
#ifdef FB_F16C_KERNELS
    case HalfIsa::avx2_f16c:
      return __builtin_cpu_supports("avx2") && has_f16c();
    case HalfIsa::avx512f:
      return __builtin_cpu_supports("avx512f");
#endif
    default:
      return false;
  }
}

HalfIsa best_half_isa() {
  static const HalfIsa best = half_isa_available(HalfIsa::avx512f)     ? HalfIsa::avx512f
                              : half_isa_available(HalfIsa::avx2_f16c) ? HalfIsa::avx2_f16c
                                                                       : HalfIsa::portable;
  return best;
}

ReduceKernels float16_kernels(ReduceOp op, HalfIsa isa) {
  if (!half_isa_available(isa)) {
    throw std::invalid_argument("float16 kernel variant not available on this machine");
  }
  switch (isa) {
#ifdef FB_F16C_KERNELS
    case HalfIsa::avx512f:
      return kernels_of<Avx512>(op);
    case HalfIsa::avx2_f16c:
      return kernels_of<Avx2>(op);
#endif
    default:
      return kernels_of<Elementwise<Float16>>(op);
  }
}

ReduceKernels bfloat16_kernels(ReduceOp op) {
  return kernels_of<BFloat16Words>(op);
}

}  // namespace fb::reduce_detail
