// Element-wise reduction kernels on the GPU: the device counterpart of
// collectives/reduce_kernels.hpp, with the same semantics to the bit (see
// gpu/reduce_element.hpp; NaN results match as NaN, not by payload). One launcher per (dtype,
// op), chosen once per call; each launches one kernel on the caller's stream and returns
// without waiting.
//
// All pointers are device memory (or memory the device can address) aligned to the element
// size. Where every pointer has the same offset from a 16-byte boundary the bulk moves in
// 16-byte accesses; otherwise element by element. dst may equal an input (element-wise, so
// aliasing is harmless) but must not partly overlap one.
//
// Errors: std::invalid_argument for a null or misaligned pointer with a non-zero count, an
// invalid enum or a rank count below 1; CudaError for a failed launch (which also reports
// an earlier asynchronous error on the device). Without CUDA, CudaError("built without CUDA
// support").
#pragma once

#include <cstddef>

#include "core/types.hpp"
#include "gpu/device.hpp"

namespace fb::gpu {

struct DeviceReduceKernels {
  // dst[i] = a[i] op b[i].
  void (*combine)(void* dst, const void* a, const void* b, std::size_t count,
                  StreamHandle stream) = nullptr;
  // dst[i] = (a[i] op b[i]) op c[i].
  void (*combine3)(void* dst, const void* a, const void* b, const void* c, std::size_t count,
                   StreamHandle stream) = nullptr;
  // avg only (nullptr otherwise): data[i] /= n_ranks, once, on the complete sum.
  void (*finalize)(void* data, std::size_t count, int n_ranks, StreamHandle stream) = nullptr;
};

DeviceReduceKernels device_reduce_kernels(DType dtype, ReduceOp op);

// Conveniences that look the launcher up on every call. finalize does nothing for ops other
// than avg (but still rejects n_ranks < 1).
void combine(DType dtype, ReduceOp op, void* dst, const void* a, const void* b, std::size_t count,
             StreamHandle stream);
void combine3(DType dtype, ReduceOp op, void* dst, const void* a, const void* b, const void* c,
              std::size_t count, StreamHandle stream);
void finalize(DType dtype, ReduceOp op, void* data, std::size_t count, int n_ranks,
              StreamHandle stream);

}  // namespace fb::gpu
