// Raw libibverbs transport: RC queue pairs to every peer, connected perftest-style
// (connection info exchanged through the bootstrap, INIT -> RTR -> RTS), tagged messages
// on top (protocol in verbs_protocol.hpp), one completion queue polled in progress() and,
// where the device has them, one shared receive queue for every peer's eager messages.
// Messages to this rank itself are copied locally. Settings: verbs_options.hpp, taken from
// FB_VERBS_OPTIONS by the registry's factory.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bootstrap.hpp"
#include "transports/local_placement.hpp"
#include "transports/matcher.hpp"
#include "transports/transport.hpp"
#include "transports/verbs/registration_cache.hpp"
#include "transports/verbs/send_queue_accounting.hpp"
#include "transports/verbs/verbs_connection.hpp"
#include "transports/verbs/verbs_options.hpp"
#include "transports/verbs/verbs_protocol.hpp"
#include "transports/verbs/verbs_resources.hpp"

namespace fb {

class VerbsTransport final : public Transport {
 public:
  VerbsTransport(Bootstrap& bootstrap, const VerbsOptions& options);
  ~VerbsTransport() override;
  VerbsTransport(const VerbsTransport&) = delete;
  VerbsTransport& operator=(const VerbsTransport&) = delete;

  std::string_view name() const override { return "verbs"; }
  // Device memory once a dma-buf exporter is set (GPUDirect RDMA; register_device_memory says
  // why not when neither dma-buf nor nvidia-peermem works).
  TransportCapabilities capabilities() const override {
    return {static_cast<bool>(dmabuf_exporter_), true};
  }
  TransportPath path() const override { return path_; }
  std::string stall_detail() const override;
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override;
  // GPUDirect RDMA: the memory as a dma-buf (ibv_reg_dmabuf_mr, iova = its address), else
  // ibv_reg_mr on the device pointer (which works where nvidia-peermem is loaded).
  std::unique_ptr<MemoryRegion> register_device_memory(std::span<std::byte> bytes) override;
  void set_dmabuf_exporter(const DmaBufExporter& exporter) override { dmabuf_exporter_ = exporter; }
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  void progress() override;
  bool test(Request& req) override;

  // What the device granted, for provenance.
  const std::string& device() const { return port_.device; }
  int port() const { return port_.port; }
  std::size_t inline_limit_bytes() const { return inline_limit_; }
  bool uses_shared_receive_queue() const { return static_cast<bool>(srq_); }
  // The port's data rate (verbs_line_rate.hpp); nullopt for a code not in the table.
  std::optional<double> line_rate_Gbps() const override;

 private:
  DmaBufExporter dmabuf_exporter_;
  using WireHeader = verbs_protocol::WireHeader;

  // The state behind one Request (its handle is the slot index + 1).
  struct Slot {
    OpKind kind = OpKind::none;
    int peer = -1;
    Tag tag = 0;
    std::byte* data = nullptr;
    std::size_t bytes = 0;
    std::uint32_t lkey = 0;
    std::uint32_t rkey = 0;
    bool done = false;
    std::string error;  // set with done when the operation failed
  };

  // A send work request, kept in a channel's backlog while its send queue is full.
  struct SendWork {
    ibv_wr_opcode opcode = IBV_WR_SEND;
    std::optional<WireHeader> header;  // sent first, from the registered header ring
    std::byte* data = nullptr;         // payload (local)
    std::size_t bytes = 0;
    std::uint32_t lkey = 0;
    std::uint64_t remote_address = 0;  // RDMA writes
    std::uint32_t rkey = 0;
    std::uint32_t immediate = 0;
    std::optional<std::uint32_t> completes_slot;  // a user send done when this WR is
    const char* operation = "send";               // for error messages
    bool signal = false;                          // always ask for a completion
  };

  // One RC queue pair to a peer and its send-side state.
  struct Channel {
    Channel(int peer_rank, std::uint32_t tx_depth, std::uint32_t moderation)
        : peer(peer_rank), queue(tx_depth, moderation), operations(tx_depth, "send") {}
    int peer;
    VerbsQp qp;
    SendQueueAccounting queue;
    std::deque<SendWork> backlog;
    std::deque<std::pair<std::uint64_t, std::uint32_t>> waiting;  // (sequence, slot)
    std::vector<const char*> operations;  // per ring entry, for error completions
    bool active = false;                  // listed in active_channels_
  };

  // An arrived message no receive was posted for yet.
  struct Unexpected {
    verbs_protocol::WireType type = verbs_protocol::WireType::eager;
    std::vector<std::byte> payload;  // eager
    std::uint64_t length = 0;
    std::uint32_t sender_slot = 0;  // rts
  };

  // Setup (verbs_transport.cpp).
  void choose_gid();
  void describe_path();
  void create_resources();
  void create_receive_queue(const ibv_device_attr& device_attr);
  ibv_qp* create_qp(ibv_qp_init_attr& init, int peer);
  VerbsConnectionInfo local_connection_info() const;
  void connect(const std::vector<std::vector<std::byte>>& blobs);
  void post_receive(std::uint64_t buffer_index);
  void check_args(int peer, const MemoryRegion& region, std::size_t offset, std::size_t bytes,
                  const char* operation) const;

  // Requests and matching (verbs_messaging.cpp).
  std::uint32_t allocate_slot(OpKind kind, int peer, Tag tag, const MemoryRegion& region,
                              std::size_t offset, std::size_t bytes);
  void complete(std::uint32_t slot, std::string error = {});
  void deliver_eager(std::uint32_t slot, std::span<const std::byte> payload);
  void answer_rts(std::uint32_t slot, std::uint64_t length, std::uint32_t sender_slot);
  void send_to_self(std::uint32_t slot);
  std::uint32_t channel_index(int peer, Tag tag) const;

  // Posting and completions (verbs_progress.cpp).
  void queue_send(std::uint32_t channel, const SendWork& work);
  void post_send(std::uint32_t channel, const SendWork& work);
  void handle_completion(const ibv_wc& completion);
  [[noreturn]] void report_error(std::vector<ibv_wc> seen);
  void handle_receive(const ibv_wc& completion, std::uint64_t buffer_index);
  void handle_message(int peer, const WireHeader& header, std::span<const std::byte> payload);
  void handle_cts(int peer, const WireHeader& header);
  void service_channels();
  int receive_peer(const ibv_wc& completion, std::uint64_t buffer_index) const;
  // Bytes of the last write of a rendezvous message of `bytes` to or from `peer`.
  std::uint64_t last_write_bytes(std::uint64_t bytes, int peer) const;
  // Device events (port down, QP fatal, CQ error, ...) read from the async queue so far, in
  // words; reads what is pending first. Empty when there were none.
  std::string device_events() const;

  Bootstrap& bootstrap_;
  VerbsOptions options_;
  int rank_;
  int size_;
  std::uint32_t lanes_;  // queue pairs per peer

  // Declared in creation order so they are destroyed children-first. The domain (device,
  // PD, registrations) is shared with the regions handed out, so it outlives them.
  LocalPlacement placement_;
  std::shared_ptr<VerbsDomain> domain_;
  VerbsPort& port_;
  VerbsCq cq_;
  std::vector<WireHeader> header_ring_;  // per channel, tx_depth headers being sent
  VerbsMr header_ring_mr_;
  std::vector<std::byte> receive_buffers_;  // per channel, rx_depth eager buffers
  VerbsMr receive_buffers_mr_;
  std::array<std::uint64_t, 8> control_buffer_{};  // flush target, see verbs_connection.hpp
  VerbsMr control_buffer_mr_;
  // After the receive buffers' region (its posted receives name it), before the queue pairs
  // that use it: destroyed after them and before the region.
  VerbsSrq srq_;
  std::vector<Channel> channels_;  // peer * lanes_ + lane; this rank's own have no qp
  std::unordered_map<std::uint32_t, std::uint32_t> channel_of_qpn_;  // shared receive queue
  std::uint64_t receive_buffer_count_ = 0;

  std::optional<std::uint8_t> gid_index_;
  ibv_mtu mtu_ = IBV_MTU_1024;
  std::uint32_t psn_ = 0;
  std::size_t inline_limit_ = 0;
  std::size_t receive_buffer_bytes_ = 0;
  std::uint64_t max_message_bytes_ = 0;
  std::uint8_t gid_type_ = IBV_GID_TYPE_IB;
  std::vector<std::uint64_t> peer_write_bytes_;  // largest single RDMA write to each peer
  std::vector<std::uint64_t> peer_control_address_;
  std::vector<std::uint32_t> peer_control_rkey_;

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  Matcher matcher_;
  std::unordered_map<std::uint64_t, Unexpected> unexpected_;
  std::uint64_t next_message_id_ = 0;
  std::vector<std::uint32_t> active_channels_;  // with a backlog or sends awaited
  unsigned idle_polls_ = 0;                     // consecutive empty polls (yielding)
  mutable std::vector<std::string> device_events_;
  TransportPath path_;
};

// The registry's factory: options from FB_VERBS_OPTIONS. Throws TransportError with
// verbs_unavailable_reason() when there is no usable device.
std::unique_ptr<Transport> make_verbs_transport(Bootstrap& bootstrap);

}  // namespace fb
