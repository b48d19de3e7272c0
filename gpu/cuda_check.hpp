// Turning CUDA return codes into CudaError, for the files of fb_gpu built with CUDA (not part
// of the public interface: it includes cuda_runtime.h).
#pragma once

#include <cuda_runtime.h>

#include <string>
#include <string_view>

#include "gpu/error.hpp"

namespace fb::gpu::detail {

// "out of memory (cudaErrorMemoryAllocation)".
inline std::string cuda_error_text(cudaError_t error) {
  return std::string(cudaGetErrorString(error)) + " (" + cudaGetErrorName(error) + ")";
}

// Throws CudaError("<call>: <description> (<name>)") unless `error` is cudaSuccess. The
// runtime's last-error slot is cleared first, so a later launch check does not report this
// error again.
inline void cuda_check(cudaError_t error, std::string_view call) {
  if (error == cudaSuccess) return;
  static_cast<void>(cudaGetLastError());
  throw CudaError(std::string(call) + ": " + cuda_error_text(error));
}

}  // namespace fb::gpu::detail
