// Requests and tag matching of the verbs transport: isend/irecv/test, the self path, and
// what happens when a message meets its receive (protocol: verbs_protocol.hpp).
#include <cstring>

#include "transports/verbs/verbs_transport.hpp"

namespace fb {

using verbs_protocol::WireHeader;
using verbs_protocol::WireType;

namespace {

std::string length_mismatch(std::size_t posted, std::uint64_t sent) {
  return "expected " + std::to_string(posted) + " bytes, got " + std::to_string(sent);
}

const char* operation_name(OpKind kind) {
  return kind == OpKind::send ? "send" : "receive";
}

}  // namespace

std::uint32_t VerbsTransport::channel_index(int peer, Tag tag) const {
  return static_cast<std::uint32_t>(peer) * lanes_ + verbs_protocol::lane_for_tag(tag, lanes_);
}

std::uint32_t VerbsTransport::allocate_slot(OpKind kind, int peer, Tag tag,
                                            const MemoryRegion& region, std::size_t offset,
                                            std::size_t bytes) {
  std::uint32_t index = 0;
  if (free_slots_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  auto& slot = slots_[index];
  slot = Slot{};
  slot.kind = kind;
  slot.peer = peer;
  slot.tag = tag;
  slot.data = region.bytes().data() + offset;
  slot.bytes = bytes;
  if (const auto* mr = static_cast<const ibv_mr*>(region.native())) {
    slot.lkey = mr->lkey;
    slot.rkey = mr->rkey;
  }
  return index;
}

void VerbsTransport::complete(std::uint32_t slot, std::string error) {
  slots_[slot].done = true;
  slots_[slot].error = std::move(error);
}

void VerbsTransport::deliver_eager(std::uint32_t slot, std::span<const std::byte> payload) {
  if (payload.size() != slots_[slot].bytes) {
    complete(slot, length_mismatch(slots_[slot].bytes, payload.size()));
    return;
  }
  if (!payload.empty()) std::memcpy(slots_[slot].data, payload.data(), payload.size());
  complete(slot);
}

// A posted receive met a rendezvous request: tell the sender where to write. On a length
// mismatch the receive fails now and the cts carries the posted length, so the sender
// fails too instead of waiting for an answer that never comes.
void VerbsTransport::answer_rts(std::uint32_t slot, std::uint64_t length,
                                std::uint32_t sender_slot) {
  const auto& receive = slots_[slot];
  WireHeader cts;
  cts.type = WireType::cts;
  cts.tag = receive.tag;
  cts.length = receive.bytes;
  cts.address = reinterpret_cast<std::uintptr_t>(receive.data);
  cts.rkey = receive.rkey;
  cts.sender_slot = sender_slot;
  cts.receiver_slot = slot;
  SendWork work;
  work.header = cts;
  work.operation = "send (rendezvous clear-to-send)";
  queue_send(channel_index(receive.peer, receive.tag), work);
  if (length != receive.bytes) complete(slot, length_mismatch(receive.bytes, length));
}

// Messages to this rank are copied at once; the send is complete when isend returns.
void VerbsTransport::send_to_self(std::uint32_t slot) {
  const auto& send = slots_[slot];
  const std::span<const std::byte> payload(send.data, send.bytes);
  const auto id = next_message_id_++;
  if (const auto receive = matcher_.incoming(rank_, send.tag, id)) {
    deliver_eager(static_cast<std::uint32_t>(*receive), payload);
  } else {
    unexpected_[id] = Unexpected{WireType::eager, {payload.begin(), payload.end()}, send.bytes, 0};
  }
  complete(slot);
}

Request VerbsTransport::isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                              std::size_t bytes) {
  check_args(peer, region, offset, bytes, "send");
  const auto slot = allocate_slot(OpKind::send, peer, tag, region, offset, bytes);
  if (peer == rank_) {
    send_to_self(slot);
  } else {
    const auto& send = slots_[slot];
    WireHeader header;
    header.tag = tag;
    header.length = bytes;
    SendWork work;
    if (bytes <= static_cast<std::size_t>(options_.eager_threshold)) {
      header.type = WireType::eager;
      work.data = send.data;
      work.bytes = bytes;
      work.lkey = send.lkey;
      work.completes_slot = slot;
      work.operation = "send (eager)";
    } else {
      // The request completes with the RDMA write that follows the peer's cts.
      header.type = WireType::rts;
      header.sender_slot = slot;
      work.operation = "send (rendezvous request-to-send)";
    }
    work.header = header;
    queue_send(channel_index(peer, tag), work);
  }
  Request req{slot + 1U, bytes, peer, OpKind::send, false};
  if (slots_[slot].done) test(req);  // done inline or locally: free the slot now
  return req;
}

Request VerbsTransport::irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                              std::size_t bytes) {
  check_args(peer, region, offset, bytes, "receive");
  const auto slot = allocate_slot(OpKind::recv, peer, tag, region, offset, bytes);
  if (const auto id = matcher_.post_recv(peer, tag, slot)) {
    auto found = unexpected_.find(*id);
    const auto message = std::move(found->second);
    unexpected_.erase(found);
    if (message.type == WireType::eager) {
      deliver_eager(slot, message.payload);
    } else {
      answer_rts(slot, message.length, message.sender_slot);
    }
  }
  return Request{slot + 1U, bytes, peer, OpKind::recv, false};
}

bool VerbsTransport::test(Request& req) {
  if (req.done) return true;
  const auto index = static_cast<std::uint32_t>(req.handle - 1);
  auto& slot = slots_.at(index);
  if (!slot.done) return false;
  const auto error = std::move(slot.error);
  const auto kind = slot.kind;
  slot = Slot{};
  free_slots_.push_back(index);
  req.done = true;
  if (!error.empty()) throw TransportError("verbs", req.peer, operation_name(kind), error);
  return true;
}

}  // namespace fb
