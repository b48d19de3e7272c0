// The building block of the latency-bound algorithms (recursive doubling, Bruck, k-nomial
// trees, scatter + all-gather): one step is a few whole-range sends and receives, posted
// together and then waited for together under the call's deadline. No segmenting, no
// slots: each message is one range of a registered buffer. The step-wise sibling of
// collectives/pipeline.hpp's streams (which carry chunked, pipelined traffic): the same
// deadline rule and clock-read rate (kPollsPerClockRead), for algorithms whose messages are
// whole ranges exchanged in lockstep.
//
//   Exchange x(transport, "recursive-doubling allreduce");
//   x.begin(timeout);    // once per call
//   x.recv(peer, tag, scratch.whole(bytes));
//   x.send(peer, tag, args.send, 0, bytes);
//   x.wait("step", 2);   // on timeout: names the operation, the peer and "step 2"
//
// Their scratch is collectives/scratch.hpp's RegisteredScratch, as for every algorithm.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/algorithm.hpp"
#include "collectives/idle_deadline.hpp"

namespace fb {

class Exchange {
 public:
  Exchange(Transport& transport, std::string_view what) : transport_(transport), what_(what) {}

  // Starts a call: every wait() until the next begin() ends within `timeout` of the call's
  // first clock read, which the first wait() takes after the step's posts, before it drives
  // the transport (collectives/idle_deadline.hpp).
  void begin(std::chrono::milliseconds timeout) { deadline_.restart(timeout); }

  // Send `bytes` bytes at `offset` of `buffer`; zero bytes post nothing (the peer computes
  // the same length and posts no receive).
  void send(int peer, Tag tag, const Buffer& buffer, std::size_t offset, std::size_t bytes) {
    if (bytes == 0) return;
    pending_.push_back(
        transport_.isend(peer, tag, *buffer.region, buffer.region_offset(offset), bytes));
  }
  void recv(int peer, Tag tag, const Buffer& buffer, std::size_t offset, std::size_t bytes) {
    if (bytes == 0) return;
    pending_.push_back(
        transport_.irecv(peer, tag, *buffer.region, buffer.region_offset(offset), bytes));
  }

  // Drives the transport until everything posted since the last wait() has completed.
  // Past the deadline throws TimeoutError naming the first unfinished operation and the
  // step ("step 3" for wait("step", 3)); the words are only put together then.
  void wait(const char* step, int index = -1);

 private:
  Transport& transport_;
  std::string what_;
  IdleDeadline deadline_;
  std::vector<Request> pending_;
};

}  // namespace fb
