#include "transports/shm_mailbox.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <random>
#include <stdexcept>

namespace fb {

struct ShmMailboxes::Ring {
  alignas(64) std::atomic<std::uint64_t> head;  // written by the sender: messages posted
  alignas(64) std::atomic<std::uint64_t> tail;  // written by the receiver: messages taken
  MailMessage slots[kSlots];
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the mailbox counters must be lock-free to work across processes");

namespace {

std::string inbox_name(std::uint64_t token, int rank) {
  char name[64];
  std::snprintf(name, sizeof name, "/fb-ipc-%016llx-%d", static_cast<unsigned long long>(token),
                rank);
  return name;
}

std::string errno_text(const char* call, const std::string& name) {
  return std::string(call) + "(" + name + "): " + std::strerror(errno);
}

// Every rank learns whether any failed; all throw together, each with its own reason or
// the count, so that no rank is left in a collective the others abandoned.
void agree(Bootstrap& bootstrap, const std::string& failure, const char* stage) {
  std::vector<std::int64_t> failed{failure.empty() ? 0 : 1};
  bootstrap.allreduce_sum(failed);
  if (failed[0] == 0) return;
  if (!failure.empty()) throw std::runtime_error("shared-memory mailboxes: " + failure);
  throw std::runtime_error("shared-memory mailboxes: " + std::to_string(failed[0]) + " of " +
                           std::to_string(bootstrap.size()) + " ranks could not " + stage);
}

}  // namespace

ShmMailboxes::ShmMailboxes(Bootstrap& bootstrap, const std::vector<bool>& local)
    : rank_(bootstrap.rank()), index_of_(static_cast<std::size_t>(bootstrap.size()), -1) {
  for (int r = 0; r < bootstrap.size(); ++r) {
    if (r != rank_ && !local.at(static_cast<std::size_t>(r))) continue;
    index_of_[static_cast<std::size_t>(r)] = static_cast<int>(local_ranks_.size());
    local_ranks_.push_back(r);
  }
  std::uint64_t token = 0;
  if (rank_ == 0) {
    std::random_device device;
    token = (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
            static_cast<std::uint64_t>(::getpid()) ^
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  bootstrap.broadcast(std::as_writable_bytes(std::span(&token, 1)), 0);

  const std::size_t bytes = sizeof(Ring) * local_ranks_.size();
  const std::string mine = inbox_name(token, rank_);
  std::string failure;
  const int fd = ::shm_open(mine.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) {
    failure = errno_text("shm_open", mine);
  } else {
    if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      failure = errno_text("ftruncate", mine);
    } else {
      void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        failure = errno_text("mmap", mine);
      } else {
        inbox_ = {p, bytes};
        for (std::size_t i = 0; i < local_ranks_.size(); ++i)
          new (static_cast<std::byte*>(p) + i * sizeof(Ring)) Ring{};
      }
    }
    ::close(fd);
  }
  try {
    agree(bootstrap, failure, "create their inbox in /dev/shm");
    peers_.resize(local_ranks_.size());
    for (std::size_t i = 0; i < local_ranks_.size() && failure.empty(); ++i) {
      const int peer = local_ranks_[i];
      if (peer == rank_) continue;
      const std::string name = inbox_name(token, peer);
      const int peer_fd = ::shm_open(name.c_str(), O_RDWR, 0);
      if (peer_fd < 0) {
        failure = errno_text("shm_open", name);
        break;
      }
      void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, peer_fd, 0);
      ::close(peer_fd);
      if (p == MAP_FAILED) {
        failure = errno_text("mmap", name);
        break;
      }
      peers_[i] = {p, bytes};
    }
    agree(bootstrap, failure, "map their peers' inboxes");
  } catch (...) {
    if (fd >= 0) ::shm_unlink(mine.c_str());
    for (const auto& m : peers_) {
      if (m.base != nullptr) ::munmap(m.base, m.bytes);
    }
    if (inbox_.base != nullptr) ::munmap(inbox_.base, inbox_.bytes);
    throw;
  }
  // Every peer holds its mapping: the name is no longer needed.
  ::shm_unlink(mine.c_str());
}

ShmMailboxes::~ShmMailboxes() {
  for (const auto& m : peers_) {
    if (m.base != nullptr) ::munmap(m.base, m.bytes);
  }
  if (inbox_.base != nullptr) ::munmap(inbox_.base, inbox_.bytes);
}

ShmMailboxes::Ring* ShmMailboxes::ring(const Mapping& inbox, int sender_index) const {
  return std::launder(reinterpret_cast<Ring*>(
      static_cast<std::byte*>(inbox.base) + static_cast<std::size_t>(sender_index) * sizeof(Ring)));
}

bool ShmMailboxes::post(int peer, const MailMessage& message) {
  const int index = index_of_.at(static_cast<std::size_t>(peer));
  if (index < 0 || peer == rank_) {
    throw std::logic_error("shared-memory mailboxes: rank " + std::to_string(peer) +
                           " is not a local peer of rank " + std::to_string(rank_));
  }
  Ring* r =
      ring(peers_[static_cast<std::size_t>(index)], index_of_[static_cast<std::size_t>(rank_)]);
  const auto head = r->head.load(std::memory_order_relaxed);
  if (head - r->tail.load(std::memory_order_acquire) >= kSlots) return false;
  r->slots[head % kSlots] = message;
  r->head.store(head + 1, std::memory_order_release);
  return true;
}

std::size_t ShmMailboxes::drain(const std::function<void(int, const MailMessage&)>& handle) {
  std::size_t taken = 0;
  for (std::size_t i = 0; i < local_ranks_.size(); ++i) {
    if (local_ranks_[i] == rank_) continue;
    Ring* r = ring(inbox_, static_cast<int>(i));
    auto tail = r->tail.load(std::memory_order_relaxed);
    const auto head = r->head.load(std::memory_order_acquire);
    for (; tail != head; ++tail, ++taken) {
      const MailMessage message = r->slots[tail % kSlots];
      r->tail.store(tail + 1, std::memory_order_release);
      handle(local_ranks_[i], message);
    }
  }
  return taken;
}

}  // namespace fb
