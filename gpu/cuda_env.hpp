// Is CUDA here, and what is it: the build-time switch, the run-time probe, device choice and
// versions for the provenance record.
//
//   compile time:  FB_HAVE_CUDA (1 or 0), a compile definition of every target linked to
//                  fb_gpu; kBuiltWithCuda is the same as a constexpr bool.
//   run time:      cuda_availability().available, with a one-line reason when not.
//
// In a build without CUDA every function here except cuda_availability() throws
// CudaError("built without CUDA support").
#pragma once

#include <optional>
#include <string>

#ifndef FB_HAVE_CUDA
#error "FB_HAVE_CUDA is not defined: link this target to fb_gpu"
#endif

namespace fb::gpu {

inline constexpr bool kBuiltWithCuda = FB_HAVE_CUDA != 0;

struct CudaAvailability {
  bool available = false;
  // Empty when available; otherwise why not, in one line: "built without CUDA support",
  // "no CUDA device: cudaGetDeviceCount: no CUDA-capable device is detected", ...
  std::string reason;
  int device_count = 0;
};

// Never throws and never aborts, with or without a driver or a device.
CudaAvailability cuda_availability();

// The device a rank uses when every rank on a host uses one: local_rank % device count.
// Throws std::invalid_argument for a negative local rank, CudaError when there is no device.
int device_for_local_rank(int local_rank);
// The CUDA device at PCI bus id `bus_id` ("0000:3b:00.0", as hwloc names it), or nullopt
// when no visible device sits there (CUDA_VISIBLE_DEVICES may hide it).
std::optional<int> device_for_pci_bus_id(const std::string& bus_id);

// Makes `device` current for the calling thread (cudaSetDevice), and the current device.
void set_device(int device);
int current_device();
// Waits for all work on the current device (cudaDeviceSynchronize).
void synchronize_device();

// "NVIDIA H100 80GB HBM3: 132 SMs, 79.1 GiB, compute capability 9.0".
std::string device_description(int device);

// "13.0": the CUDA runtime linked in.
std::string cuda_runtime_version();
// "12.8": the CUDA version the installed driver supports; "none" when there is no driver.
std::string cuda_driver_version();
// "2.28.9": the NCCL library loaded (ncclGetVersion), not the header compiled against.
std::string nccl_version();

}  // namespace fb::gpu
