// ProbeResponder: the listening half of the peer probe (harness/faults/peer_probe.hpp).
//
// One listener per address this rank advertised to its peers, plus loopback for peers on
// the same host, all on one port; never the wildcard address, so nothing outside the
// addresses the job exchanged can reach it. One thread serves every connection at once:
// nonblocking sockets under poll(2), each connection read as its bytes arrive and answered
// as soon as a whole genuine probe is in (a real prober sends it the moment it connects).
// Connections that send nothing useful are closed when they show they are not a probe, at
// their read deadline, or, when the cap on open connections is reached, oldest first, so
// that a crowd of idle or slow clients never delays a real probe. Every such connection is
// counted in IgnoredProbes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "harness/faults/peer_probe_wire.hpp"

namespace fb {

struct ResponderLimits {
  std::chrono::milliseconds read_deadline{1000};  // from accept to a whole message
  std::size_t max_connections = 64;               // open at once; the oldest makes room
};

class ProbeResponder {
 public:
  struct Job {
    ProbeSecret secret{};
    int rank = 0;
    int ranks = 1;
  };
  // Answers a genuine probe: this rank's state now (true: failing).
  using StateFn = std::function<bool()>;
  // Called after a genuine probe from `rank` has been answered.
  using ProbedFn = std::function<void(int rank, bool failing)>;

  // Binds `addresses` (IPv4, network byte order; loopback is added) on one free port and
  // starts serving. Throws std::system_error naming the step that failed.
  ProbeResponder(const std::vector<std::uint32_t>& addresses, Job job, ResponderLimits limits,
                 StateFn state, ProbedFn probed, IgnoredProbes& ignored);
  ~ProbeResponder();
  ProbeResponder(const ProbeResponder&) = delete;
  ProbeResponder& operator=(const ProbeResponder&) = delete;

  std::uint16_t port() const { return port_; }
  // The addresses listened on (network byte order), loopback first.
  const std::vector<std::uint32_t>& addresses() const { return addresses_; }

 private:
  struct Connection;
  void bind_all();
  void serve();
  void accept_from(int listener, std::vector<Connection>& open);
  // Reads what has arrived; true when the connection is finished (answered or rejected).
  bool read_from(Connection& c);
  void reject(Connection& c, ProbeReject why);

  std::vector<std::uint32_t> addresses_;
  Job job_;
  ResponderLimits limits_;
  StateFn state_;
  ProbedFn probed_;
  IgnoredProbes& ignored_;
  std::vector<int> listeners_;
  std::uint16_t port_ = 0;
  int wake_fds_[2] = {-1, -1};  // writing to [1] stops the thread
  std::thread thread_;
};

}  // namespace fb
