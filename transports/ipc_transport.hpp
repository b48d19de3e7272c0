// The local IPC path: device memory between the ranks of one host moves by the GPUs' own
// copies (CUDA IPC, through the DeviceIpc interface of core/device_ipc.hpp), everything else
// by the transport it wraps. A send from device memory to a local rank exports the
// allocation the bytes lie in and posts {tag, length, handle, offset} in the receiver's
// shared-memory mailbox (transports/shm_mailbox.hpp); the receiver matches it to a posted
// receive by (source, tag) in order, opens the handle (once per allocation, kept open),
// copies the bytes into its own memory with an asynchronous device copy and, once that copy
// is complete, acks; the send completes on the ack, so the sender may reuse its memory.
//
// Which path a message takes follows from the region and the peer, identically on both
// sides: a region from register_device_memory() to a local rank takes the IPC path; device
// memory to another host and host memory take the wrapped transport's. A send from device
// memory to a local rank must therefore be received into device memory (the algorithms do:
// a call's buffers and scratch are all of one kind).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "core/device_ipc.hpp"
#include "transports/matcher.hpp"
#include "transports/shm_mailbox.hpp"
#include "transports/transport.hpp"

namespace fb {

class IpcTransport final : public Transport {
 public:
  // How many peer allocations stay open at most; the least recently used one that no copy
  // is reading is closed beyond that.
  static constexpr std::size_t kOpenLimit = 64;

  // Collective over `bootstrap` (the job `inner` runs on). `local[r]`: rank r shares this
  // host with this rank (same_machine() by default). Each rank learns whether it can open
  // its local peers' memory (DeviceIpc::unreachable); when some cannot, device memory is
  // refused with that reason. Throws std::runtime_error on every rank when the mailboxes
  // cannot be set up.
  IpcTransport(Transport& inner, Bootstrap& bootstrap, DeviceIpc& ipc, std::vector<bool> local);
  // Which ranks run on this rank's machine (their kernel boot ids match).
  static std::vector<bool> same_machine(Bootstrap& bootstrap);
  ~IpcTransport() override;

  std::string_view name() const override { return inner_.name(); }
  TransportCapabilities capabilities() const override;
  TransportPath path() const override;
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::optional<double> line_rate_Gbps() const override { return inner_.line_rate_Gbps(); }

  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override {
    return inner_.register_memory(bytes);
  }
  std::unique_ptr<MemoryRegion> register_device_memory(std::span<std::byte> bytes) override;
  void set_dmabuf_exporter(const DmaBufExporter& exporter) override {
    inner_.set_dmabuf_exporter(exporter);
  }

  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  void progress() override;
  bool test(Request& req) override;
  std::string stall_detail() const override;

  // Peer allocations opened so far (each once), for tests of the cache.
  std::uint64_t opens() const { return opens_; }

 private:
  class Region;
  struct Send {
    int peer = -1;
    bool done = false;
    std::string error;
  };
  struct Recv {
    int peer = -1;
    Tag tag = 0;
    std::byte* dst = nullptr;
    std::size_t bytes = 0;
    std::optional<std::uint64_t> ticket;  // the copy, once started
    const IpcHandle* source = nullptr;    // the open allocation it reads, while copying
    std::uint64_t sender_id = 0;
    bool done = false;
    std::string error;
  };
  struct Opened {
    std::byte* base = nullptr;
    std::uint64_t last_use = 0;
    int copying = 0;
  };
  struct HandleLess {
    bool operator()(const IpcHandle& a, const IpcHandle& b) const { return a.bytes < b.bytes; }
  };

  bool ours(const Request& req) const { return (req.handle & kOurs) != 0; }
  void deliver(int sender, const MailMessage& message);
  void start(std::uint64_t recv_id, Recv& recv, int sender, const MailMessage& message);
  // Acks the receive's message; the receive is done once the ack is in the sender's ring
  // (not while it waits in outbound_: a rank whose receives are all done may stop calling
  // progress(), and its sender must still learn that its bytes were taken).
  void finish(std::uint64_t recv_id, Recv& recv, std::uint32_t status);
  // True when the message went out now; false when it waits in outbound_ behind others.
  bool post(int peer, const MailMessage& message);
  std::byte* open(const IpcHandle& handle);
  void release(const IpcHandle* handle);

  static constexpr std::uintptr_t kOurs = std::uintptr_t{1} << (sizeof(std::uintptr_t) * 8 - 1);

  Transport& inner_;
  DeviceIpc& ipc_;
  std::vector<bool> local_;
  int local_peers_ = 0;
  bool remote_peers_ = false;
  std::string refusal_;  // why device memory cannot take this path ("" when it can)
  std::unique_ptr<ShmMailboxes> mailboxes_;
  Matcher matcher_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Send> sends_;
  std::map<std::uint64_t, Recv> recvs_;
  std::map<std::uint64_t, std::pair<int, MailMessage>> unexpected_;  // by message id
  std::vector<std::uint64_t> copying_;                               // receives with a copy
  struct Outbound {
    int peer = -1;
    MailMessage message;
    std::uint64_t recv_id = 0;  // the receive an ack completes once posted (0: none)
  };
  std::deque<Outbound> outbound_;    // waiting for room in a full ring, in order
  std::deque<MailMessage> to_self_;  // messages this rank sent itself
  std::map<std::uint64_t, const std::byte*> self_sources_;  // their bytes, by message id
  std::map<IpcHandle, Opened, HandleLess> opened_;
  // Operations posted on the wrapped transport and not yet seen complete: progress() drives
  // it only while there are some (the loopback of the tests waits in its progress()).
  std::uint64_t inner_outstanding_ = 0;
  std::uint64_t uses_ = 0;
  std::uint64_t opens_ = 0;
};

}  // namespace fb
