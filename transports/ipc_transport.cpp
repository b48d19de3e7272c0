#include "transports/ipc_transport.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "transports/error.hpp"

namespace fb {

// Device memory registered with the path: the wrapped transport's registration when some
// peer is on another host, and the allocation's export, made on the first send from it.
class IpcTransport::Region final : public MemoryRegion {
 public:
  Region(std::span<std::byte> bytes, std::unique_ptr<MemoryRegion> inner)
      : MemoryRegion(bytes, inner ? inner->native() : nullptr), inner_(std::move(inner)) {}
  const MemoryRegion* inner() const { return inner_.get(); }
  const IpcExport& exported(DeviceIpc& ipc) const {
    if (!export_) export_ = ipc.export_range(bytes());
    return *export_;
  }

 private:
  std::unique_ptr<MemoryRegion> inner_;
  mutable std::optional<IpcExport> export_;
};

std::vector<bool> IpcTransport::same_machine(Bootstrap& bootstrap) {
  const auto ids = bootstrap.allgather_strings(kernel_boot_id());
  const auto& mine = ids.at(static_cast<std::size_t>(bootstrap.rank()));
  std::vector<bool> local(ids.size());
  for (std::size_t r = 0; r < ids.size(); ++r)
    local[r] = ids[r] == mine;
  return local;
}

IpcTransport::IpcTransport(Transport& inner, Bootstrap& bootstrap, DeviceIpc& ipc,
                           std::vector<bool> local)
    : inner_(inner), ipc_(ipc), local_(std::move(local)) {
  if (local_.size() != static_cast<std::size_t>(bootstrap.size())) {
    throw std::invalid_argument("ipc path: " + std::to_string(local_.size()) +
                                " locality flags for " + std::to_string(bootstrap.size()) +
                                " ranks");
  }
  const int me = bootstrap.rank();
  local_[static_cast<std::size_t>(me)] = true;
  for (int r = 0; r < bootstrap.size(); ++r) {
    if (r == me) continue;
    if (local_[static_cast<std::size_t>(r)]) {
      ++local_peers_;
    } else {
      remote_peers_ = true;
    }
  }
  // Whether this rank can map each local peer's memory; the first reason it cannot.
  const auto locations = bootstrap.allgather_strings(ipc_.location());
  for (int r = 0; r < bootstrap.size() && refusal_.empty(); ++r) {
    if (r == me || !local_[static_cast<std::size_t>(r)]) continue;
    if (const auto why = ipc_.unreachable(locations[static_cast<std::size_t>(r)])) {
      refusal_ = std::string(ipc_.name()) + " from rank " + std::to_string(me) + " to rank " +
                 std::to_string(r) + ": " + *why;
    }
  }
  mailboxes_ = std::make_unique<ShmMailboxes>(bootstrap, local_);
}

IpcTransport::~IpcTransport() {
  // Copies still reading a peer's memory (a call abandoned by an error) finish before its
  // handle is closed; a copy that never does is left to the device's teardown after 5 s.
  const auto latest = Clock::now() + std::chrono::seconds(5);
  for (const auto id : copying_) {
    const auto& recv = recvs_.at(id);
    try {
      while (!ipc_.done(*recv.ticket) && Clock::now() < latest)
        std::this_thread::yield();
    } catch (const std::runtime_error&) {  // a failed copy reads nothing more
    }
  }
  for (const auto& [handle, opened] : opened_)
    ipc_.close(opened.base);
}

TransportCapabilities IpcTransport::capabilities() const {
  auto caps = inner_.capabilities();
  caps.device_memory = refusal_.empty() && (!remote_peers_ || caps.device_memory);
  return caps;
}

TransportPath IpcTransport::path() const {
  auto path = inner_.path();
  std::string detail = "device memory between the ranks of a host over ";
  detail.append(ipc_.name());
  if (remote_peers_) detail.append(", between hosts over ").append(inner_.name());
  if (!path.detail.empty()) detail.append("; ").append(path.detail);
  path.detail = detail;
  return path;
}

std::unique_ptr<MemoryRegion> IpcTransport::register_device_memory(std::span<std::byte> bytes) {
  if (!refusal_.empty())
    throw TransportError(std::string(name()), -1, "register device memory", refusal_);
  std::unique_ptr<MemoryRegion> inner;
  if (remote_peers_) {
    try {
      inner = inner_.register_device_memory(bytes);
    } catch (const TransportError& e) {
      throw TransportError(
          std::string(name()), -1, "register device memory",
          std::string(ipc_.name()) + " joins only the ranks of one host, and " + e.what());
    }
  }
  return std::make_unique<Region>(bytes, std::move(inner));
}

bool IpcTransport::post(int peer, const MailMessage& message) {
  if (peer == rank()) {
    to_self_.push_back(message);
    return true;
  }
  if (outbound_.empty() && mailboxes_->post(peer, message)) return true;
  outbound_.push_back({peer, message, 0});  // behind what is already waiting, in order
  return false;
}

Request IpcTransport::isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                            std::size_t bytes) {
  const auto* device = dynamic_cast<const Region*>(&region);
  if (device != nullptr) check_post(peer, region, offset, bytes, "send");
  if (device == nullptr || !local_[static_cast<std::size_t>(peer)]) {
    ++inner_outstanding_;
    return inner_.isend(peer, tag, device == nullptr ? region : *device->inner(), offset, bytes);
  }
  MailMessage message;
  message.kind = MailMessage::data;
  message.tag = tag;
  message.bytes = bytes;
  message.id = next_id_++;
  if (peer == rank()) {
    self_sources_[message.id] = region.bytes().data() + offset;
  } else if (bytes > 0) {
    try {
      const auto& exported = device->exported(ipc_);
      message.handle = exported.handle;
      message.offset = exported.offset + offset;
    } catch (const std::runtime_error& e) {
      throw TransportError(std::string(name()), peer, "send",
                           std::string(ipc_.name()) + ": " + e.what());
    }
  }
  sends_[message.id] = Send{peer, false, {}};
  post(peer, message);
  return {kOurs | message.id, bytes, peer, OpKind::send, false};
}

Request IpcTransport::irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                            std::size_t bytes) {
  const auto* device = dynamic_cast<const Region*>(&region);
  if (device != nullptr) check_post(peer, region, offset, bytes, "receive");
  if (device == nullptr || !local_[static_cast<std::size_t>(peer)]) {
    ++inner_outstanding_;
    return inner_.irecv(peer, tag, device == nullptr ? region : *device->inner(), offset, bytes);
  }
  const auto id = next_id_++;
  auto& recv = recvs_[id];
  recv.peer = peer;
  recv.tag = tag;
  recv.dst = region.bytes().data() + offset;
  recv.bytes = bytes;
  if (const auto message = matcher_.post_recv(peer, tag, id)) {
    auto found = unexpected_.find(*message);
    const auto [sender, mail] = found->second;
    unexpected_.erase(found);
    start(id, recv, sender, mail);
  }
  return {kOurs | id, bytes, peer, OpKind::recv, false};
}

void IpcTransport::deliver(int sender, const MailMessage& message) {
  if (message.kind == MailMessage::ack) {
    const auto it = sends_.find(message.id);
    if (it == sends_.end()) return;  // a send whose request was dropped
    it->second.done = true;
    if (message.status != 0) {
      it->second.error = "rank " + std::to_string(sender) +
                         " refused the message: its receive has another length (" +
                         std::to_string(message.bytes) + " bytes)";
    }
    return;
  }
  const auto id = next_id_++;
  if (const auto recv_id = matcher_.incoming(sender, message.tag, id)) {
    start(*recv_id, recvs_.at(*recv_id), sender, message);
  } else {
    unexpected_.emplace(id, std::make_pair(sender, message));
  }
}

void IpcTransport::start(std::uint64_t recv_id, Recv& recv, int sender,
                         const MailMessage& message) {
  recv.sender_id = message.id;
  const std::byte* own = nullptr;  // a send to oneself: its bytes
  if (sender == rank()) {
    own = self_sources_.at(message.id);
    self_sources_.erase(message.id);
  }
  if (message.bytes != recv.bytes) {
    recv.error = "rank " + std::to_string(sender) + " sent " + std::to_string(message.bytes) +
                 " bytes to a receive of " + std::to_string(recv.bytes) + " bytes";
    finish(recv_id, recv, 1);
    return;
  }
  if (recv.bytes == 0) {
    finish(recv_id, recv, 0);
    return;
  }
  const std::byte* source = nullptr;
  if (sender == rank()) {
    source = own;
  } else {
    try {
      source = open(message.handle) + message.offset;
    } catch (const std::runtime_error& e) {
      recv.error = std::string(ipc_.name()) + ": " + e.what();
      finish(recv_id, recv, 1);
      return;
    }
    const auto it = opened_.find(message.handle);
    ++it->second.copying;
    recv.source = &it->first;
  }
  try {
    recv.ticket = ipc_.copy(recv.dst, source, recv.bytes);
  } catch (const std::runtime_error& e) {
    release(recv.source);
    recv.source = nullptr;
    recv.error = std::string(ipc_.name()) + ": " + e.what();
    finish(recv_id, recv, 1);
    return;
  }
  copying_.push_back(recv_id);
}

void IpcTransport::finish(std::uint64_t recv_id, Recv& recv, std::uint32_t status) {
  MailMessage ack;
  ack.kind = MailMessage::ack;
  ack.status = status;
  ack.bytes = recv.bytes;
  ack.id = recv.sender_id;
  if (post(recv.peer, ack)) {
    recv.done = true;
  } else {
    outbound_.back().recv_id = recv_id;
  }
}

std::byte* IpcTransport::open(const IpcHandle& handle) {
  const auto use = ++uses_;
  if (auto it = opened_.find(handle); it != opened_.end()) {
    it->second.last_use = use;
    return it->second.base;
  }
  if (opened_.size() >= kOpenLimit) {
    auto oldest = opened_.end();
    for (auto it = opened_.begin(); it != opened_.end(); ++it) {
      if (it->second.copying == 0 &&
          (oldest == opened_.end() || it->second.last_use < oldest->second.last_use))
        oldest = it;
    }
    if (oldest != opened_.end()) {
      ipc_.close(oldest->second.base);
      opened_.erase(oldest);
    }
  }
  std::byte* base = ipc_.open(handle);
  ++opens_;
  opened_.emplace(handle, Opened{base, use, 0});
  return base;
}

void IpcTransport::release(const IpcHandle* handle) {
  if (handle == nullptr) return;
  const auto it = opened_.find(*handle);
  if (it != opened_.end() && it->second.copying > 0) --it->second.copying;
}

void IpcTransport::progress() {
  if (inner_outstanding_ > 0) inner_.progress();
  std::size_t moved = 0;
  while (!outbound_.empty()) {
    const auto& out = outbound_.front();
    if (!mailboxes_->post(out.peer, out.message)) break;
    if (out.recv_id != 0) recvs_.at(out.recv_id).done = true;
    outbound_.pop_front();
    ++moved;
  }
  moved += mailboxes_->drain(
      [this](int sender, const MailMessage& message) { deliver(sender, message); });
  moved += to_self_.size() + copying_.size();
  while (!to_self_.empty()) {
    const auto message = to_self_.front();
    to_self_.pop_front();
    deliver(rank(), message);
  }
  std::erase_if(copying_, [this](std::uint64_t id) {
    auto& recv = recvs_.at(id);
    bool complete = false;
    try {
      complete = ipc_.done(*recv.ticket);
    } catch (const std::runtime_error& e) {
      recv.error = std::string(ipc_.name()) + ": " + e.what();
      complete = true;
    }
    if (!complete) return false;
    release(recv.source);
    recv.source = nullptr;
    finish(id, recv, recv.error.empty() ? 0 : 1);
    return true;
  });
  // A pass with nothing to do waits on a peer: give its core away at once (ranks may
  // outnumber cores; sched_yield returns at once when nothing else is runnable).
  if (moved == 0 && inner_outstanding_ == 0) std::this_thread::yield();
}

bool IpcTransport::test(Request& req) {
  if (!ours(req)) {
    if (req.done) return true;
    const bool complete = [&] {
      try {
        return inner_.test(req);
      } catch (...) {
        --inner_outstanding_;
        throw;
      }
    }();
    if (complete) --inner_outstanding_;
    return complete;
  }
  if (req.done) return true;
  const auto id = req.handle & ~kOurs;
  const char* op = req.kind == OpKind::send ? "send" : "receive";
  std::string error;
  if (req.kind == OpKind::send) {
    const auto it = sends_.find(id);
    if (it == sends_.end() || !it->second.done) return false;
    error = std::move(it->second.error);
    sends_.erase(it);
  } else {
    const auto it = recvs_.find(id);
    if (it == recvs_.end() || !it->second.done) return false;
    error = std::move(it->second.error);
    recvs_.erase(it);
  }
  req.done = true;
  if (!error.empty()) throw TransportError(std::string(name()), req.peer, op, error);
  return true;
}

std::string IpcTransport::stall_detail() const {
  std::string text = inner_.stall_detail();
  std::map<int, std::pair<int, int>> waiting;  // peer -> (sends without ack, receives)
  for (const auto& [id, send] : sends_) {
    if (!send.done) ++waiting[send.peer].first;
  }
  for (const auto& [id, recv] : recvs_) {
    if (!recv.done) ++waiting[recv.peer].second;
  }
  for (const auto& [peer, counts] : waiting) {
    if (!text.empty()) text.append("; ");
    text.append(ipc_.name()).append(" with rank ").append(std::to_string(peer)).append(": ");
    text.append(std::to_string(counts.first)).append(" sends waiting for its copy, ");
    text.append(std::to_string(counts.second)).append(" receives waiting for its data");
  }
  return text;
}

}  // namespace fb
