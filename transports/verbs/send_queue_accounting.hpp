// Send-queue bookkeeping for one queue pair with CQ moderation (perftest's --cq-mod): only
// every Nth send work request asks for a completion, and a completion for sequence number
// s reports every earlier one on the same queue pair too (RC completes in order).
//
//   posted:      0 1 2 3 4 5 6 7 8 9            (tx_depth 8, moderation 4)
//   signalled:         ^       ^                 3 and 7: every 4th
//   completed ---------^ (completion for 3)      -> 0..3 done, 6 outstanding
//
// Two rules keep it live: the work request that fills the queue is always signalled (else
// a full queue might never report anything), and an unsignalled tail is closed with a
// signalled flush when the sender goes idle (else its last sends would never complete).
// Pure arithmetic, no verbs calls: the transport posts, this class decides.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace fb {

class SendQueueAccounting {
 public:
  SendQueueAccounting(std::uint32_t tx_depth, std::uint32_t moderation)
      : depth_(tx_depth), moderation_(moderation) {
    if (tx_depth == 0 || moderation == 0 || moderation > tx_depth) {
      throw std::invalid_argument("send queue: need 1 <= moderation <= tx_depth");
    }
  }

  std::uint32_t depth() const { return depth_; }
  // Work requests posted and not yet known complete.
  std::uint32_t outstanding() const { return static_cast<std::uint32_t>(posted_ - completed_); }
  bool can_post() const { return outstanding() < depth_; }
  // The sequence number the next work request gets.
  std::uint64_t next_sequence() const { return posted_; }
  // Whether the next work request must ask for a completion.
  bool next_signalled() const {
    return (posted_ + 1) % moderation_ == 0 || outstanding() + 1 >= depth_;
  }

  // Records a post; returns its sequence number. The caller checked can_post().
  std::uint64_t on_post(bool signalled) {
    if (!can_post()) throw std::logic_error("send queue: posted past tx_depth");
    const auto sequence = posted_++;
    if (signalled) signalled_end_ = posted_;
    posted_since_idle_check_ = true;
    return sequence;
  }

  // A signalled completion for `sequence`: it and everything before it are done.
  void on_completion(std::uint64_t sequence) {
    if (sequence >= posted_ || sequence < completed_) {
      throw std::logic_error("send queue: completion for a sequence number not outstanding");
    }
    completed_ = sequence + 1;
  }
  // True when a signalled work request at or after `sequence` was posted: its completion
  // will report `sequence` without a flush.
  bool is_covered(std::uint64_t sequence) const { return sequence < signalled_end_; }
  // True when work request `sequence` is known complete.
  bool is_complete(std::uint64_t sequence) const { return sequence < completed_; }

  // True when unsignalled work requests have no signalled one after them and nothing was
  // posted since the previous call: then post a signalled flush. Called once per progress
  // pass, so a sender that keeps posting is never interrupted by flushes.
  bool needs_flush() {
    const bool idle = !posted_since_idle_check_;
    posted_since_idle_check_ = false;
    return idle && signalled_end_ < posted_;
  }

 private:
  std::uint32_t depth_;
  std::uint32_t moderation_;
  std::uint64_t posted_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t signalled_end_ = 0;  // one past the last signalled sequence number
  bool posted_since_idle_check_ = false;
};

}  // namespace fb
