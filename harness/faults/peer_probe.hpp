// PeerProbe: after a failure, find out which peers are still there.
//
// A failed transport operation names only the peer it talked to, and a timeout only the
// peer it waited for, which may itself be waiting for the rank that died. So every rank
// runs a tiny liveness responder: a TCP listener on an ephemeral port whose thread reads the
// prober's rank and state from each connection, answers with its own rank and state
// (running, or failing: it has hit the failure itself and is about to exit) and closes it.
// A probe from a failing rank is also news: the responder remembers it
// (failure_reported_by), so a rank that is waiting quietly learns that the run is over. The
// listener's port and the host's IPv4 addresses are exchanged through the bootstrap at start,
// with the job's secret (harness/faults/peer_probe_wire.hpp): every probe and every answer carries
// it, and a message without it is ignored and counted (ignored()), so nobody outside the job
// can make a rank believe a peer failed, nor pass for a peer. The responder listens only on
// the advertised addresses and loopback (harness/faults/peer_probe_responder.hpp). After
// a failure a rank connects to every peer at once, with one deadline, and classifies each:
//   alive        answered with its rank, still running;
//   failing      answered, but it is stopping because of the failure too (not lost);
//   gone         its host refused the connection: the host is up, the process is not;
//   silent       the connection opened but no answer came: the process is stopped or hung;
//   unreachable  no connection within the deadline (or no route): host or link down.
// Peers on this host (same host name) are probed over loopback, others at the addresses
// they advertised, so probes travel only between the hosts of the job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "harness/faults/peer_probe_responder.hpp"
#include "harness/faults/peer_probe_wire.hpp"

namespace fb {

enum class PeerState { alive, failing, gone, silent, unreachable };
std::string_view to_string(PeerState state);

struct PeerVerdict {
  int rank = -1;
  std::string host;
  PeerState state = PeerState::alive;
  std::string detail;  // e.g. "connection refused", "no answer in 2.0 s"
};

// Where one rank's responder listens.
struct ProbeEndpoint {
  std::string host;
  std::vector<std::uint32_t> ipv4;  // network byte order, non-loopback interfaces that are up;
                                    // the responder listens on these and on loopback only
  std::uint16_t port = 0;
};

// The probe's wire format for the exchange, exposed for tests.
std::string encode_endpoint(const ProbeEndpoint& endpoint);
ProbeEndpoint decode_endpoint(const std::string& text);  // throws std::invalid_argument

class PeerProbe {
 public:
  // Collective: rank 0 draws the job's secret and shares it, every rank opens its responder
  // and learns everyone's endpoint.
  explicit PeerProbe(Bootstrap& bootstrap);
  // Not collective: for tests, a probe over explicit endpoints (`self` is this rank; its
  // endpoint's addresses are the ones listened on, besides loopback).
  PeerProbe(int self, std::vector<ProbeEndpoint> endpoints, const ProbeSecret& secret,
            bool start_responder, ResponderLimits limits = {});
  ~PeerProbe();
  PeerProbe(const PeerProbe&) = delete;
  PeerProbe& operator=(const PeerProbe&) = delete;

  int rank() const { return rank_; }
  const std::string& host() const { return host_; }
  const std::string& host_of(int rank) const;
  // This rank's responder endpoint (port 0 when not started).
  const ProbeEndpoint& endpoint() const { return mine_; }
  // Where the responder listens (network byte order; loopback first); empty when not started.
  std::vector<std::uint32_t> listening_addresses() const;
  // Messages ignored for want of the job's secret (or a well-formed body), received by the
  // responder or as answers to this rank's probes.
  const IgnoredProbes& ignored() const { return ignored_; }

  // Probes every other rank concurrently; returns within about `deadline`.
  std::vector<PeerVerdict> probe(std::chrono::milliseconds deadline) const;

  // From now on the responder answers "failing" and probes say so.
  void set_failing() { failing_.store(true); }
  // The first rank that probed this one while failing, or -1.
  int failure_reported_by() const { return failure_from_.load(); }
  // Waits until each of `ranks` has probed this rank at least once, or `deadline` passes;
  // true if all did. A failing rank lingers on this so that peers probing later do not
  // mistake its exit for the fault.
  bool wait_probed_by(const std::vector<int>& ranks, std::chrono::milliseconds deadline);

 private:
  void start_responder(const ResponderLimits& limits);
  void on_probed(int from, bool failing);

  int rank_ = 0;
  std::string host_;
  ProbeSecret secret_{};
  ProbeEndpoint mine_;
  std::vector<ProbeEndpoint> endpoints_;  // by rank
  std::atomic<bool> failing_{false};
  std::atomic<int> failure_from_{-1};
  std::mutex probed_mutex_;
  std::condition_variable probed_cv_;
  std::vector<bool> probed_by_;  // by rank: has probed this rank
  mutable IgnoredProbes ignored_;
  std::unique_ptr<ProbeResponder> responder_;  // last: its thread stops first
};

// The host name of this process (gethostname).
std::string local_host_name();

}  // namespace fb
