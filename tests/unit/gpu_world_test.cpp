// Our algorithms on device memory, with a GPU: the in-process world (threads, loopback
// transport) runs each algorithm with its buffers and scratch in managed memory and its
// copies and reductions on the GPU (gpu::DeviceSteps: the CUDA kernels on a stream per rank),
// and checks every result exactly, as tests/unit/world_collectives_test.cpp does on the host.
// Managed memory lets the loopback transport (the CPU) move the bytes; the kernels, the
// stream ordering and every sync() are the ones a device-resident run uses. Skipped, with
// cuda_availability()'s reason, without a GPU.
#include <gtest/gtest.h>

#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "collectives/registry.hpp"
#include "gpu/cuda_env.hpp"
#include "gpu/device.hpp"
#include "gpu/device_steps.hpp"
#include "gpu/error.hpp"
#include "harness/call_setup.hpp"
#include "harness/validation.hpp"
#include "tests/unit/world.hpp"

namespace fb {
namespace {

struct Case {
  Collective collective;
  const char* algorithm;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << to_string(c.collective) << ' ' << c.algorithm;
}

class DeviceResident : public ::testing::TestWithParam<Case> {};

TEST_P(DeviceResident, ExactOnManagedMemoryWithDeviceSteps) {
  const auto availability = gpu::cuda_availability();
  if (!availability.available) GTEST_SKIP() << availability.reason;
  const auto [collective, name] = GetParam();
  const auto* entry = find_algorithm(collective, name);
  ASSERT_NE(entry, nullptr) << name;
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  for (const int n : {1, 2, 3, 4}) {
    run_world(n, [&](Bootstrap& boot, Transport& transport) {
      gpu::set_device(gpu::device_for_local_rank(0));  // the CUDA device is per thread
      AlgorithmOptions options;
      options.ring_segment_bytes = {4096};
      options.hd_segment_bytes = {4096};
      options.tree_chunk_bytes = {4096};
      AlgorithmContext ctx{boot, &transport, options};
      auto algorithm = entry->create(ctx);
      gpu::Stream stream;
      gpu::DeviceSteps steps(stream.handle(), gpu::DeviceMemory::managed);
      const std::size_t max_count = 10000 * static_cast<std::size_t>(n) + 7;
      const std::size_t bytes = max_count * 4 * 2 + 64;
      gpu::DeviceBuffer send(bytes, gpu::DeviceMemory::managed);
      gpu::DeviceBuffer recv(bytes, gpu::DeviceMemory::managed);
      const std::span send_bytes(send.as<std::byte>(), bytes);
      const std::span recv_bytes(recv.as<std::byte>(), bytes);
      const auto send_region = transport.register_memory(send_bytes);
      const auto recv_region = transport.register_memory(recv_bytes);
      for (const auto op : {ReduceOp::sum, ReduceOp::avg}) {
        if (op == ReduceOp::avg && !is_reduction(collective)) continue;
        for (const std::size_t count :
             {std::size_t{1}, 3 * static_cast<std::size_t>(n) + 1, max_count}) {
          auto layout =
              layout_call(collective, false, count, DType::float32, op, 0, boot.rank(), n,
                          {send_bytes, send_region.get()}, {recv_bytes, recv_region.get()});
          layout.args.memory = &steps;
          const CheckSpec spec{collective, DType::float32, op, boot.rank(), n, 0, count};
          fill_send(spec, layout.input);
          poison(layout.output, layout.output_count, DType::float32);
          algorithm->run(layout.args);
          const auto wrong = count_mismatches(spec, layout.output);
          if (wrong == 0) continue;
          std::lock_guard lock(failures_mutex);
          std::string failure(name);
          failure.append(" on ").append(std::to_string(n)).append(" ranks, ");
          failure.append(to_string(op)).append(" count ").append(std::to_string(count));
          failures.push_back(failure.append(": ").append(std::to_string(wrong)).append(" wrong"));
        }
      }
    });
  }
  for (const auto& f : failures)
    ADD_FAILURE() << f;
}

TEST(DeviceSteps, WithoutCudaConstructionRefuses) {
  if (gpu::kBuiltWithCuda) GTEST_SKIP() << "built with CUDA support";
  try {
    gpu::DeviceSteps steps(nullptr);
    ADD_FAILURE() << "device steps without CUDA";
  } catch (const gpu::CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("built without CUDA support"), std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Gpu, DeviceResident,
    ::testing::Values(Case{Collective::allreduce, "ring"}, Case{Collective::allreduce, "tree"},
                      Case{Collective::allreduce, "halving-doubling"},
                      Case{Collective::allreduce, "recursive-doubling"},
                      Case{Collective::reducescatter, "ring"}, Case{Collective::allgather, "ring"},
                      Case{Collective::broadcast, "binomial"}, Case{Collective::broadcast, "chain"},
                      Case{Collective::reduce, "binomial"}, Case{Collective::reduce, "chain"},
                      Case{Collective::reduce, "knomial"}),
    [](const ::testing::TestParamInfo<Case>& param) {
      std::string s = std::string(to_string(param.param.collective)) + "_" + param.param.algorithm;
      for (auto& ch : s)
        if (ch == '-') ch = '_';
      return s;
    });

}  // namespace
}  // namespace fb
