// Mailboxes between the processes of one host, in POSIX shared memory: the control channel
// of the local IPC path (transports/ipc_transport.hpp). Every rank owns one inbox holding a
// ring per local sender; a ring has one writer and one reader, so posting and draining take
// no lock (two atomic counters per ring). The inboxes are named by a token rank 0 draws, and
// unlinked as soon as every local rank has mapped them, so a crashed job leaves nothing in
// /dev/shm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "core/device_ipc.hpp"

namespace fb {

// One fixed-size message. `kind` data: a send of `bytes` bytes at `offset` in the exported
// allocation `handle` (a send to oneself needs neither: the sender keeps the address), answered by
// an ack carrying the same `id` once the receiver's copy is complete (`status` non-zero: the
// receiver refused it).
struct MailMessage {
  enum Kind : std::uint32_t { data = 1, ack = 2 };
  std::uint32_t kind = data;
  std::uint32_t status = 0;
  std::uint64_t tag = 0;
  std::uint64_t bytes = 0;
  std::uint64_t offset = 0;
  std::uint64_t id = 0;
  IpcHandle handle;
};

class ShmMailboxes {
 public:
  // Slots per ring: how many messages one sender may have waiting for one receiver.
  static constexpr std::size_t kSlots = 256;

  // Collective over `bootstrap`: `local[r]` says whether rank r shares this host (this rank's
  // own entry is ignored). Throws std::runtime_error on every rank when any rank could not
  // create or map its shared memory, naming what failed.
  ShmMailboxes(Bootstrap& bootstrap, const std::vector<bool>& local);
  ~ShmMailboxes();
  ShmMailboxes(const ShmMailboxes&) = delete;
  ShmMailboxes& operator=(const ShmMailboxes&) = delete;

  // Puts `message` in `peer`'s inbox; false when this rank's ring there is full.
  bool post(int peer, const MailMessage& message);
  // Hands every message waiting in this rank's inbox to `handle(sender, message)`, oldest
  // first per sender. Returns how many there were.
  std::size_t drain(const std::function<void(int, const MailMessage&)>& handle);

 private:
  struct Ring;
  struct Mapping {
    void* base = nullptr;
    std::size_t bytes = 0;
  };
  Ring* ring(const Mapping& inbox, int sender_index) const;

  int rank_ = 0;
  std::vector<int> local_ranks_;  // the ranks of this host, this one included, in rank order
  std::vector<int> index_of_;     // rank -> index in local_ranks_, -1 for other hosts
  Mapping inbox_;                 // this rank's
  std::vector<Mapping> peers_;    // by local index: the peers' inboxes (this rank's: empty)
};

}  // namespace fb
