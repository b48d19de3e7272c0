// The GPU building blocks (gpu/), in three layers (the kernels' element code on the host is
// in gpu_element_test.cpp):
//   - everywhere: the CUDA probe never fails, and a build without CUDA refuses every entry
//     point with its reason;
//   - with CUDA built: argument checks that need no device, the versions, and errors (not
//     aborts) when there is no device;
//   - with a GPU: every kernel on the device against the CPU kernels, bit for bit, device
//     memory, streams and events, and every NCCL collective on one rank. Skipped with the
//     reason from cuda_availability() where there is no GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
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
#include "core/types.hpp"
#include "gpu/cuda_env.hpp"
#include "gpu/device.hpp"
#include "gpu/error.hpp"
#include "gpu/nccl_comm.hpp"
#include "gpu/reduce.hpp"
#include "gpu/reduce_element.hpp"
#include "tests/unit/gpu_test_support.hpp"
#include "tests/unit/solo_bootstrap.hpp"

namespace fb::gpu {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): the shared test helpers

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

class EveryKernel : public ::testing::TestWithParam<std::tuple<DType, ReduceOp>> {};

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
                         kernel_param_name);

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

// The timeout and the abort on one GPU: the stream is held (gpu::hold_stream) so that the
// all-reduce queued behind it cannot finish; wait() aborts the communicator and names the
// operation, and the aborted communicator refuses more work with the reason.
TEST(GpuNccl, TimeoutAbortsTheCommunicatorAndNamesTheOperation) {
  SKIP_WITHOUT_GPU();
  SoloBootstrap bootstrap;
  NcclComm comm(bootstrap, device_for_local_rank(0), std::chrono::seconds(60));
  constexpr std::size_t kCount = 1024;
  DeviceBuffer send(kCount * sizeof(std::int32_t));
  DeviceBuffer recv(kCount * sizeof(std::int32_t));
  Stream stream;
  std::atomic<bool> released{false};
  // Released by the test once the abort is seen, or after 10 s in any case: should the
  // abort itself wait for the stream, it then returns late instead of never.
  const auto latest = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  hold_stream(stream.handle(), [&released, latest] {
    return released.load() || std::chrono::steady_clock::now() > latest;
  });
  comm.allreduce(send.data(), recv.data(), kCount, DType::int32, ReduceOp::sum, stream.handle());
  try {
    comm.wait(stream.handle(), std::chrono::milliseconds(200));
    ADD_FAILURE() << "an all-reduce behind a held stream finished";
  } catch (const NcclTimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "NCCL timed out after 200 ms waiting for allreduce of 1024 int32 (sum)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(comm.aborted());
  try {
    comm.allreduce(send.data(), recv.data(), kCount, DType::int32, ReduceOp::sum, stream.handle());
    ADD_FAILURE() << "an aborted communicator took more work";
  } catch (const NcclError& e) {
    EXPECT_NE(std::string(e.what()).find("was aborted: NCCL timed out"), std::string::npos)
        << e.what();
  }
  released = true;
  try {
    stream.synchronize();  // what was queued behind the hold drains (or reports the abort)
  } catch (const CudaError&) {
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
