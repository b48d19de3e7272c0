// Point-to-point transport interface: the only surface our collective algorithms use to
// move data. Implementations (UCX, MPI point-to-point, ...) are the only code that includes
// their library's headers.
//
// Matching rule: a message is matched by (source rank, tag). Messages with the same tag
// between the same pair of ranks are matched in the order they were posted, on both sides
// (MPI's non-overtaking rule; UCP tag matching per endpoint gives the same). Algorithms
// therefore use one tag per logical stream, namespaced by a per-call sequence number so
// two collective calls never match each other's messages. A transport may fold a tag to
// the bits its library offers (MPI: 30 bits); that is safe under the ordering rule.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fb {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using Tag = std::uint64_t;

// Reading the clock costs tens of nanoseconds: a polling loop looks at it once every this many
// passes that moved nothing (Transport::wait, and the collectives' Progress loop).
inline constexpr unsigned kPollsPerClockRead = 64;

// Tag for stream `channel` (0..255) of collective call `call_seq`.
constexpr Tag make_tag(std::uint64_t call_seq, std::uint32_t channel) {
  return (call_seq << 8) | (channel & 0xFFu);
}

struct TransportCapabilities {
  bool device_memory = false;  // accepts GPU buffers directly
  bool one_sided = false;      // RDMA read/write available
};

// Where the transport carries the job's traffic, as the transport itself found it, agreed by
// every rank (so every rank derives the same pipeline parameters from it). `network` when
// any pair of ranks goes over a network transport, `shared_memory` when every pair stays on
// this machine's memory, `unknown` when the transport cannot tell.
struct TransportPath {
  enum class Kind : std::uint8_t { unknown, shared_memory, network };
  Kind kind = Kind::unknown;
  bool tcp = false;    // some pair goes over TCP sockets
  std::string detail;  // in words, e.g. "tcp" or "posix, cma; eager protocol over tcp"
};

// A buffer made known to the transport. Released (deregistered) on destruction. A region
// may only be used with the transport that registered it; `native` is that transport's own
// handle for it (a UCX memh, for one), read on every operation without a cast.
class MemoryRegion {
 public:
  explicit MemoryRegion(std::span<std::byte> bytes, void* native = nullptr)
      : bytes_(bytes), native_(native) {}
  virtual ~MemoryRegion() = default;
  MemoryRegion(const MemoryRegion&) = delete;
  MemoryRegion& operator=(const MemoryRegion&) = delete;
  std::span<std::byte> bytes() const { return bytes_; }
  void* native() const { return native_; }

 protected:
  void set_native(void* native) { native_ = native; }

 private:
  std::span<std::byte> bytes_;
  void* native_;
};

// A range of device memory exported as a dma-buf (what ibv_reg_dmabuf_mr takes): the file
// descriptor, which the receiver closes, and the range's offset in it.
struct DmaBuf {
  int fd = -1;
  std::uint64_t offset = 0;
};
// Exports `bytes` of device memory as a dma-buf, or returns nullopt with the reason in `why`.
// The harness gives transports gpu/'s (transports/ include no CUDA header).
using DmaBufExporter = std::function<std::optional<DmaBuf>(std::span<std::byte>, std::string&)>;

enum class OpKind : std::uint8_t { none, send, recv };

// A posted operation. Small and copyable; `handle` is the transport's own.
struct Request {
  std::uintptr_t handle = 0;
  std::size_t bytes = 0;
  int peer = -1;
  OpKind kind = OpKind::none;
  bool done = true;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::string_view name() const = 0;
  virtual TransportCapabilities capabilities() const = 0;
  // Fixed once the transport is set up; the default: the transport cannot tell.
  virtual TransportPath path() const { return {}; }
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The data rate of the link this rank's traffic leaves on, in Gb/s, when the transport
  // knows it (an RDMA port does); the default: nullopt, unknown.
  virtual std::optional<double> line_rate_Gbps() const { return std::nullopt; }

  virtual std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) = 0;
  // GPU memory (capabilities().device_memory): registered as device memory, and sends and
  // receives in the region say so to the library. The default: the transport cannot
  // (TransportError naming it).
  virtual std::unique_ptr<MemoryRegion> register_device_memory(std::span<std::byte> bytes);
  // How device memory becomes a dma-buf, for a transport that registers it with the NIC
  // (verbs: GPUDirect RDMA). Set before register_device_memory; the default ignores it.
  virtual void set_dmabuf_exporter(const DmaBufExporter& exporter) { static_cast<void>(exporter); }

  // Non-blocking tagged send/receive of `bytes` bytes at `offset` in `region`.
  // A receive must be matched by a send of exactly the same length.
  virtual Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                        std::size_t bytes) = 0;
  virtual Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                        std::size_t bytes) = 0;

  // Advances outstanding operations once. Polling loops call it once per pass and then
  // test() the requests they care about, so one pass costs one progress call.
  virtual void progress() = 0;
  // True once `req` has completed (and marks it done). Does not itself drive progress.
  // Throws TransportError when the operation failed.
  virtual bool test(Request& req) = 0;

  // Blocks until `req` completes. Past `deadline`, throws TimeoutError naming the transport,
  // the peer and the operation.
  void wait(Request& req, Deadline deadline);
  void wait_all(std::span<Request> reqs, Deadline deadline);

  // What the transport knows about a stall, in words, read when a wait times out (device
  // events such as a port going down); empty when it knows nothing more.
  virtual std::string stall_detail() const { return {}; }

  // Throws TimeoutError for `req`; `during` says what the caller was doing; the transport's
  // stall_detail() is appended.
  [[noreturn]] void throw_timeout(const Request& req, std::string_view during = {}) const;

 protected:
  // The checks every isend and irecv make: throws TransportError (`op`: "send", "receive")
  // unless `peer` is a rank of the job and [offset, offset + bytes) lies inside `region`.
  void check_post(int peer, const MemoryRegion& region, std::size_t offset, std::size_t bytes,
                  const char* op) const;
};

}  // namespace fb
