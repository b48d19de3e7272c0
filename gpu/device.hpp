// RAII owners of CUDA resources (device and pinned host memory, streams, events) and copies.
// Plain C++: no CUDA header is included, so harness code compiled by the host compiler can use
// these whether or not CUDA is built. StreamHandle and EventHandle are the types cudaStream_t
// and cudaEvent_t name (pointers to the runtime's opaque structs), so a cudaStream_t converts
// to a StreamHandle and back without a cast; nullptr is the legacy default stream.
//
// Every CUDA error becomes a CudaError naming the call. Memory is allocated on the device
// that is current for the calling thread (set_device in gpu/cuda_env.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

struct CUstream_st;
struct CUevent_st;

namespace fb::gpu {

using StreamHandle = CUstream_st*;
using EventHandle = CUevent_st*;

// cudaMalloc'd memory on the current device. Zero bytes is allowed (data() is nullptr).
// Where a DeviceBuffer lives: device memory (cudaMalloc), or managed memory
// (cudaMallocManaged), which the host can read and write as well, so that a host transport
// (the in-process test world's loopback) can move it.
enum class DeviceMemory : unsigned char { device, managed };

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes, DeviceMemory kind = DeviceMemory::device);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  std::size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// Pins existing host memory (cudaHostRegister) for the object's lifetime, so copies between
// it and device memory are true DMA: how the harness turns its transport-registered host
// buffers into staging buffers for device memory. Zero bytes registers nothing.
class HostRegistration {
 public:
  HostRegistration() = default;
  HostRegistration(void* data, std::size_t bytes);
  ~HostRegistration();
  HostRegistration(const HostRegistration&) = delete;
  HostRegistration& operator=(const HostRegistration&) = delete;

 private:
  void* data_ = nullptr;
};

// Page-locked host memory (cudaMallocHost), so copies to and from it are true DMA and can run
// asynchronously on a stream.
class PinnedHostBuffer {
 public:
  PinnedHostBuffer() = default;
  explicit PinnedHostBuffer(std::size_t bytes);
  ~PinnedHostBuffer();
  PinnedHostBuffer(PinnedHostBuffer&& other) noexcept;
  PinnedHostBuffer& operator=(PinnedHostBuffer&& other) noexcept;
  PinnedHostBuffer(const PinnedHostBuffer&) = delete;
  PinnedHostBuffer& operator=(const PinnedHostBuffer&) = delete;

  void* data() const { return data_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  std::size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// A stream that does not synchronise with the legacy default stream
// (cudaStreamNonBlocking), on the current device.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // nullptr after a move: do not launch on a moved-from Stream (nullptr is the default stream).
  StreamHandle handle() const { return stream_; }
  void synchronize() const;
  // True when all work launched so far has finished (cudaStreamQuery).
  bool done() const;

 private:
  StreamHandle stream_ = nullptr;
};

// An event for timing (cudaEventDefault) or, with timing = false, only for ordering.
class Event {
 public:
  explicit Event(bool timing = true);
  ~Event();
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  EventHandle handle() const { return event_; }
  void record(StreamHandle stream);
  void synchronize() const;
  bool done() const;

 private:
  EventHandle event_ = nullptr;
};

// Milliseconds between two recorded, completed timing events (cudaEventElapsedTime; about
// 0.5 us resolution).
double elapsed_ms(const Event& start, const Event& stop);

// Copies. The synchronous ones return when the copy is done (cudaMemcpy, then the default
// stream is synchronised, since cudaMemcpy alone may return before a copy from pageable or
// between device memory has landed); they run on the legacy default stream, which does not
// wait for work on a Stream (non-blocking): synchronize that first.
// The asynchronous ones are ordered on `stream`; with pageable host memory CUDA may make
// them synchronous. Zero bytes does nothing.
void memcpy_h2d(void* dst, const void* src, std::size_t bytes);
void memcpy_d2h(void* dst, const void* src, std::size_t bytes);
void memcpy_d2d(void* dst, const void* src, std::size_t bytes);
void memcpy_h2d_async(void* dst, const void* src, std::size_t bytes, StreamHandle stream);
void memcpy_d2h_async(void* dst, const void* src, std::size_t bytes, StreamHandle stream);
void memcpy_d2d_async(void* dst, const void* src, std::size_t bytes, StreamHandle stream);
// Sets `bytes` bytes of device memory to `value` (cudaMemset, returning when done, and
// cudaMemsetAsync).
void memset_device(void* dst, unsigned char value, std::size_t bytes);
void memset_device_async(void* dst, unsigned char value, std::size_t bytes, StreamHandle stream);

// Holds `stream` until `release()` returns true, polled every millisecond on CUDA's host
// callback thread (cudaLaunchHostFunc): work queued behind it waits, as behind a peer that
// never arrives. For the tests of timeouts and aborts on one GPU.
void hold_stream(StreamHandle stream, std::function<bool()> release);

// The CUDA allocation holding [data, data + bytes) exported as a dma-buf, for GPUDirect RDMA
// (ibv_reg_dmabuf_mr): `fd` (the caller closes it) and the offset of `data` in it. The whole
// allocation is exported (cuMemGetAddressRange, then cuMemGetHandleForAddressRange), since
// the driver wants a page-aligned range inside one allocation. nullopt, with the reason in
// `why`, when the driver cannot: no dma-buf support (a driver older than CUDA 11.7's, or a
// kernel module without it), memory that is not from cudaMalloc, or no CUDA at all. The
// driver functions are looked up through the runtime (cudaGetDriverEntryPointByVersion), so
// nothing links libcuda.
struct DmaBufExport {
  int fd = -1;
  std::uint64_t offset = 0;
};
std::optional<DmaBufExport> export_dmabuf(const void* data, std::size_t bytes, std::string& why);

}  // namespace fb::gpu
