// The GPU building blocks (gpu/), in three layers:
//   - everywhere: the CUDA probe never fails, a build without CUDA refuses every entry point
//     with its reason, and the kernels' element code (gpu/reduce_element.hpp, plain C++ as
//     well as CUDA) runs on the host against the CPU kernels and collectives/half.hpp, with
//     the kernels' own buffer walk (head, 16-byte packs, tail) on an emulated grid;
//   - with CUDA built: argument checks that need no device, the versions, and errors (not
//     aborts) when there is no device;
//   - with a GPU: every kernel on the device against the CPU kernels, bit for bit, device
//     memory, streams and events, and every NCCL collective on one rank. Skipped with the
//     reason from cuda_availability() where there is no GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <random>
#include <regex>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "collectives/half.hpp"
#include "collectives/reduce_kernels.hpp"
#include "collectives/types.hpp"
#include "gpu/cuda_env.hpp"
#include "gpu/device.hpp"
#include "gpu/error.hpp"
#include "gpu/nccl_comm.hpp"
#include "gpu/reduce.hpp"
#include "gpu/reduce_element.hpp"
#include "transports/bootstrap.hpp"

namespace fb::gpu {
namespace {

namespace el = element;

constexpr DType kDTypes[] = {DType::int8,    DType::uint8,  DType::int32,   DType::uint32,
                             DType::int64,   DType::uint64, DType::float16, DType::bfloat16,
                             DType::float32, DType::float64};
constexpr ReduceOp kOps[] = {ReduceOp::sum, ReduceOp::prod, ReduceOp::min, ReduceOp::max,
                             ReduceOp::avg};
constexpr int kRankCounts[] = {1, 2, 3, 7, 1000};

// ---- Test data: random elements with the values that matter mixed in. ----

std::uint64_t bits_at(DType t, const std::byte* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, dtype_size(t));  // little endian: the low bytes
  return v;
}

bool is_nan_bits(DType t, std::uint64_t v) {
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
std::vector<std::uint64_t> special_bits(DType t) {
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
std::vector<std::byte> random_elements(DType t, std::size_t n, std::mt19937_64& rng) {
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
::testing::AssertionResult same_elements(DType t, const std::byte* want, const std::byte* got,
                                         std::size_t n) {
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

Placed place(const std::vector<std::byte>& values, std::size_t offset_elements, DType t) {
  Placed p{std::vector<std::byte>(values.size() + 16 * dtype_size(t)),
           offset_elements * dtype_size(t)};
  std::copy(values.begin(), values.end(), p.data());
  return p;
}

void check_against_cpu(DType t, ReduceOp op, const KernelSet& run, std::size_t n,
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

class EveryKernel : public ::testing::TestWithParam<std::tuple<DType, ReduceOp>> {};

TEST_P(EveryKernel, HostRunMatchesCpuKernels) {
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

// ---- Without a device, or without CUDA. ----

TEST(GpuEnv, AvailabilityNeverFailsAndExplains) {
  const CudaAvailability a = cuda_availability();
  if (a.available) {
    EXPECT_TRUE(a.reason.empty()) << a.reason;
    EXPECT_GT(a.device_count, 0);
  } else {
    EXPECT_FALSE(a.reason.empty());
    EXPECT_EQ(a.reason.find('\n'), std::string::npos) << a.reason;
    EXPECT_EQ(a.device_count, 0);
    if (kBuiltWithCuda) {
      EXPECT_EQ(a.reason.rfind("no CUDA device: ", 0), 0U) << a.reason;
    } else {
      EXPECT_EQ(a.reason, "built without CUDA support");
    }
  }
  EXPECT_EQ(cuda_availability().available, a.available);  // asking again is as safe
}

template <typename F>
void expect_cuda_error(F&& f, const std::string& what, const std::string& message_start) {
  try {
    f();
    ADD_FAILURE() << what << " did not throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(message_start, 0), 0U) << what << ": " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " threw something other than CudaError: " << e.what();
  }
}

// A single-process bootstrap: rank 0 of 1.
class SoloBootstrap final : public Bootstrap {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allgather(std::span<const std::byte> mine, std::span<std::byte> all) override {
    std::copy(mine.begin(), mine.end(), all.begin());
  }
  void broadcast(std::span<std::byte> /*data*/, int /*root*/) override {}
  void barrier() override {}
  void barrier_progressing(const std::function<void()>& progress) override { progress(); }
  void allreduce_max(std::span<double> /*values*/) override {}
  void allreduce_sum(std::span<std::int64_t> /*values*/) override {}
};

TEST(GpuFallback, EveryEntryPointRefuses) {
  if (kBuiltWithCuda) GTEST_SKIP() << "built with CUDA support";
  const std::string m = "built without CUDA support";
  std::byte host[16] = {};
  expect_cuda_error([] { device_for_local_rank(0); }, "device_for_local_rank", m);
  expect_cuda_error([] { set_device(0); }, "set_device", m);
  expect_cuda_error([] { current_device(); }, "current_device", m);
  expect_cuda_error([] { synchronize_device(); }, "synchronize_device", m);
  expect_cuda_error([] { device_description(0); }, "device_description", m);
  expect_cuda_error([] { cuda_runtime_version(); }, "cuda_runtime_version", m);
  expect_cuda_error([] { cuda_driver_version(); }, "cuda_driver_version", m);
  expect_cuda_error([] { nccl_version(); }, "nccl_version", m);
  expect_cuda_error([] { DeviceBuffer b(16); }, "DeviceBuffer", m);
  expect_cuda_error([] { DeviceBuffer b(0); }, "DeviceBuffer(0)", m);
  expect_cuda_error([] { PinnedHostBuffer b(16); }, "PinnedHostBuffer", m);
  expect_cuda_error([] { Stream s; }, "Stream", m);
  expect_cuda_error([] { Event e; }, "Event", m);
  expect_cuda_error([&] { memcpy_h2d(host, host, 16); }, "memcpy_h2d", m);
  expect_cuda_error([&] { memcpy_d2h(host, host, 16); }, "memcpy_d2h", m);
  expect_cuda_error([&] { memcpy_d2d(host, host, 16); }, "memcpy_d2d", m);
  expect_cuda_error([&] { memcpy_h2d_async(host, host, 16, nullptr); }, "memcpy_h2d_async", m);
  expect_cuda_error([&] { memcpy_d2h_async(host, host, 16, nullptr); }, "memcpy_d2h_async", m);
  expect_cuda_error([&] { memcpy_d2d_async(host, host, 16, nullptr); }, "memcpy_d2d_async", m);
  expect_cuda_error([&] { memset_device(host, 0, 16); }, "memset_device", m);
  expect_cuda_error([&] { memset_device_async(host, 0, 16, nullptr); }, "memset_device_async", m);
  expect_cuda_error([] { device_reduce_kernels(DType::float32, ReduceOp::sum); },
                    "device_reduce_kernels", m);
  expect_cuda_error([&] { combine(DType::float32, ReduceOp::sum, host, host, host, 4, nullptr); },
                    "combine", m);
  expect_cuda_error(
      [&] { combine3(DType::float32, ReduceOp::sum, host, host, host, host, 4, nullptr); },
      "combine3", m);
  expect_cuda_error([&] { finalize(DType::float32, ReduceOp::avg, host, 4, 2, nullptr); },
                    "finalize", m);
  SoloBootstrap bootstrap;
  expect_cuda_error([&] { NcclComm comm(bootstrap, 0); }, "NcclComm", m);
  // What needs no CUDA call still works: empty owners, moves.
  DeviceBuffer empty;
  DeviceBuffer moved(std::move(empty));
  EXPECT_EQ(moved.data(), nullptr);
  EXPECT_EQ(moved.size(), 0U);
}

TEST(GpuEnv, VersionsWithoutNeedingADevice) {
  if (!kBuiltWithCuda) GTEST_SKIP() << "built without CUDA support";
  EXPECT_TRUE(std::regex_match(cuda_runtime_version(), std::regex(R"(\d+\.\d+)")))
      << cuda_runtime_version();
  const std::string driver = cuda_driver_version();
  EXPECT_TRUE(driver == "none" || std::regex_match(driver, std::regex(R"(\d+\.\d+)"))) << driver;
  EXPECT_TRUE(std::regex_match(nccl_version(), std::regex(R"(\d+\.\d+\.\d+)"))) << nccl_version();
}

TEST(GpuEnv, NoDeviceIsAnErrorNotAnAbort) {
  if (!kBuiltWithCuda) GTEST_SKIP() << "built without CUDA support";
  const CudaAvailability a = cuda_availability();
  if (a.available) GTEST_SKIP() << "a CUDA device is present here";
  expect_cuda_error([] { device_for_local_rank(0); }, "device_for_local_rank",
                    "cudaGetDeviceCount: ");
  expect_cuda_error([] { DeviceBuffer b(16); }, "DeviceBuffer", "cudaMalloc(16 bytes): ");
  expect_cuda_error([] { Stream s; }, "Stream", "cudaStreamCreateWithFlags: ");
  DeviceBuffer zero(0);  // zero bytes needs no device
  EXPECT_TRUE(zero.empty());
  EXPECT_EQ(cuda_availability().reason, a.reason);
}

TEST(GpuKernels, ArgumentsCheckedBeforeTheDevice) {
  if (!kBuiltWithCuda) GTEST_SKIP() << "built without CUDA support";
  // None of these reaches the device, so they hold with or without one.
  // Host memory stands in for device memory: the checks look at the addresses only.
  alignas(16) std::byte storage[64] = {};
  void* fake = storage;
  void* odd = storage + 2;
  EXPECT_NO_THROW(combine(DType::float32, ReduceOp::sum, nullptr, nullptr, nullptr, 0, nullptr));
  EXPECT_NO_THROW(finalize(DType::int32, ReduceOp::avg, nullptr, 0, 3, nullptr));
  EXPECT_NO_THROW(finalize(DType::int32, ReduceOp::sum, fake, 100, 3, nullptr));  // nothing to do
  EXPECT_THROW(combine(DType::float32, ReduceOp::sum, fake, fake, nullptr, 4, nullptr),
               std::invalid_argument);
  EXPECT_THROW(combine(DType::float32, ReduceOp::min, fake, odd, fake, 4, nullptr),
               std::invalid_argument);
  EXPECT_NO_THROW(device_reduce_kernels(DType::float16, ReduceOp::max));
  EXPECT_THROW(finalize(DType::float32, ReduceOp::avg, fake, 4, 0, nullptr), std::invalid_argument);
  EXPECT_THROW(device_reduce_kernels(static_cast<DType>(99), ReduceOp::sum), std::invalid_argument);
  EXPECT_THROW(device_reduce_kernels(DType::int8, static_cast<ReduceOp>(99)),
               std::invalid_argument);
  EXPECT_EQ(device_reduce_kernels(DType::int8, ReduceOp::sum).finalize, nullptr);
  EXPECT_NE(device_reduce_kernels(DType::int8, ReduceOp::avg).finalize, nullptr);
  try {
    combine(DType::int64, ReduceOp::sum, fake, odd, fake, 4, nullptr);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "gpu combine: pointer not aligned to its 8-byte int64 elements");
  }
}

// ---- With a device. ----

#define SKIP_WITHOUT_GPU()                                            \
  do {                                                                \
    const CudaAvailability availability = cuda_availability();        \
    if (!availability.available) GTEST_SKIP() << availability.reason; \
  } while (false)

TEST_P(EveryKernel, DeviceMatchesCpuKernels) {
  SKIP_WITHOUT_GPU();
  const auto [t, op] = GetParam();
  const DeviceReduceKernels k = device_reduce_kernels(t, op);
  Stream stream;
  // Each call copies its inputs to device buffers at the same offsets as on the host, runs
  // the kernel on the stream, and copies the destination back.
  const std::size_t size = dtype_size(t);
  const auto device_copy = [&](const std::byte* host, std::size_t n, DeviceBuffer& buffer) {
    const std::size_t offset = reinterpret_cast<std::uintptr_t>(host) % 16;
    buffer = DeviceBuffer(n * size + 32);
    std::byte* d = buffer.as<std::byte>() + offset;
    memcpy_h2d(d, host, n * size);
    return d;
  };
  const KernelSet run{[&](std::byte* dst, const std::byte* a, const std::byte* b, std::size_t n) {
                        DeviceBuffer bd, ba, bb;
                        std::byte* dd = device_copy(dst, n, bd);
                        const std::byte* da = dst == a ? dd : device_copy(a, n, ba);
                        k.combine(dd, da, device_copy(b, n, bb), n, stream.handle());
                        stream.synchronize();
                        memcpy_d2h(dst, dd, n * size);
                      },
                      [&](std::byte* dst, const std::byte* a, const std::byte* b,
                          const std::byte* c, std::size_t n) {
                        DeviceBuffer bd, ba, bb, bc;
                        std::byte* dd = device_copy(dst, n, bd);
                        const std::byte* da = dst == a ? dd : device_copy(a, n, ba);
                        k.combine3(dd, da, device_copy(b, n, bb), device_copy(c, n, bc), n,
                                   stream.handle());
                        stream.synchronize();
                        memcpy_d2h(dst, dd, n * size);
                      },
                      [&](std::byte* data, std::size_t n, int ranks) {
                        DeviceBuffer bd;
                        std::byte* dd = device_copy(data, n, bd);
                        k.finalize(dd, n, ranks, stream.handle());
                        stream.synchronize();
                        memcpy_d2h(data, dd, n * size);
                      }};
  std::mt19937_64 rng(777);
  for (const std::size_t n : {0UL, 1UL, 7UL, 1000UL, (1UL << 20) + 3}) {
    for (const auto* offsets : {&kAligned, &kShifted, &kMixed}) {
      check_against_cpu(t, op, run, n, *offsets, rng);
      if (HasFatalFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Gpu, EveryKernel,
                         ::testing::Combine(::testing::ValuesIn(kDTypes),
                                            ::testing::ValuesIn(kOps)),
                         [](const auto& test) {
                           return std::string(to_string(std::get<0>(test.param))) + "_" +
                                  std::string(to_string(std::get<1>(test.param)));
                         });

TEST(GpuDevice, MemoryStreamsAndEvents) {
  SKIP_WITHOUT_GPU();
  set_device(device_for_local_rank(0));
  EXPECT_EQ(current_device(), device_for_local_rank(0));
  EXPECT_FALSE(device_description(current_device()).empty());

  DeviceBuffer empty(0);
  EXPECT_EQ(empty.data(), nullptr);
  memcpy_h2d(empty.data(), nullptr, 0);  // zero bytes is nothing

  constexpr std::size_t kBytes = 1 << 20;
  std::vector<std::uint8_t> in(kBytes);
  for (std::size_t i = 0; i < kBytes; ++i)
    in[i] = static_cast<std::uint8_t>(i * 7 + 3);
  DeviceBuffer a(kBytes);
  DeviceBuffer b(kBytes);
  EXPECT_EQ(a.size(), kBytes);
  PinnedHostBuffer pinned(kBytes);
  Stream stream;
  Event start;
  Event stop;
  start.record(stream.handle());
  std::memcpy(pinned.data(), in.data(), kBytes);
  memcpy_h2d_async(a.data(), pinned.data(), kBytes, stream.handle());
  memcpy_d2d_async(b.data(), a.data(), kBytes, stream.handle());
  memset_device_async(a.data(), 0xAB, kBytes, stream.handle());
  stop.record(stream.handle());
  stop.synchronize();
  EXPECT_TRUE(stop.done());
  EXPECT_TRUE(stream.done());
  EXPECT_GE(elapsed_ms(start, stop), 0.0);

  std::vector<std::uint8_t> out(kBytes);
  memcpy_d2h(out.data(), b.data(), kBytes);
  EXPECT_EQ(out, in);
  memcpy_d2h(out.data(), a.data(), kBytes);
  EXPECT_EQ(out, std::vector<std::uint8_t>(kBytes, 0xAB));

  DeviceBuffer moved(std::move(a));
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(moved.size(), kBytes);

  // A device error is a CudaError naming the call, not an abort.
  try {
    DeviceBuffer huge(std::size_t{1} << 60);
    ADD_FAILURE() << "a 2^60-byte cudaMalloc succeeded";
  } catch (const CudaError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cudaMalloc(", 0), 0U) << e.what();
  }
}

TEST(GpuNccl, EveryCollectiveOnOneRank) {
  SKIP_WITHOUT_GPU();
  SoloBootstrap bootstrap;
  const int device = device_for_local_rank(0);
  NcclComm comm(bootstrap, device, std::chrono::seconds(60));
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  EXPECT_EQ(comm.device(), device);

  constexpr std::size_t kCount = 1024;
  std::vector<std::int32_t> in(kCount);
  for (std::size_t i = 0; i < kCount; ++i)
    in[i] = static_cast<std::int32_t>(i * 3) - 1000;
  const std::size_t bytes = kCount * sizeof(std::int32_t);
  DeviceBuffer send(bytes);
  DeviceBuffer recv(bytes);
  memcpy_h2d(send.data(), in.data(), bytes);
  Stream stream;
  const auto result = [&] {
    comm.wait(stream.handle(), std::chrono::seconds(30));
    std::vector<std::int32_t> out(kCount);
    memcpy_d2h(out.data(), recv.data(), bytes);
    memset_device(recv.data(), 0, bytes);
    return out;
  };
  // On one rank every collective copies its input: sums, min, max and avg of one value are
  // the value; the gathers and shifts move the one block to itself.
  for (const ReduceOp op : kOps) {
    comm.allreduce(send.data(), recv.data(), kCount, DType::int32, op, stream.handle());
    EXPECT_EQ(result(), in) << "allreduce " << to_string(op);
  }
  comm.reducescatter(send.data(), recv.data(), kCount, DType::int32, ReduceOp::sum,
                     stream.handle());
  EXPECT_EQ(result(), in) << "reducescatter";
  comm.allgather(send.data(), recv.data(), kCount, DType::int32, stream.handle());
  EXPECT_EQ(result(), in) << "allgather";
  comm.broadcast(send.data(), recv.data(), kCount, DType::int32, 0, stream.handle());
  EXPECT_EQ(result(), in) << "broadcast";
  comm.reduce(send.data(), recv.data(), kCount, DType::int32, ReduceOp::max, 0, stream.handle());
  EXPECT_EQ(result(), in) << "reduce";
  comm.alltoall(send.data(), recv.data(), kCount, DType::int32, stream.handle());
  EXPECT_EQ(result(), in) << "alltoall";
  comm.sendrecv(send.data(), recv.data(), kCount, DType::int32, stream.handle());
  EXPECT_EQ(result(), in) << "sendrecv";
  EXPECT_EQ(comm.last_operation(), "sendrecv of 1024 int32");
  EXPECT_FALSE(comm.aborted());
}

}  // namespace
}  // namespace fb::gpu
