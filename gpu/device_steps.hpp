// The copies and reductions of our algorithms on device memory (core/memory_steps.hpp): the
// CUDA reduction kernels (gpu/reduce.hpp) and device-to-device copies, enqueued in order on
// one stream; sync() records an event on that stream and waits for it (no device-wide
// synchronisation, so other streams, such as a transport's, keep running). Scratch comes
// from cudaMalloc. Without CUDA, constructing one throws CudaError("built without CUDA
// support").
#pragma once

#include <string_view>

#include "core/memory_steps.hpp"
#include "gpu/device.hpp"
#include "gpu/reduce.hpp"

namespace fb::gpu {

class DeviceSteps final : public MemorySteps {
 public:
  // Runs on `stream` (not owned; it must outlive the steps); scratch in `scratch` memory
  // (managed: for a transport that moves bytes with the CPU, as the test world's does).
  explicit DeviceSteps(StreamHandle stream, DeviceMemory scratch = DeviceMemory::device);

  std::string_view name() const override { return "cuda stream"; }
  Allocation allocate(std::size_t bytes) override;
  void copy(std::byte* dst, const std::byte* src, std::size_t bytes) override;
  void combine(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a, const std::byte* b,
               std::size_t elems) override;
  void combine3(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a, const std::byte* b,
                const std::byte* c, std::size_t elems) override;
  void finalize(DType dtype, ReduceOp op, std::byte* data, std::size_t elems, int n_ranks) override;
  void sync() override;

 private:
  // The launchers of the last (dtype, op): looked up once per call's worth of chunks.
  const DeviceReduceKernels& kernels(DType dtype, ReduceOp op);

  StreamHandle stream_;
  DeviceMemory scratch_;
  Event done_{false};  // recorded by sync(); no timing
  bool cached_ = false;
  DType dtype_ = DType::float32;
  ReduceOp op_ = ReduceOp::sum;
  DeviceReduceKernels kernels_;
};

}  // namespace fb::gpu
