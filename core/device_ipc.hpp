// Device memory shared between the processes of one host (CUDA IPC in gpu/cuda_ipc.hpp): the
// interface the local IPC path of transports/ipc_transport.hpp moves data with, so that the
// transports include no CUDA header and the tests can run the path on host memory.
//
// The protocol the path builds on it: the sender exports the allocation its bytes lie in
// (a handle and the bytes' offset in it) and sends that handle, not the bytes; the receiver
// opens the handle (once per allocation, cached), copies from the sender's memory into its
// own with an asynchronous copy, and tells the sender when the copy is complete.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fb {

// An exported allocation, opaque to everything but the implementation (a CUDA IPC memory
// handle is 64 bytes).
struct IpcHandle {
  std::array<std::byte, 64> bytes{};
  bool operator==(const IpcHandle&) const = default;
};

struct IpcExport {
  IpcHandle handle;
  std::uint64_t offset = 0;  // of the exported bytes in the handle's allocation
};

class DeviceIpc {
 public:
  virtual ~DeviceIpc() = default;
  DeviceIpc() = default;
  DeviceIpc(const DeviceIpc&) = delete;
  DeviceIpc& operator=(const DeviceIpc&) = delete;

  // What moves the data, in words ("cuda-ipc"), for the transport's path and its errors.
  virtual std::string_view name() const = 0;
  // Where this process's memory lives ("cuda0 pci 0000:18:00.0"), exchanged with the local
  // peers so that each can say whether it reaches the other's.
  virtual std::string location() const = 0;
  // Why this process cannot open memory of a peer at `peer_location`, in one line; nullopt
  // when it can.
  virtual std::optional<std::string> unreachable(const std::string& peer_location) const = 0;

  // The allocation `bytes` lie in, exported. Throws std::runtime_error (one line) when the
  // memory cannot be shared (not a device allocation, or one that IPC cannot export).
  virtual IpcExport export_range(std::span<std::byte> bytes) = 0;
  // Maps a peer's exported allocation into this process: its base address here. Throws
  // std::runtime_error (one line) when it cannot. The caller caches what it opened.
  virtual std::byte* open(const IpcHandle& handle) = 0;
  virtual void close(std::byte* base) = 0;

  // Starts a copy of `bytes` bytes (asynchronous, in issue order) and returns a ticket for it.
  virtual std::uint64_t copy(std::byte* dst, const std::byte* src, std::size_t bytes) = 0;
  // True once the copy of `ticket` is complete and its bytes are in memory. Throws
  // std::runtime_error when the copy failed.
  virtual bool done(std::uint64_t ticket) = 0;
};

}  // namespace fb
