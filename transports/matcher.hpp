// Tag matching for transports that match messages themselves (verbs, the local IPC path):
// a receive matches a message by (source, tag), and messages with the same (source, tag)
// match receives in posting order on both sides.
// Pure bookkeeping of ids; the transport keeps what the ids stand for (a posted receive's
// buffer, an unexpected message's payload or rendezvous descriptor).
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "transports/transport.hpp"

namespace fb {

class Matcher {
 public:
  // A receive `recv_id` was posted for (peer, tag). Returns the oldest unexpected message
  // from that pair (now consumed), or nullopt after queueing the receive.
  std::optional<std::uint64_t> post_recv(int peer, Tag tag, std::uint64_t recv_id) {
    return match_or_queue(unexpected_, posted_, Key{peer, tag}, recv_id);
  }
  // Message `message_id` arrived from (peer, tag). Returns the oldest posted receive for
  // it (now consumed), or nullopt after queueing the message as unexpected.
  std::optional<std::uint64_t> incoming(int peer, Tag tag, std::uint64_t message_id) {
    return match_or_queue(posted_, unexpected_, Key{peer, tag}, message_id);
  }

  std::size_t posted_receives() const { return count(posted_); }
  std::size_t unexpected_messages() const { return count(unexpected_); }

 private:
  struct Key {
    int peer;
    Tag tag;
    // clang-tidy 14 reads the defaulted <=> as a comparison with literal 0.
    auto operator<=>(const Key&) const = default;  // NOLINT(modernize-use-nullptr)
  };
  // Empty queues are erased: tags carry a per-call sequence number, so keys never repeat
  // for long and the maps would otherwise grow for the whole run.
  using Queues = std::map<Key, std::deque<std::uint64_t>>;

  static std::optional<std::uint64_t> match_or_queue(Queues& waiting, Queues& park, Key key,
                                                     std::uint64_t id) {
    if (const auto it = waiting.find(key); it != waiting.end()) {
      const auto matched = it->second.front();
      it->second.pop_front();
      if (it->second.empty()) waiting.erase(it);
      return matched;
    }
    park[key].push_back(id);
    return std::nullopt;
  }
  static std::size_t count(const Queues& queues) {
    std::size_t n = 0;
    for (const auto& [key, queue] : queues)
      n += queue.size();
    return n;
  }

  Queues posted_;
  Queues unexpected_;
};

}  // namespace fb
