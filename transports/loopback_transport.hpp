// Loopback transport: the ranks of one process, each on its own thread, exchanging tagged
// messages through a shared hub. For tests that run real algorithms in a single process
// (tests/unit/world.hpp); the harness never selects it, so it is in no registry.
//
// It keeps the rules the real transports keep, strictly:
//   - a message is matched by (source, destination, tag), in posting order on both sides;
//   - a receive must be matched by a send of exactly its length, else both fail with a
//     TransportError naming the lengths;
//   - a send completes only once its receive is posted and the data copied (rendezvous:
//     code that needs the transport to buffer a send deadlocks here as it would on a large
//     message over UCX or MPI);
//   - regions are checked: an operation outside its region, or on a region another
//     transport registered, throws.
// progress() sleeps (2 ms at most) when the caller's last pass saw no completion and nothing
// of its rank's has completed since, so many ranks polling on few cores do not starve.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "transports/transport.hpp"

namespace fb {

class LoopbackHub {
 public:
  explicit LoopbackHub(int size);
  int size() const { return size_; }
  // Fails every operation pending or posted from now on with `reason` (a rank of the world
  // has failed: its peers must not wait for it until their deadline).
  void abort(const std::string& reason);

 private:
  friend class LoopbackTransport;
  enum class State : std::uint8_t { pending, done, failed };
  struct Op {
    int owner = 0;
    OpKind kind = OpKind::none;
    int peer = 0;
    std::span<std::byte> bytes;
    State state = State::pending;
    std::string error;
  };
  using Key = std::tuple<int, int, Tag>;  // source, destination, tag

  std::uint64_t post(int owner, OpKind kind, int peer, Tag tag, std::span<std::byte> bytes);
  // Completes `op_id` for its owner: true when it has completed; throws when it failed.
  bool test(int owner, std::uint64_t op_id, const std::string& transport);
  // Waits (briefly) until an operation of `owner` completes, unless one has since its last
  // wait.
  void wait_for_completion(int owner);
  void complete(Op& op, State state, const std::string& error);

  int size_;
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Op> ops_;
  std::map<Key, std::deque<std::uint64_t>> unmatched_sends_;
  std::map<Key, std::deque<std::uint64_t>> unmatched_recvs_;
  // Per rank: how many of its operations have completed, how many it had seen at its last
  // wait, and where it waits for more.
  std::vector<std::uint64_t> completions_;
  std::vector<std::uint64_t> seen_;
  std::vector<std::unique_ptr<std::condition_variable>> changed_;
  std::string aborted_;
};

class LoopbackTransport final : public Transport {
 public:
  LoopbackTransport(LoopbackHub& hub, int rank);
  std::string_view name() const override { return "loopback"; }
  // Device memory: what register_device_memory() below takes.
  TransportCapabilities capabilities() const override { return {.device_memory = true}; }
  TransportPath path() const override {
    return {TransportPath::Kind::shared_memory, false, "threads of one process"};
  }
  int rank() const override { return rank_; }
  int size() const override { return hub_.size(); }

  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override;
  // The loopback moves bytes with the CPU: "device" memory it can reach (managed memory, or
  // the host memory of the tests' deferred device steps) registers as any other.
  std::unique_ptr<MemoryRegion> register_device_memory(std::span<std::byte> bytes) override {
    return register_memory(bytes);
  }
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  void progress() override;
  bool test(Request& req) override;

 private:
  Request post(OpKind kind, int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
               std::size_t bytes);

  LoopbackHub& hub_;
  int rank_;
  bool completed_since_progress_ = false;
};

}  // namespace fb
