// Errors of the GPU layer. Each message names the failing call and the library's own
// description of the error, so it can be shown as is at the top.
#pragma once

#include <stdexcept>
#include <string>

namespace fb::gpu {

// A CUDA runtime call failed ("cudaMalloc(1048576 bytes): out of memory
// (cudaErrorMemoryAllocation)"), or CUDA support was not built ("built without CUDA support").
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An NCCL call failed, or an NCCL operation reported an asynchronous error.
class NcclError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An NCCL operation did not finish within its deadline. The communicator has been aborted;
// a distinct type so the harness can report it as a hang.
class NcclTimeoutError : public NcclError {
 public:
  using NcclError::NcclError;
};

// The message of every entry point of a build without CUDA (FB_HAVE_CUDA == 0).
inline constexpr const char* kBuiltWithoutCuda = "built without CUDA support";

}  // namespace fb::gpu
