// Shared by the GPU kernel tests (gpu_element_test.cpp on the host, gpu_test.cpp on a
// device): random test data with the values that matter mixed in, exact comparison, and one
// check of a kernel set (combine, combine3, finalize; out of place and in place; placed at
// given offsets) against the CPU kernels.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/half.hpp"
#include "collectives/reduce_kernels.hpp"
#include "core/types.hpp"
#include "tests/unit/param_printers.hpp"

namespace fb::gpu::test {

constexpr DType kDTypes[] = {DType::int8,    DType::uint8,  DType::int32,   DType::uint32,
                             DType::int64,   DType::uint64, DType::float16, DType::bfloat16,
                             DType::float32, DType::float64};
constexpr ReduceOp kOps[] = {ReduceOp::sum, ReduceOp::prod, ReduceOp::min, ReduceOp::max,
                             ReduceOp::avg};
constexpr int kRankCounts[] = {1, 2, 3, 7, 1000};

// ---- Test data: random elements with the values that matter mixed in. ----

inline std::uint64_t bits_at(DType t, const std::byte* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, dtype_size(t));  // little endian: the low bytes
  return v;
}

inline bool is_nan_bits(DType t, std::uint64_t v) {
  switch (t) {
    case DType::float16:
      return (v & 0x7FFFU) > 0x7C00U;
    case DType::bfloat16:
      return (v & 0x7FFFU) > 0x7F80U;
    case DType::float32:
      return (v & 0x7FFFFFFFU) > 0x7F800000U;
    case DType::float64:
      return (v & 0x7FFFFFFFFFFFFFFFULL) > 0x7FF0000000000000ULL;
    default:
      return false;
  }
}

// Special bit patterns per floating type: +-0, +-inf, NaNs (quiet, signalling, negative),
// the smallest subnormal, the largest finite, 1 and values whose sums and products round.
inline std::vector<std::uint64_t> special_bits(DType t) {
  switch (t) {
    case DType::float16:
      return {0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE01, 0x0001,
              0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x3C00, 0x3C01, 0x5BFF};
    case DType::bfloat16:
      return {0x0000, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFC1, 0x0001,
              0x8001, 0x007F, 0x0080, 0x7F7F, 0xFF7F, 0x3F80, 0x3F81, 0x437F};
    case DType::float32:
      return {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000,
              0x7F800001, 0xFFC00123, 0x00000001, 0x80000001, 0x007FFFFF,
              0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0x3F800001, 0x4B7FFFFF};
    case DType::float64:
      return {0x0ULL,
              0x8000000000000000ULL,
              0x7FF0000000000000ULL,
              0xFFF0000000000000ULL,
              0x7FF8000000000000ULL,
              0x7FF0000000000001ULL,
              0xFFF8000000000123ULL,
              0x1ULL,
              0x7FEFFFFFFFFFFFFFULL,
              0x3FF0000000000000ULL,
              0x3FF0000000000001ULL};
    default:
      return {};
  }
}

// Integers: full-range values (sums and products overflow), the extremes, and small values
// so that products do not all wrap to zero. Floats: the specials, any bit pattern, and
// ordinary values in [-100, 100].
inline std::vector<std::byte> random_elements(DType t, std::size_t n, std::mt19937_64& rng) {
  const std::size_t size = dtype_size(t);
  std::vector<std::byte> out(n * size);
  const auto specials = special_bits(t);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = rng();
    std::uint64_t v = 0;
    if (is_integer(t)) {
      const std::uint64_t extremes[] = {0, 1, ~0ULL, 1ULL << (8 * size - 1),
                                        (1ULL << (8 * size - 1)) - 1};
      switch (r % 8) {
        case 0:
          v = extremes[(r >> 8) % 5];
          break;
        case 1:
        case 2:
          v = static_cast<std::uint64_t>(static_cast<std::int64_t>(r >> 8) % 16);
          break;
        default:
          v = rng();
      }
    } else if (r % 8 == 0) {
      v = specials[(r >> 8) % specials.size()];
    } else if (r % 8 == 1) {
      v = rng();
    } else {
      const double x = std::uniform_real_distribution<double>(-100.0, 100.0)(rng);
      switch (t) {
        case DType::float16:
          v = float_to_half(static_cast<float>(x)).bits;
          break;
        case DType::bfloat16:
          v = float_to_bf16(static_cast<float>(x)).bits;
          break;
        case DType::float32:
          v = std::bit_cast<std::uint32_t>(static_cast<float>(x));
          break;
        default:
          v = std::bit_cast<std::uint64_t>(x);
      }
    }
    std::memcpy(out.data() + i * size, &v, size);
  }
  return out;
}

// Equal bits, or both NaN: a NaN made by GPU arithmetic is the canonical NaN where the CPU
// keeps an input's payload, and the CPU's own float16 paths differ in NaN payloads.
inline ::testing::AssertionResult same_elements(DType t, const std::byte* want,
                                                const std::byte* got, std::size_t n) {
  const std::size_t size = dtype_size(t);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t w = bits_at(t, want + i * size);
    const std::uint64_t g = bits_at(t, got + i * size);
    if (w == g || (is_nan_bits(t, w) && is_nan_bits(t, g))) continue;
    return ::testing::AssertionFailure() << to_string(t) << " element " << i << " of " << n
                                         << ": expected 0x" << std::hex << w << ", got 0x" << g;
  }
  return ::testing::AssertionSuccess();
}

// Runs combine, combine3 (out of place and in place) and finalize through `run` (a function
// taking the kernels' arguments as bytes) and compares with the CPU kernels. Each stream is
// placed `offsets[i]` elements into its allocation.
struct KernelSet {
  std::function<void(std::byte* dst, const std::byte* a, const std::byte* b, std::size_t n)>
      combine;
  std::function<void(std::byte* dst, const std::byte* a, const std::byte* b, const std::byte* c,
                     std::size_t n)>
      combine3;
  std::function<void(std::byte* data, std::size_t n, int ranks)> finalize;
};

// Host buffers, each placed `offset` elements into its allocation. The allocations are
// 16-byte aligned (operator new for std::byte arrays of this size on x86-64 Linux).
struct Placed {
  std::vector<std::byte> storage;
  std::size_t offset_bytes;
  std::byte* data() { return storage.data() + offset_bytes; }
};

inline Placed place(const std::vector<std::byte>& values, std::size_t offset_elements, DType t) {
  Placed p{std::vector<std::byte>(values.size() + 16 * dtype_size(t)),
           offset_elements * dtype_size(t)};
  std::copy(values.begin(), values.end(), p.data());
  return p;
}

inline void check_against_cpu(DType t, ReduceOp op, const KernelSet& run, std::size_t n,
                              const std::size_t (&offsets)[4], std::mt19937_64& rng) {
  SCOPED_TRACE(std::string(to_string(t)) + " " + std::string(to_string(op)) + ", " +
               std::to_string(n) + " elements, offsets " + std::to_string(offsets[0]) + "," +
               std::to_string(offsets[1]) + "," + std::to_string(offsets[2]) + "," +
               std::to_string(offsets[3]));
  const ReduceKernels cpu = reduce_kernels(t, op);
  const auto a = random_elements(t, n, rng);
  const auto b = random_elements(t, n, rng);
  const auto c = random_elements(t, n, rng);
  std::vector<std::byte> want(a.size());

  Placed pa = place(a, offsets[1], t);
  Placed pb = place(b, offsets[2], t);
  Placed pc = place(c, offsets[3], t);
  Placed out = place(std::vector<std::byte>(a.size()), offsets[0], t);

  cpu.combine(want.data(), a.data(), b.data(), n);
  run.combine(out.data(), pa.data(), pb.data(), n);
  ASSERT_TRUE(same_elements(t, want.data(), out.data(), n)) << "combine";
  cpu.combine3(want.data(), a.data(), b.data(), c.data(), n);
  run.combine3(out.data(), pa.data(), pb.data(), pc.data(), n);
  ASSERT_TRUE(same_elements(t, want.data(), out.data(), n)) << "combine3";

  // In place: dst is a (the streams then share a's offset).
  cpu.combine(want.data(), a.data(), b.data(), n);
  run.combine(pa.data(), pa.data(), pb.data(), n);
  ASSERT_TRUE(same_elements(t, want.data(), pa.data(), n)) << "combine, dst == a";
  pa = place(a, offsets[1], t);
  cpu.combine3(want.data(), a.data(), b.data(), c.data(), n);
  run.combine3(pa.data(), pa.data(), pb.data(), pc.data(), n);
  ASSERT_TRUE(same_elements(t, want.data(), pa.data(), n)) << "combine3, dst == a";

  if (op != ReduceOp::avg) return;
  for (const int ranks : kRankCounts) {
    want = a;
    cpu.finalize(want.data(), n, ranks);
    Placed data = place(a, offsets[0], t);
    run.finalize(data.data(), n, ranks);
    ASSERT_TRUE(same_elements(t, want.data(), data.data(), n)) << "finalize, " << ranks << " ranks";
  }
}

constexpr std::size_t kAligned[4] = {0, 0, 0, 0};
constexpr std::size_t kShifted[4] = {1, 1, 1, 1};  // equally misaligned: head, packs, tail
constexpr std::size_t kMixed[4] = {0, 1, 2, 3};    // no common alignment: element by element

// gtest parameter names: "<dtype>_<op>".
inline std::string kernel_param_name(
    const ::testing::TestParamInfo<std::tuple<DType, ReduceOp>>& info) {
  return std::string(to_string(std::get<0>(info.param))) + "_" +
         std::string(to_string(std::get<1>(info.param)));
}

}  // namespace fb::gpu::test
