#include "transports/loopback_transport.hpp"

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "transports/error.hpp"

namespace fb {

namespace {
// How long progress() sleeps at most when nothing has completed: short enough that a
// caller's deadline is still seen promptly.
constexpr auto kIdleWait = std::chrono::milliseconds(2);
constexpr const char* kName = "loopback";
}  // namespace

LoopbackHub::LoopbackHub(int size)
    : size_(size),
      completions_(static_cast<std::size_t>(size)),
      seen_(static_cast<std::size_t>(size)) {
  if (size < 1) throw std::invalid_argument("loopback: a world needs at least one rank");
  for (int r = 0; r < size; ++r)
    changed_.push_back(std::make_unique<std::condition_variable>());
}

void LoopbackHub::abort(const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (!aborted_.empty()) return;
  aborted_ = reason.empty() ? std::string("aborted") : reason;
  for (auto& [id, op] : ops_) {
    if (op.state == State::pending) complete(op, State::failed, aborted_);
  }
  unmatched_sends_.clear();
  unmatched_recvs_.clear();
  for (auto& cv : changed_)
    cv->notify_all();
}

void LoopbackHub::complete(Op& op, State state, const std::string& error) {
  op.state = state;
  op.error = error;
  const auto owner = static_cast<std::size_t>(op.owner);
  ++completions_[owner];
  changed_[owner]->notify_all();
}

std::uint64_t LoopbackHub::post(int owner, OpKind kind, int peer, Tag tag,
                                std::span<std::byte> bytes) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  auto& op = ops_[id];
  op.owner = owner;
  op.kind = kind;
  op.peer = peer;
  op.bytes = bytes;
  if (!aborted_.empty()) {
    complete(op, State::failed, aborted_);
    return id;
  }
  const bool is_send = kind == OpKind::send;
  const Key key = is_send ? Key{owner, peer, tag} : Key{peer, owner, tag};
  auto& partners = is_send ? unmatched_recvs_[key] : unmatched_sends_[key];
  if (partners.empty()) {
    (is_send ? unmatched_sends_[key] : unmatched_recvs_[key]).push_back(id);
    return id;
  }
  auto& other = ops_.at(partners.front());
  partners.pop_front();
  Op& send = is_send ? op : other;
  Op& recv = is_send ? other : op;
  if (send.bytes.size() != recv.bytes.size()) {
    const std::string error = "message of " + std::to_string(send.bytes.size()) +
                              " bytes matched a receive of " + std::to_string(recv.bytes.size()) +
                              " bytes (tag " + std::to_string(tag) + ")";
    complete(send, State::failed, error);
    complete(recv, State::failed, error);
    return id;
  }
  if (!send.bytes.empty()) std::memcpy(recv.bytes.data(), send.bytes.data(), send.bytes.size());
  complete(send, State::done, {});
  complete(recv, State::done, {});
  return id;
}

bool LoopbackHub::test(int owner, std::uint64_t op_id, const std::string& transport) {
  std::lock_guard lock(mutex_);
  const auto it = ops_.find(op_id);
  // Retired already (a copy of the request was tested to completion).
  if (it == ops_.end() && op_id != 0 && op_id < next_id_) return true;
  if (it == ops_.end() || it->second.owner != owner) {
    throw std::logic_error("loopback: test of a request this transport did not post");
  }
  const Op& op = it->second;
  if (op.state == State::pending) return false;
  if (op.state == State::failed) {
    const std::string what = op.kind == OpKind::send ? "send" : "receive";
    TransportError error(transport, op.peer,
                         what + " of " + std::to_string(op.bytes.size()) + " bytes", op.error);
    throw error;  // kept: every later test of it fails the same way
  }
  ops_.erase(it);
  return true;
}

void LoopbackHub::wait_for_completion(int owner) {
  std::unique_lock lock(mutex_);
  const auto r = static_cast<std::size_t>(owner);
  changed_[r]->wait_for(lock, kIdleWait,
                        [&] { return completions_[r] != seen_[r] || !aborted_.empty(); });
  seen_[r] = completions_[r];
}

LoopbackTransport::LoopbackTransport(LoopbackHub& hub, int rank) : hub_(hub), rank_(rank) {
  if (rank < 0 || rank >= hub.size()) {
    throw std::invalid_argument("loopback: rank " + std::to_string(rank) + " outside a world of " +
                                std::to_string(hub.size()));
  }
}

std::unique_ptr<MemoryRegion> LoopbackTransport::register_memory(std::span<std::byte> bytes) {
  // The region's native handle names its transport, so a foreign region is caught.
  return std::make_unique<MemoryRegion>(bytes, this);
}

Request LoopbackTransport::post(OpKind kind, int peer, Tag tag, const MemoryRegion& region,
                                std::size_t offset, std::size_t bytes) {
  const std::string what = kind == OpKind::send ? "send" : "receive";
  if (peer < 0 || peer >= size()) {
    throw TransportError(kName, peer, what, "no such rank in a world of " + std::to_string(size()));
  }
  if (region.native() != this) {
    throw TransportError(kName, peer, what, "region registered with another transport");
  }
  if (offset > region.bytes().size() || bytes > region.bytes().size() - offset) {
    throw TransportError(kName, peer, what,
                         std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                             " overrun a region of " + std::to_string(region.bytes().size()));
  }
  Request req;
  req.handle = hub_.post(rank_, kind, peer, tag, region.bytes().subspan(offset, bytes));
  req.bytes = bytes;
  req.peer = peer;
  req.kind = kind;
  req.done = false;
  return req;
}

Request LoopbackTransport::isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                                 std::size_t bytes) {
  return post(OpKind::send, peer, tag, region, offset, bytes);
}

Request LoopbackTransport::irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                                 std::size_t bytes) {
  return post(OpKind::recv, peer, tag, region, offset, bytes);
}

void LoopbackTransport::progress() {
  // A pass that saw a completion may act on it in the next pass: only after a pass that saw
  // none does progress wait, and then only until something of this rank's completes.
  if (completed_since_progress_) {
    completed_since_progress_ = false;
    std::this_thread::yield();
    return;
  }
  hub_.wait_for_completion(rank_);
}

bool LoopbackTransport::test(Request& req) {
  if (req.done) return true;
  if (hub_.test(rank_, req.handle, kName)) {
    req.done = true;
    completed_since_progress_ = true;
  }
  return req.done;
}

}  // namespace fb
