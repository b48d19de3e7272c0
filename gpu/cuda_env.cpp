// The CUDA probe and device queries (built with CUDA; gpu/fallback.cpp otherwise).
#include "gpu/cuda_env.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "gpu/cuda_check.hpp"

namespace fb::gpu {

using detail::cuda_check;

namespace {

// "13.0" from 13000.
std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

}  // namespace

CudaAvailability cuda_availability() {
  // cudaGetDeviceCount reports a missing driver or device as an error code; nothing here
  // can abort. The error is not sticky, but clear it so no later launch check sees it.
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    return {false, std::string("no CUDA device: cudaGetDeviceCount: ") + cudaGetErrorString(error),
            0};
  }
  if (count <= 0) return {false, "no CUDA device: cudaGetDeviceCount found none", 0};
  return {true, "", count};
}

int device_for_local_rank(int local_rank) {
  if (local_rank < 0) {
    throw std::invalid_argument("device_for_local_rank: negative local rank " +
                                std::to_string(local_rank));
  }
  int count = 0;
  cuda_check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (count <= 0) throw CudaError("cudaGetDeviceCount: no CUDA device");
  return local_rank % count;
}

std::optional<int> device_for_pci_bus_id(const std::string& bus_id) {
  int device = -1;
  if (cudaDeviceGetByPCIBusId(&device, bus_id.c_str()) != cudaSuccess) {
    static_cast<void>(cudaGetLastError());  // not sticky: clear it
    return std::nullopt;
  }
  return device;
}

void set_device(int device) {
  cuda_check(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
}

int current_device() {
  int device = 0;
  cuda_check(cudaGetDevice(&device), "cudaGetDevice");
  return device;
}

void synchronize_device() {
  cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

std::string device_description(int device) {
  cudaDeviceProp prop{};
  cuda_check(cudaGetDeviceProperties(&prop, device),
             "cudaGetDeviceProperties(" + std::to_string(device) + ")");
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB",
                static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(prop.name) + ": " + std::to_string(prop.multiProcessorCount) + " SMs, " +
         memory + ", compute capability " + std::to_string(prop.major) + "." +
         std::to_string(prop.minor);
}

std::string cuda_runtime_version() {
  int version = 0;
  cuda_check(cudaRuntimeGetVersion(&version), "cudaRuntimeGetVersion");
  return cuda_version_text(version);
}

std::string cuda_driver_version() {
  int version = 0;
  cuda_check(cudaDriverGetVersion(&version), "cudaDriverGetVersion");
  return version == 0 ? "none" : cuda_version_text(version);
}

std::string nccl_version() {
  int version = 0;
  const ncclResult_t result = ncclGetVersion(&version);
  if (result != ncclSuccess) {
    throw NcclError(std::string("ncclGetVersion: ") + ncclGetErrorString(result));
  }
  // NCCL_VERSION(X, Y, Z) is X * 10000 + Y * 100 + Z since 2.9 (X * 1000 + Y * 100 + Z before).
  const int major = version >= 10000 ? version / 10000 : version / 1000;
  const int rest = version >= 10000 ? version % 10000 : version % 1000;
  return std::to_string(major) + "." + std::to_string(rest / 100) + "." +
         std::to_string(rest % 100);
}

}  // namespace fb::gpu
