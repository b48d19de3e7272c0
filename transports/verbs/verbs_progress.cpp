// Posting send work requests (with CQ moderation and a backlog for a full send queue) and
// handling completions polled from the completion queue.
#include <arpa/inet.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "transports/verbs/verbs_transport.hpp"

namespace fb {

using verbs_protocol::WireHeader;
using verbs_protocol::WireType;

namespace {

// Completions taken per ibv_poll_cq call: one call amortises the doorbell read over a
// burst without making a single progress pass long.
constexpr int kPollBatch = 32;
// Empty polls in a row before an oversubscribed rank yields its core (UcxTransport's value).
constexpr unsigned kIdlePollsBeforeYield = 32;

}  // namespace

void VerbsTransport::queue_send(std::uint32_t channel_id, const SendWork& work) {
  auto& channel = channels_[channel_id];
  // A backlog keeps its order: nothing overtakes what is already waiting.
  if (channel.backlog.empty() && channel.queue.can_post()) {
    post_send(channel_id, work);
  } else {
    channel.backlog.push_back(work);
  }
  if (!channel.active) {
    channel.active = true;
    active_channels_.push_back(channel_id);
  }
}

void VerbsTransport::post_send(std::uint32_t channel_id, const SendWork& work) {
  auto& channel = channels_[channel_id];
  const auto sequence = channel.queue.next_sequence();
  const auto ring_entry = sequence % channel.queue.depth();

  std::array<ibv_sge, 2> sges{};
  int sge_count = 0;
  std::size_t total_bytes = 0;
  if (work.header) {
    // The header must stay put until the work request completes: the ring entry for this
    // sequence number is free because at most depth() work requests are outstanding.
    auto& slot = header_ring_[std::size_t{channel_id} * channel.queue.depth() + ring_entry];
    slot = *work.header;
    sges[0] = {reinterpret_cast<std::uintptr_t>(&slot), sizeof(WireHeader), header_ring_mr_->lkey};
    ++sge_count;
    total_bytes += sizeof(WireHeader);
  }
  if (work.bytes > 0) {
    sges[static_cast<std::size_t>(sge_count)] = {reinterpret_cast<std::uintptr_t>(work.data),
                                                 static_cast<std::uint32_t>(work.bytes), work.lkey};
    ++sge_count;
    total_bytes += work.bytes;
  }
  // Inline sends copy the data into the work request: the buffer is free once posted.
  const bool send_inline = work.opcode == IBV_WR_SEND && total_bytes <= inline_limit_;
  // The request that completes a user operation asks for its own completion when nothing
  // queues behind it: otherwise the operation would wait for an idle progress pass and a
  // flush round trip. Inline sends complete when posted and need none.
  const bool completes_operation =
      work.completes_slot.has_value() && !send_inline && channel.backlog.empty();
  const bool signalled = channel.queue.next_signalled() || completes_operation || work.signal;

  ibv_send_wr wr{};
  wr.wr_id = verbs_protocol::send_wr_id(channel_id, sequence);
  wr.sg_list = sge_count > 0 ? sges.data() : nullptr;
  wr.num_sge = sge_count;
  wr.opcode = work.opcode;
  wr.send_flags = (signalled ? static_cast<unsigned>(IBV_SEND_SIGNALED) : 0U) |
                  (send_inline ? static_cast<unsigned>(IBV_SEND_INLINE) : 0U);
  if (work.opcode != IBV_WR_SEND) {
    wr.wr.rdma.remote_addr = work.remote_address;
    wr.wr.rdma.rkey = work.rkey;
  }
  if (work.opcode == IBV_WR_RDMA_WRITE_WITH_IMM) wr.imm_data = htonl(work.immediate);
  ibv_send_wr* bad = nullptr;
  check(ibv_post_send(channel.qp.get(), &wr, &bad), channel.peer, work.operation);

  channel.queue.on_post(signalled);
  channel.operations[ring_entry] = work.operation;
  if (work.completes_slot) {
    if (send_inline) {
      complete(*work.completes_slot);
    } else {
      channel.waiting.emplace_back(sequence, *work.completes_slot);
    }
  }
}

void VerbsTransport::progress() {
  std::array<ibv_wc, kPollBatch> completions{};
  const int polled = ibv_poll_cq(cq_.get(), kPollBatch, completions.data());
  if (polled < 0) {
    throw TransportError("verbs", -1, "poll completion queue",
                         "ibv_poll_cq failed" + device_events());
  }
  // More ranks than cores on this machine: a rank spinning on an empty completion queue
  // steals the core its peer needs, so give it up after a short idle spell (as UCX does).
  if (placement_.oversubscribed()) {
    idle_polls_ = polled != 0 ? 0 : idle_polls_ + 1;
    if (idle_polls_ >= kIdlePollsBeforeYield) {
      idle_polls_ = 0;
      sched_yield();
    }
  }
  auto* const batch_end = completions.data() + polled;
  if (std::any_of(completions.data(), batch_end,
                  [](const ibv_wc& wc) { return wc.status != IBV_WC_SUCCESS; })) {
    report_error(std::vector<ibv_wc>(completions.data(), batch_end));
  }
  for (int i = 0; i < polled; ++i)
    handle_completion(completions[static_cast<std::size_t>(i)]);
  service_channels();
}

// An error moves its queue pair to the error state, which flushes every other request on
// it; the device delivers those flushes in no particular order relative to the error
// itself. Report the cause: the first completion that is not a flush, in this batch or in
// what is already queued behind it (the transport is unusable after an error anyway).
void VerbsTransport::report_error(std::vector<ibv_wc> seen) {
  constexpr int kMaxDrained = 1 << 16;
  const ibv_wc first = *std::find_if(seen.begin(), seen.end(),
                                     [](const ibv_wc& wc) { return wc.status != IBV_WC_SUCCESS; });
  std::array<ibv_wc, kPollBatch> more{};
  for (int drained = 0; drained < kMaxDrained;) {
    const auto cause = std::find_if(seen.begin(), seen.end(), [](const ibv_wc& wc) {
      return wc.status != IBV_WC_SUCCESS && wc.status != IBV_WC_WR_FLUSH_ERR;
    });
    if (cause != seen.end()) handle_completion(*cause);  // throws
    const int polled = ibv_poll_cq(cq_.get(), kPollBatch, more.data());
    if (polled <= 0) break;
    seen.assign(more.data(), more.data() + polled);
    drained += polled;
  }
  handle_completion(first);  // only flushes: report the first
  throw TransportError("verbs", -1, "poll completion queue",
                       ibv_wc_status_str(first.status) + device_events());
}

int VerbsTransport::receive_peer(const ibv_wc& completion, std::uint64_t buffer) const {
  if (srq_) {
    // Shared receive queue: the queue pair the message arrived on names the peer.
    const auto found = channel_of_qpn_.find(completion.qp_num);
    return found == channel_of_qpn_.end() ? -1 : channels_[found->second].peer;
  }
  return channels_[buffer / static_cast<std::uint64_t>(options_.rx_depth)].peer;
}

std::string VerbsTransport::device_events() const {
  ibv_async_event event{};
  // The fd is non-blocking (set at setup): -1 with EAGAIN once nothing is pending.
  while (ibv_get_async_event(port_.context.get(), &event) == 0) {
    std::string what = ibv_event_type_str(event.event_type);
    switch (event.event_type) {
      case IBV_EVENT_PORT_ERR:
      case IBV_EVENT_PORT_ACTIVE:
      case IBV_EVENT_LID_CHANGE:
      case IBV_EVENT_PKEY_CHANGE:
      case IBV_EVENT_GID_CHANGE:
      case IBV_EVENT_SM_CHANGE:
      case IBV_EVENT_CLIENT_REREGISTER:
        what += " on " + port_.device + " port " + std::to_string(event.element.port_num);
        break;
      case IBV_EVENT_QP_FATAL:
      case IBV_EVENT_QP_REQ_ERR:
      case IBV_EVENT_QP_ACCESS_ERR:
      case IBV_EVENT_COMM_EST:
      case IBV_EVENT_SQ_DRAINED:
      case IBV_EVENT_PATH_MIG:
      case IBV_EVENT_PATH_MIG_ERR:
      case IBV_EVENT_QP_LAST_WQE_REACHED: {
        const auto found = channel_of_qpn_.find(event.element.qp->qp_num);
        if (found != channel_of_qpn_.end()) {
          what += " on the queue pair to rank " + std::to_string(channels_[found->second].peer);
        }
        break;
      }
      default:
        break;
    }
    device_events_.push_back(what);
    ibv_ack_async_event(&event);
  }
  if (device_events_.empty()) return {};
  std::string out = "; device events: ";
  for (std::size_t i = 0; i < device_events_.size(); ++i)
    out += (i == 0 ? "" : ", ") + device_events_[i];
  // A port that is not active now explains a stall even when its event was read earlier.
  ibv_port_attr attr{};
  if (ibv_query_port(port_.context.get(), static_cast<std::uint8_t>(port_.port), &attr) == 0 &&
      attr.state != IBV_PORT_ACTIVE) {
    out += "; " + port_.device + " port " + std::to_string(port_.port) + " is now " +
           ibv_port_state_str(attr.state);
  }
  return out;
}

std::string VerbsTransport::stall_detail() const {
  const auto events = device_events();
  ibv_port_attr attr{};
  std::string port_state;
  if (events.empty() &&
      ibv_query_port(port_.context.get(), static_cast<std::uint8_t>(port_.port), &attr) == 0 &&
      attr.state != IBV_PORT_ACTIVE) {
    port_state = port_.device + " port " + std::to_string(port_.port) + " is " +
                 ibv_port_state_str(attr.state);
  }
  return events.empty() ? port_state : events.substr(2);
}

// Drains backlogs into freed send-queue space, flushes idle unsignalled tails that a
// request waits on, and forgets channels with nothing left to do.
void VerbsTransport::service_channels() {
  for (std::size_t i = 0; i < active_channels_.size();) {
    const auto channel_id = active_channels_[i];
    auto& channel = channels_[channel_id];
    while (!channel.backlog.empty() && channel.queue.can_post()) {
      const auto work = channel.backlog.front();
      channel.backlog.pop_front();
      post_send(channel_id, work);
    }
    // Flush only for an awaited request that no signalled one covers: a signalled request in
    // flight will report it anyway.
    if (channel.queue.needs_flush() && !channel.waiting.empty() &&
        !channel.queue.is_covered(channel.waiting.back().first) && channel.backlog.empty() &&
        channel.queue.can_post()) {
      // A signalled zero-length write: its completion reports every send before it.
      SendWork flush;
      flush.opcode = IBV_WR_RDMA_WRITE;
      flush.remote_address = peer_control_address_[static_cast<std::size_t>(channel.peer)];
      flush.rkey = peer_control_rkey_[static_cast<std::size_t>(channel.peer)];
      flush.operation = "flush (zero-length RDMA write)";
      flush.signal = true;  // unsignalled, it would itself need a flush
      post_send(channel_id, flush);
    }
    if (channel.backlog.empty() && channel.waiting.empty()) {
      channel.active = false;
      active_channels_[i] = active_channels_.back();
      active_channels_.pop_back();
    } else {
      ++i;
    }
  }
}

void VerbsTransport::handle_completion(const ibv_wc& completion) {
  if (verbs_protocol::is_receive(completion.wr_id)) {
    const auto buffer = verbs_protocol::receive_buffer(completion.wr_id);
    if (completion.status != IBV_WC_SUCCESS) {
      throw TransportError("verbs", receive_peer(completion, buffer), "receive",
                           std::string(ibv_wc_status_str(completion.status)) + " (vendor error " +
                               std::to_string(completion.vendor_err) + ")" + device_events());
    }
    handle_receive(completion, buffer);
    return;
  }
  const auto channel_id = verbs_protocol::send_channel(completion.wr_id);
  auto& channel = channels_.at(channel_id);
  const auto sequence = verbs_protocol::send_sequence(
      completion.wr_id, channel.queue.next_sequence() - channel.queue.outstanding());
  if (completion.status != IBV_WC_SUCCESS) {
    const char* operation = channel.operations[sequence % channel.queue.depth()];
    throw TransportError("verbs", channel.peer, operation,
                         std::string(ibv_wc_status_str(completion.status)) + " (vendor error " +
                             std::to_string(completion.vendor_err) + ")" + device_events());
  }
  channel.queue.on_completion(sequence);
  while (!channel.waiting.empty() && channel.queue.is_complete(channel.waiting.front().first)) {
    complete(channel.waiting.front().second);
    channel.waiting.pop_front();
  }
}

void VerbsTransport::handle_receive(const ibv_wc& completion, std::uint64_t buffer) {
  const int peer = receive_peer(completion, buffer);
  if (peer < 0) {
    throw TransportError("verbs", -1, "receive",
                         "a message arrived on queue pair " + std::to_string(completion.qp_num) +
                             ", which is none of this transport's");
  }
  if (completion.opcode == IBV_WC_RECV_RDMA_WITH_IMM) {
    // A rendezvous write landed; its immediate names the receive it was for.
    const auto slot = ntohl(completion.imm_data);
    if (slot >= slots_.size() || slots_[slot].kind != OpKind::recv || slots_[slot].done) {
      throw TransportError("verbs", peer, "receive (RDMA write with immediate)",
                           "immediate " + std::to_string(slot) + " names no pending receive");
    }
    // Large messages arrive as several writes; only the last carries the immediate.
    const auto expected = last_write_bytes(slots_[slot].bytes, peer);
    if (completion.byte_len != expected) {
      complete(slot, "expected the last write of " + std::to_string(slots_[slot].bytes) +
                         " bytes to carry " + std::to_string(expected) + ", got " +
                         std::to_string(completion.byte_len));
    } else {
      complete(slot);
    }
  } else {
    const auto* data = receive_buffers_.data() + buffer * receive_buffer_bytes_;
    WireHeader header;
    if (completion.byte_len < sizeof(WireHeader)) {
      throw TransportError("verbs", peer, "receive",
                           std::to_string(completion.byte_len) + "-byte message has no header");
    }
    std::memcpy(&header, data, sizeof(WireHeader));
    const std::span<const std::byte> payload(data + sizeof(WireHeader),
                                             completion.byte_len - sizeof(WireHeader));
    handle_message(peer, header, payload);
  }
  // The buffer's contents have been used or copied: give it back to the device.
  post_receive(buffer);
}

void VerbsTransport::handle_message(int peer, const WireHeader& header,
                                    std::span<const std::byte> payload) {
  if (header.type == WireType::cts) {
    handle_cts(peer, header);
    return;
  }
  if (header.type != WireType::eager && header.type != WireType::rts) {
    throw TransportError("verbs", peer, "receive",
                         "unknown message type " + std::to_string(static_cast<int>(header.type)));
  }
  const auto id = next_message_id_++;
  const auto receive = matcher_.incoming(peer, header.tag, id);
  if (header.type == WireType::eager) {
    if (receive) {
      deliver_eager(static_cast<std::uint32_t>(*receive), payload);
    } else {
      unexpected_[id] =
          Unexpected{WireType::eager, {payload.begin(), payload.end()}, payload.size(), 0};
    }
  } else if (receive) {
    answer_rts(static_cast<std::uint32_t>(*receive), header.length, header.sender_slot);
  } else {
    unexpected_[id] = Unexpected{WireType::rts, {}, header.length, header.sender_slot};
  }
}

// The receiver is ready: write the payload into its buffer, with the receiver's slot as the
// immediate. The send completes when the write does.
void VerbsTransport::handle_cts(int peer, const WireHeader& header) {
  const auto slot = header.sender_slot;
  if (slot >= slots_.size() || slots_[slot].kind != OpKind::send || slots_[slot].done) {
    throw TransportError(
        "verbs", peer, "send (rendezvous)",
        "clear-to-send for slot " + std::to_string(slot) + " which has no pending send");
  }
  const auto& send = slots_[slot];
  if (header.length != send.bytes) {
    complete(slot, "the peer posted a receive of " + std::to_string(header.length) +
                       " bytes for this " + std::to_string(send.bytes) + "-byte message");
    return;
  }
  // A message above the ports' max_msg_sz goes as several writes; RC executes them in
  // order, so the last one's immediate still follows all of the data.
  const auto chunk = peer_write_bytes_[static_cast<std::size_t>(send.peer)];
  const auto channel = channel_index(send.peer, send.tag);
  for (std::uint64_t offset = 0; offset < send.bytes; offset += chunk) {
    const auto bytes = std::min<std::uint64_t>(chunk, send.bytes - offset);
    const bool last = offset + bytes == send.bytes;
    SendWork work;
    work.opcode = last ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE;
    work.data = send.data + offset;
    work.bytes = bytes;
    work.lkey = send.lkey;
    work.remote_address = header.address + offset;
    work.rkey = header.rkey;
    if (last) {
      work.immediate = header.receiver_slot;
      work.completes_slot = slot;
      work.operation = "RDMA write with immediate (rendezvous data)";
    } else {
      work.operation = "RDMA write (rendezvous data, split at max_msg_sz)";
    }
    queue_send(channel, work);
  }
}

std::uint64_t VerbsTransport::last_write_bytes(std::uint64_t bytes, int peer) const {
  const auto chunk = peer_write_bytes_[static_cast<std::size_t>(peer)];
  if (bytes == 0) return 0;
  return bytes - (bytes - 1) / chunk * chunk;
}

}  // namespace fb
