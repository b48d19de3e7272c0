// The deadline of one collective call, as the building blocks keep it (collectives/pipeline.hpp's
// Progress, collectives/exchange.hpp's Exchange): the clock is read once every
// kPollsPerClockRead idle polls (the rate Transport::wait uses), and the first read starts the
// deadline; Exchange and the ring's Progress start it themselves once the first messages are
// posted (start()), never between the first post and the wire.
#pragma once

#include <chrono>

#include "transports/transport.hpp"

namespace fb {

class IdleDeadline {
 public:
  explicit IdleDeadline(std::chrono::milliseconds timeout = {}) : timeout_(timeout) {}

  // Starts a new call with `timeout`.
  void restart(std::chrono::milliseconds timeout) { *this = IdleDeadline(timeout); }

  // Starts the deadline now unless it has started: Exchange calls it once a step's messages
  // are posted, before it first drives the transport. Measured (docs/PERFORMANCE.md): that
  // read makes an 8-byte sendrecv faster, not slower (the first progress pass then finds
  // the message arrived; an idle pass costs more than the read). The ring's Progress does the
  // same; for the reduce trees the read measured slower, so their first read stays at the
  // first idle poll.
  void start() {
    if (deadline_ == Deadline::max()) deadline_ = Clock::now() + timeout_;
  }

  // Counts an idle poll; true once the deadline has passed.
  bool idle_poll_expired() {
    if (++idle_polls_ % kPollsPerClockRead != 0) return false;
    const auto now = Clock::now();
    if (deadline_ == Deadline::max()) {
      deadline_ = now + timeout_;
      return false;
    }
    return now > deadline_;
  }

 private:
  std::chrono::milliseconds timeout_;
  Deadline deadline_ = Deadline::max();  // set at the first clock read
  unsigned idle_polls_ = 0;
};

}  // namespace fb
