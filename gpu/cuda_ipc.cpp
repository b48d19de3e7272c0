// CUDA IPC (gpu/cuda_ipc.hpp), built with CUDA; gpu/fallback.cpp otherwise.
#include "gpu/cuda_ipc.hpp"

#include <cuda.h>
#include <cuda_runtime.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "gpu/cuda_check.hpp"
#include "gpu/error.hpp"

namespace fb::gpu {

using detail::cuda_check;

namespace {

static_assert(sizeof(cudaIpcMemHandle_t) == sizeof(IpcHandle::bytes),
              "a CUDA IPC memory handle must fit IpcHandle");

std::string bus_id_of(int device) {
  char bus[32] = {};
  cuda_check(cudaDeviceGetPCIBusId(bus, sizeof bus, device), "cudaDeviceGetPCIBusId");
  return bus;
}

// The start of the CUDA allocation holding `ptr` (cuMemGetAddressRange through the runtime,
// so nothing links libcuda).
CUdeviceptr allocation_base(const void* ptr, std::size_t bytes) {
  using GetRange = CUresult (*)(CUdeviceptr*, std::size_t*, CUdeviceptr);
  void* get_range = nullptr;
  cudaDriverEntryPointQueryResult found{};
  if (cudaGetDriverEntryPointByVersion("cuMemGetAddressRange", &get_range, 12000, cudaEnableDefault,
                                       &found) != cudaSuccess ||
      found != cudaDriverEntryPointSuccess) {
    static_cast<void>(cudaGetLastError());
    throw CudaError("the CUDA driver has no cuMemGetAddressRange");
  }
  CUdeviceptr base = 0;
  std::size_t size = 0;
  const auto p = static_cast<CUdeviceptr>(reinterpret_cast<std::uintptr_t>(ptr));
  if (reinterpret_cast<GetRange>(get_range)(&base, &size, p) != CUDA_SUCCESS ||
      p + bytes > base + size) {
    throw CudaError("not inside one CUDA device allocation (cuMemGetAddressRange)");
  }
  return base;
}

class CudaIpc final : public DeviceIpc {
 public:
  CudaIpc() {
    cuda_check(cudaGetDevice(&device_), "cudaGetDevice");
    bus_ = bus_id_of(device_);
    cuda_check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
               "cudaStreamCreateWithFlags");
  }
  ~CudaIpc() override {
    static_cast<void>(cudaStreamSynchronize(stream_));
    for (auto* event : free_)
      static_cast<void>(cudaEventDestroy(event));
    for (const auto& [ticket, event] : pending_)
      static_cast<void>(cudaEventDestroy(event));
    static_cast<void>(cudaStreamDestroy(stream_));
  }
  CudaIpc(const CudaIpc&) = delete;
  CudaIpc& operator=(const CudaIpc&) = delete;

  std::string_view name() const override { return "cuda-ipc"; }

  std::string location() const override { return "cuda" + std::to_string(device_) + " " + bus_; }

  std::optional<std::string> unreachable(const std::string& peer_location) const override {
    const auto space = peer_location.rfind(' ');
    const std::string bus =
        space == std::string::npos ? peer_location : peer_location.substr(space + 1);
    if (bus == bus_) return std::nullopt;  // the same GPU: IPC maps it in every process
    int other = -1;
    if (cudaDeviceGetByPCIBusId(&other, bus.c_str()) != cudaSuccess) {
      // Not visible here: cudaIpcOpenMemHandle may still map it, and says so when not.
      static_cast<void>(cudaGetLastError());
      return std::nullopt;
    }
    int can = 0;
    cuda_check(cudaDeviceCanAccessPeer(&can, device_, other), "cudaDeviceCanAccessPeer");
    if (can != 0) return std::nullopt;
    return "no peer access between cuda" + std::to_string(device_) + " (pci " + bus_ +
           ") and cuda" + std::to_string(other) + " (pci " + bus +
           "), so CUDA IPC cannot map one's memory on the other";
  }

  IpcExport export_range(std::span<std::byte> bytes) override {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, bytes.data()) != cudaSuccess ||
        attributes.type != cudaMemoryTypeDevice) {
      static_cast<void>(cudaGetLastError());
      throw CudaError(
          "the memory is not from cudaMalloc (CUDA IPC exports device allocations only; "
          "managed and host memory cannot be shared this way)");
    }
    const CUdeviceptr base = allocation_base(bytes.data(), bytes.size());
    const auto offset = reinterpret_cast<std::uintptr_t>(bytes.data()) - base;
    cudaIpcMemHandle_t handle{};
    cuda_check(cudaIpcGetMemHandle(&handle, bytes.data() - offset), "cudaIpcGetMemHandle");
    IpcExport exported;
    std::memcpy(exported.handle.bytes.data(), &handle, sizeof handle);
    exported.offset = offset;
    return exported;
  }

  std::byte* open(const IpcHandle& handle) override {
    cudaIpcMemHandle_t h{};
    std::memcpy(&h, handle.bytes.data(), sizeof h);
    void* base = nullptr;
    cuda_check(cudaIpcOpenMemHandle(&base, h, cudaIpcMemLazyEnablePeerAccess),
               "cudaIpcOpenMemHandle on cuda" + std::to_string(device_));
    return static_cast<std::byte*>(base);
  }

  void close(std::byte* base) override { static_cast<void>(cudaIpcCloseMemHandle(base)); }

  std::uint64_t copy(std::byte* dst, const std::byte* src, std::size_t bytes) override {
    cuda_check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_),
               "cudaMemcpyAsync(device to device, " + std::to_string(bytes) + " bytes)");
    cudaEvent_t event = nullptr;
    if (free_.empty()) {
      cuda_check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
    } else {
      event = free_.back();
      free_.pop_back();
    }
    cuda_check(cudaEventRecord(event, stream_), "cudaEventRecord");
    const auto ticket = next_++;
    pending_.emplace(ticket, event);
    return ticket;
  }

  bool done(std::uint64_t ticket) override {
    const auto it = pending_.find(ticket);
    if (it == pending_.end()) return true;
    const cudaError_t state = cudaEventQuery(it->second);
    if (state == cudaErrorNotReady) return false;
    free_.push_back(it->second);
    pending_.erase(it);
    cuda_check(state, "the IPC copy (cudaEventQuery)");
    return true;
  }

 private:
  int device_ = 0;
  std::string bus_;
  cudaStream_t stream_ = nullptr;
  std::vector<cudaEvent_t> free_;
  std::map<std::uint64_t, cudaEvent_t> pending_;
  std::uint64_t next_ = 1;
};

}  // namespace

std::unique_ptr<DeviceIpc> make_cuda_ipc() {
  return std::make_unique<CudaIpc>();
}

}  // namespace fb::gpu
