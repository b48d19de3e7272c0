// The deadline of one collective call, as the building blocks keep it (collectives/pipeline.hpp's
// Progress, collectives/exchange.hpp's Exchange): the clock is read once every
// kPollsPerClockRead idle polls (the rate Transport::wait uses), and the first read starts
// the deadline, so nothing stands between a call's first post and the wire and a call that
// never idles never reads the clock (a read before posting measured as latency at 8 bytes).
#pragma once

#include <chrono>

#include "transports/transport.hpp"

namespace fb {

class IdleDeadline {
 public:
  explicit IdleDeadline(std::chrono::milliseconds timeout = {}) : timeout_(timeout) {}

  // Starts a new call with `timeout`.
  void restart(std::chrono::milliseconds timeout) { *this = IdleDeadline(timeout); }

  // Starts the deadline now unless it has started: called once a call's first messages are
  // posted, before the transport is first driven. Measured (docs/PERFORMANCE.md): this one
  // read there makes an 8-byte call faster, not slower, since the first progress pass then
  // finds the message arrived, where an idle pass of the transport costs more than the read.
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
