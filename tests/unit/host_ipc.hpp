// DeviceIpc (core/device_ipc.hpp) on host memory, for the local IPC path's tests in one
// process: a handle names the exported bytes' address (every registered region is its own
// allocation), opening one is counted, and a copy happens only when done() is asked about
// it for the second time (polls_to_finish), so a receiver that reads before the copy is complete,
// or a sender that reuses its bytes before the receiver's copy, gives wrong results, as on a GPU.
#pragma once

#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/device_ipc.hpp"

namespace fb {

class HostIpc final : public DeviceIpc {
 public:
  // `group`: ranks whose groups differ cannot open each other's memory (as GPUs without peer
  // access).
  explicit HostIpc(int group = 0) : group_(group) {}

  std::string_view name() const override { return "host-ipc"; }
  std::string location() const override { return "group " + std::to_string(group_); }
  std::optional<std::string> unreachable(const std::string& peer_location) const override {
    if (peer_location == location()) return std::nullopt;
    return "no peer access between " + location() + " and " + peer_location;
  }

  IpcExport export_range(std::span<std::byte> bytes) override {
    if (refuse_exports) throw std::runtime_error("this memory cannot be exported");
    ++exports;
    IpcExport exported;
    const auto address = reinterpret_cast<std::uintptr_t>(bytes.data());
    std::memcpy(exported.handle.bytes.data(), &address, sizeof address);
    return exported;
  }
  std::byte* open(const IpcHandle& handle) override {
    ++opens;
    std::uintptr_t address = 0;
    std::memcpy(&address, handle.bytes.data(), sizeof address);
    return reinterpret_cast<std::byte*>(address);
  }
  void close(std::byte* /*base*/) override {
    if (closes++ == 0) copied_at_first_close = copied;
  }

  std::uint64_t copy(std::byte* dst, const std::byte* src, std::size_t bytes) override {
    const auto ticket = next_++;
    pending_.emplace(ticket, Copy{dst, src, bytes, 0});
    return ticket;
  }
  bool done(std::uint64_t ticket) override {
    const auto it = pending_.find(ticket);
    if (it == pending_.end()) throw std::logic_error("host-ipc: unknown copy");
    if (++it->second.asked < polls_to_finish) return false;
    std::memcpy(it->second.dst, it->second.src, it->second.bytes);
    copied += it->second.bytes;
    pending_.erase(it);
    return true;
  }

  int polls_to_finish = 2;  // how many done() calls a copy takes
  bool refuse_exports = false;
  int exports = 0;
  int opens = 0;
  int closes = 0;
  std::size_t copied = 0;
  std::size_t copied_at_first_close = 0;

 private:
  struct Copy {
    std::byte* dst;
    const std::byte* src;
    std::size_t bytes;
    int asked;
  };
  int group_;
  std::map<std::uint64_t, Copy> pending_;
  std::uint64_t next_ = 1;
};

}  // namespace fb
