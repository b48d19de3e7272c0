// The CUDA kernels' element code (gpu/reduce_element.hpp, plain C++ as well as CUDA) on the
// host, everywhere: against the CPU kernels and collectives/half.hpp, with the kernels' own
// buffer walk (head, 16-byte packs, tail) on an emulated grid.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/half.hpp"
#include "collectives/reduce_kernels.hpp"
#include "core/types.hpp"
#include "gpu/reduce_element.hpp"
#include "tests/unit/gpu_test_support.hpp"

namespace fb::gpu {
namespace {

namespace el = element;
using namespace test;  // NOLINT(google-build-using-namespace): the shared test helpers

// ---- The element code on the host. ----

// Calls f.template operator()<E>() with the element type of a dtype.
template <typename F>
void with_element(DType t, F&& f) {
  switch (t) {
    case DType::int8:
      return f.template operator()<el::Native<std::int8_t>>();
    case DType::uint8:
      return f.template operator()<el::Native<std::uint8_t>>();
    case DType::int32:
      return f.template operator()<el::Native<std::int32_t>>();
    case DType::uint32:
      return f.template operator()<el::Native<std::uint32_t>>();
    case DType::int64:
      return f.template operator()<el::Native<std::int64_t>>();
    case DType::uint64:
      return f.template operator()<el::Native<std::uint64_t>>();
    case DType::float16:
      return f.template operator()<el::Float16>();
    case DType::bfloat16:
      return f.template operator()<el::BFloat16>();
    case DType::float32:
      return f.template operator()<el::Native<float>>();
    case DType::float64:
      return f.template operator()<el::Native<double>>();
  }
}

template <typename F>
void with_op(ReduceOp op, F&& f) {
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::avg:
      return f.template operator()<el::Sum>();
    case ReduceOp::prod:
      return f.template operator()<el::Prod>();
    case ReduceOp::min:
      return f.template operator()<el::Min>();
    case ReduceOp::max:
      return f.template operator()<el::Max>();
  }
}

// Runs fn over the streams as the kernel does, on a grid of kThreads emulated threads.
constexpr std::size_t kThreads = 5;

template <typename Fn, typename S>
void run_on_host(const Fn& fn, S* dst, std::initializer_list<const S*> inputs, std::size_t n) {
  el::Streams<S> s;
  s.dst = dst;
  s.count = n;
  std::uintptr_t addresses[4] = {reinterpret_cast<std::uintptr_t>(dst)};
  int k = 1;
  for (const S* p : inputs) {
    s.in[k - 1] = p;
    addresses[k++] = reinterpret_cast<std::uintptr_t>(p);
  }
  s.split = el::split_for_vectors(addresses, k, n, sizeof(S));
  for (std::size_t t = 0; t < kThreads; ++t)
    el::elementwise(fn, s, t, kThreads);
}

// The kernels of one (dtype, op), as the device runs them but on the host.
struct HostKernels {
  std::function<void(void*, const void*, const void*, std::size_t)> combine;
  std::function<void(void*, const void*, const void*, const void*, std::size_t)> combine3;
  std::function<void(void*, std::size_t, int)> finalize;
};

HostKernels host_kernels(DType t, ReduceOp op) {
  HostKernels k;
  with_element(t, [&]<typename E>() {
    using S = typename E::Storage;
    with_op(op, [&]<typename Op>() {
      k.combine = [](void* d, const void* a, const void* b, std::size_t n) {
        run_on_host(el::Combine2<E, Op>{}, static_cast<S*>(d),
                    {static_cast<const S*>(a), static_cast<const S*>(b)}, n);
      };
      k.combine3 = [](void* d, const void* a, const void* b, const void* c, std::size_t n) {
        run_on_host(el::Combine3<E, Op>{}, static_cast<S*>(d),
                    {static_cast<const S*>(a), static_cast<const S*>(b), static_cast<const S*>(c)},
                    n);
      };
    });
    k.finalize = [](void* d, std::size_t n, int ranks) {
      run_on_host(el::Average<E>{ranks}, static_cast<S*>(d), {static_cast<const S*>(d)}, n);
    };
  });
  return k;
}

TEST(GpuElement, SplitForVectors) {
  const std::uintptr_t aligned[] = {0x1000, 0x2000, 0x3000};
  EXPECT_EQ(el::split_for_vectors(aligned, 3, 10, 4).head, 0U);
  EXPECT_EQ(el::split_for_vectors(aligned, 3, 10, 4).vectors, 2U);  // 8 in packs, 2 in the tail
  const std::uintptr_t shifted[] = {0x1004, 0x2004, 0x3004};
  EXPECT_EQ(el::split_for_vectors(shifted, 3, 10, 4).head, 3U);
  EXPECT_EQ(el::split_for_vectors(shifted, 3, 10, 4).vectors, 1U);
  EXPECT_EQ(el::split_for_vectors(shifted, 3, 2, 4).head, 2U);  // all head
  EXPECT_EQ(el::split_for_vectors(shifted, 3, 2, 4).vectors, 0U);
  const std::uintptr_t mixed[] = {0x1000, 0x2004, 0x3000};
  EXPECT_EQ(el::split_for_vectors(mixed, 3, 100, 4).head, 100U);
  EXPECT_EQ(el::split_for_vectors(mixed, 3, 100, 4).vectors, 0U);
  const std::uintptr_t bytes[] = {0x100F, 0x200F};
  EXPECT_EQ(el::split_for_vectors(bytes, 2, 100, 1).head, 1U);
  EXPECT_EQ(el::split_for_vectors(bytes, 2, 100, 1).vectors, 6U);
}

TEST(GpuElement, Float16WidensLikeHalfHpp) {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto bits = static_cast<std::uint16_t>(h);
    ASSERT_EQ(std::bit_cast<std::uint32_t>(el::Float16::load(bits)),
              std::bit_cast<std::uint32_t>(half_to_float({bits})))
        << std::hex << h;
  }
}

// Every float32 whose low 12 bits are one of the patterns around the rounding points (the
// high 20 bits take every value), then random floats.
template <typename Check>
void for_rounding_cases(Check check) {
  constexpr std::uint32_t kLow[] = {0x000, 0x001, 0x7FF, 0x800, 0x801, 0xFFF};
  for (std::uint32_t high = 0; high < (1U << 20); ++high) {
    for (const std::uint32_t low : kLow)
      check((high << 12) | low);
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 1000000; ++i)
    check(static_cast<std::uint32_t>(rng()));
}

TEST(GpuElement, Float16NarrowsLikeHalfHpp) {
  std::uint32_t bad = 0;
  std::size_t failures = 0;
  for_rounding_cases([&](std::uint32_t u) {
    const float f = std::bit_cast<float>(u);
    if (el::Float16::store(f) != float_to_half(f).bits && failures++ == 0) bad = u;
  });
  EXPECT_EQ(failures, 0U) << "first failing float32 0x" << std::hex << bad;
}

TEST(GpuElement, BFloat16LikeHalfHpp) {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto bits = static_cast<std::uint16_t>(h);
    ASSERT_EQ(std::bit_cast<std::uint32_t>(el::BFloat16::load(bits)),
              std::bit_cast<std::uint32_t>(bf16_to_float({bits})));
  }
  std::uint32_t bad = 0;
  std::size_t failures = 0;
  for_rounding_cases([&](std::uint32_t u) {
    const float f = std::bit_cast<float>(u);
    if (el::BFloat16::store(f) != float_to_bf16(f).bits && failures++ == 0) bad = u;
  });
  EXPECT_EQ(failures, 0U) << "first failing float32 0x" << std::hex << bad;
}

class EveryKernelOnHost : public ::testing::TestWithParam<std::tuple<DType, ReduceOp>> {};

TEST_P(EveryKernelOnHost, HostRunMatchesCpuKernels) {
  const auto [t, op] = GetParam();
  const HostKernels host = host_kernels(t, op);
  const KernelSet run{[&](std::byte* d, const std::byte* a, const std::byte* b, std::size_t n) {
                        host.combine(d, a, b, n);
                      },
                      [&](std::byte* d, const std::byte* a, const std::byte* b, const std::byte* c,
                          std::size_t n) { host.combine3(d, a, b, c, n); },
                      [&](std::byte* d, std::size_t n, int ranks) { host.finalize(d, n, ranks); }};
  std::mt19937_64 rng(12345);
  for (const std::size_t n : {0UL, 1UL, 7UL, 64UL, 1000UL, 4099UL}) {
    for (const auto* offsets : {&kAligned, &kShifted, &kMixed}) {
      check_against_cpu(t, op, run, n, *offsets, rng);
      if (HasFatalFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Gpu, EveryKernelOnHost,
                         ::testing::Combine(::testing::ValuesIn(kDTypes),
                                            ::testing::ValuesIn(kOps)),
                         kernel_param_name);

}  // namespace
}  // namespace fb::gpu
