// RAII CUDA resources and copies (built with CUDA; gpu/fallback.cpp otherwise).
#include "gpu/device.hpp"

#include <cuda.h>
#include <cuda_runtime.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "gpu/cuda_check.hpp"

namespace fb::gpu {

using detail::cuda_check;

namespace {

// "cudaMalloc(4096 bytes)".
std::string call_text(const char* call, std::size_t bytes) {
  return std::string(call) + "(" + std::to_string(bytes) + " bytes)";
}

}  // namespace

// ---- DeviceBuffer ----

DeviceBuffer::DeviceBuffer(std::size_t bytes, DeviceMemory kind) : bytes_(bytes) {
  if (bytes == 0) return;
  if (kind == DeviceMemory::managed) {
    cuda_check(cudaMallocManaged(&data_, bytes), call_text("cudaMallocManaged", bytes));
  } else {
    cuda_check(cudaMalloc(&data_, bytes), call_text("cudaMalloc", bytes));
  }
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr) static_cast<void>(cudaFree(data_));  // a destructor cannot report
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) static_cast<void>(cudaFree(data_));
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

// ---- HostRegistration ----

HostRegistration::HostRegistration(void* data, std::size_t bytes) {
  if (data == nullptr || bytes == 0) return;
  cuda_check(cudaHostRegister(data, bytes, cudaHostRegisterDefault),
             call_text("cudaHostRegister", bytes));
  data_ = data;
}

HostRegistration::~HostRegistration() {
  if (data_ != nullptr) static_cast<void>(cudaHostUnregister(data_));
}

// ---- PinnedHostBuffer ----

PinnedHostBuffer::PinnedHostBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  cuda_check(cudaMallocHost(&data_, bytes), call_text("cudaMallocHost", bytes));
}

PinnedHostBuffer::~PinnedHostBuffer() {
  if (data_ != nullptr) static_cast<void>(cudaFreeHost(data_));
}

PinnedHostBuffer::PinnedHostBuffer(PinnedHostBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PinnedHostBuffer& PinnedHostBuffer::operator=(PinnedHostBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) static_cast<void>(cudaFreeHost(data_));
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

// ---- Stream ----

Stream::Stream() {
  cuda_check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
             "cudaStreamCreateWithFlags");
}

Stream::~Stream() {
  if (stream_ != nullptr) static_cast<void>(cudaStreamDestroy(stream_));
}

Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (stream_ != nullptr) static_cast<void>(cudaStreamDestroy(stream_));
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void Stream::synchronize() const {
  cuda_check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

bool Stream::done() const {
  const cudaError_t state = cudaStreamQuery(stream_);
  if (state == cudaErrorNotReady) return false;
  cuda_check(state, "cudaStreamQuery");
  return true;
}

// ---- Event ----

Event::Event(bool timing) {
  cuda_check(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming),
             "cudaEventCreateWithFlags");
}

Event::~Event() {
  if (event_ != nullptr) static_cast<void>(cudaEventDestroy(event_));
}

Event::Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    if (event_ != nullptr) static_cast<void>(cudaEventDestroy(event_));
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

void Event::record(StreamHandle stream) {
  cuda_check(cudaEventRecord(event_, stream), "cudaEventRecord");
}

void Event::synchronize() const {
  cuda_check(cudaEventSynchronize(event_), "cudaEventSynchronize");
}

bool Event::done() const {
  const cudaError_t state = cudaEventQuery(event_);
  if (state == cudaErrorNotReady) return false;
  cuda_check(state, "cudaEventQuery");
  return true;
}

double elapsed_ms(const Event& start, const Event& stop) {
  float ms = 0;
  cuda_check(cudaEventElapsedTime(&ms, start.handle(), stop.handle()), "cudaEventElapsedTime");
  return ms;
}

// ---- Copies ----

namespace {

// "cudaMemcpy(HostToDevice, 4096 bytes)".
std::string copy_text(const char* call, const char* direction, std::size_t bytes) {
  return std::string(call) + "(" + direction + ", " + std::to_string(bytes) + " bytes)";
}

// cudaMemcpy may return before a copy from pageable memory or between device buffers has
// landed; the default stream's synchronisation makes "synchronous" mean done.
void copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
          const char* direction) {
  if (bytes == 0) return;
  cuda_check(cudaMemcpy(dst, src, bytes, kind), copy_text("cudaMemcpy", direction, bytes));
  cuda_check(cudaStreamSynchronize(nullptr), "cudaStreamSynchronize after cudaMemcpy");
}

void copy_async(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                StreamHandle stream, const char* direction) {
  if (bytes == 0) return;
  cuda_check(cudaMemcpyAsync(dst, src, bytes, kind, stream),
             copy_text("cudaMemcpyAsync", direction, bytes));
}

}  // namespace

void memcpy_h2d(void* dst, const void* src, std::size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyHostToDevice, "HostToDevice");
}

void memcpy_d2h(void* dst, const void* src, std::size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyDeviceToHost, "DeviceToHost");
}

void memcpy_d2d(void* dst, const void* src, std::size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyDeviceToDevice, "DeviceToDevice");
}

void memcpy_h2d_async(void* dst, const void* src, std::size_t bytes, StreamHandle stream) {
  copy_async(dst, src, bytes, cudaMemcpyHostToDevice, stream, "HostToDevice");
}

void memcpy_d2h_async(void* dst, const void* src, std::size_t bytes, StreamHandle stream) {
  copy_async(dst, src, bytes, cudaMemcpyDeviceToHost, stream, "DeviceToHost");
}

void memcpy_d2d_async(void* dst, const void* src, std::size_t bytes, StreamHandle stream) {
  copy_async(dst, src, bytes, cudaMemcpyDeviceToDevice, stream, "DeviceToDevice");
}

void memset_device(void* dst, unsigned char value, std::size_t bytes) {
  if (bytes == 0) return;
  cuda_check(cudaMemset(dst, value, bytes), call_text("cudaMemset", bytes));
  // cudaMemset of device memory returns before it is done.
  cuda_check(cudaStreamSynchronize(nullptr), "cudaStreamSynchronize after cudaMemset");
}

void memset_device_async(void* dst, unsigned char value, std::size_t bytes, StreamHandle stream) {
  if (bytes == 0) return;
  cuda_check(cudaMemsetAsync(dst, value, bytes, stream), call_text("cudaMemsetAsync", bytes));
}

void hold_stream(StreamHandle stream, std::function<bool()> release) {
  auto held = std::make_unique<std::function<bool()>>(std::move(release));
  cuda_check(cudaLaunchHostFunc(
                 stream,
                 [](void* p) {
                   // The callback owns what it was given once it runs.
                   const std::unique_ptr<std::function<bool()>> until(
                       static_cast<std::function<bool()>*>(p));
                   while (!(*until)())
                     std::this_thread::sleep_for(std::chrono::milliseconds(1));
                 },
                 held.get()),
             "cudaLaunchHostFunc");
  static_cast<void>(held.release());  // queued: the callback deletes it
}

std::optional<DmaBufExport> export_dmabuf(const void* data, std::size_t bytes, std::string& why) {
  using GetRange = CUresult (*)(CUdeviceptr*, std::size_t*, CUdeviceptr);
  using GetHandle =
      CUresult (*)(void*, CUdeviceptr, std::size_t, CUmemRangeHandleType, unsigned long long);
  void* get_range = nullptr;
  void* get_handle = nullptr;
  cudaDriverEntryPointQueryResult found{};
  if (cudaGetDriverEntryPointByVersion("cuMemGetAddressRange", &get_range, 12000, cudaEnableDefault,
                                       &found) != cudaSuccess ||
      found != cudaDriverEntryPointSuccess ||
      cudaGetDriverEntryPointByVersion("cuMemGetHandleForAddressRange", &get_handle, 12000,
                                       cudaEnableDefault, &found) != cudaSuccess ||
      found != cudaDriverEntryPointSuccess) {
    static_cast<void>(cudaGetLastError());
    why = "the CUDA driver has no cuMemGetHandleForAddressRange (dma-buf needs CUDA 11.7+)";
    return std::nullopt;
  }
  CUdeviceptr base = 0;
  std::size_t size = 0;
  const auto ptr = static_cast<CUdeviceptr>(reinterpret_cast<std::uintptr_t>(data));
  if (reinterpret_cast<GetRange>(get_range)(&base, &size, ptr) != CUDA_SUCCESS ||
      ptr + bytes > base + size) {
    why = "not a CUDA device allocation (cuMemGetAddressRange)";
    return std::nullopt;
  }
  int fd = -1;
  const CUresult rc = reinterpret_cast<GetHandle>(get_handle)(
      &fd, base, size, CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD, 0);
  if (rc != CUDA_SUCCESS) {
    why = "cuMemGetHandleForAddressRange(DMA_BUF_FD) failed with CUresult " + std::to_string(rc) +
          " (the kernel module may lack dma-buf support)";
    return std::nullopt;
  }
  return DmaBufExport{fd, ptr - base};
}

}  // namespace fb::gpu
