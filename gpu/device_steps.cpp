#include "gpu/device_steps.hpp"

#include <memory>
#include <stdexcept>

namespace fb::gpu {

DeviceSteps::DeviceSteps(StreamHandle stream, DeviceMemory scratch)
    : stream_(stream), scratch_(scratch) {}

MemorySteps::Allocation DeviceSteps::allocate(std::size_t bytes) {
  // DeviceBuffer owns the cudaMalloc; the allocation's deleter owns the DeviceBuffer.
  auto buffer = std::make_shared<DeviceBuffer>(bytes, scratch_);
  auto* data = static_cast<std::byte*>(buffer->data());
  return Allocation(data, [buffer](std::byte*) mutable { buffer.reset(); });
}

void DeviceSteps::copy(std::byte* dst, const std::byte* src, std::size_t bytes) {
  memcpy_d2d_async(dst, src, bytes, stream_);
}

const DeviceReduceKernels& DeviceSteps::kernels(DType dtype, ReduceOp op) {
  if (!cached_ || dtype != dtype_ || op != op_) {
    kernels_ = device_reduce_kernels(dtype, op);
    dtype_ = dtype;
    op_ = op;
    cached_ = true;
  }
  return kernels_;
}

void DeviceSteps::combine(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a,
                          const std::byte* b, std::size_t elems) {
  if (elems > 0) kernels(dtype, op).combine(dst, a, b, elems, stream_);
}

void DeviceSteps::combine3(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a,
                           const std::byte* b, const std::byte* c, std::size_t elems) {
  if (elems > 0) kernels(dtype, op).combine3(dst, a, b, c, elems, stream_);
}

void DeviceSteps::finalize(DType dtype, ReduceOp op, std::byte* data, std::size_t elems,
                           int n_ranks) {
  if (n_ranks < 1) throw std::invalid_argument("device steps: finalize needs n_ranks >= 1");
  const auto& k = kernels(dtype, op);
  if (elems > 0 && k.finalize != nullptr) k.finalize(data, elems, n_ranks, stream_);
}

void DeviceSteps::sync() {
  done_.record(stream_);
  done_.synchronize();
}

}  // namespace fb::gpu
