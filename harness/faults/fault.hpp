// FaultReporter: the last thing a rank does when the run cannot go on because of a peer.
//
// A transport error, a transport timeout or the watchdog's deadline end the run on this
// rank. Before it exits, the rank probes every peer (harness/faults/peer_probe.hpp) and prints,
// besides its own error, which peers are lost and why, each by rank and host:
//   fabricbench: rank 2 (node07): error: ucx: receive (peer rank 1): timed out after 10000 ms
//   fabricbench: rank 2 (node07): lost peer: rank 3 on host node09: gone (10.0.0.9: ...)
// A rank that can reach no peer at all says its own host's link is the likely cause. Peers
// that are stopping because of the same failure answer "failing" and are not reported. Rank 0
// records the failure as the results file's status first (the completed points are already
// in the file). The rank lingers until the peers it found alive have probed it (bounded by the
// linger limit), so that they do not take its exit for a second fault. It then exits, without
// MPI_Abort, so that every surviving rank gets to say what it saw: exit code kExitPeerLost when a
// peer was found lost, else kExitFailure.
// Probe messages without the job's secret never change a rank's state; when there were any,
// the rank says how many, in its fault report or when the reporter goes at the end of the run:
//   fabricbench: rank 1 (node07): ignored 3 peer-probe connections not from this job (...)
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "harness/faults/peer_probe.hpp"

namespace fb {

class FaultReporter {
 public:
  // Collective (starts this rank's probe responder and exchanges endpoints).
  explicit FaultReporter(Bootstrap& bootstrap);
  // Prints the ignored-probe line, if any were ignored.
  ~FaultReporter();
  FaultReporter(const FaultReporter&) = delete;
  FaultReporter& operator=(const FaultReporter&) = delete;

  // Called with a one-line reason just before the process exits (rank 0: record the
  // status in the results file). Replaces the previous hook; pass {} to clear.
  void set_on_fatal(std::function<void(const std::string&)> hook);

  // How long a failing rank may linger after its own diagnosis, answering "failing" until
  // every peer it found alive has probed it (so they do not take its exit for the fault).
  // Set it to the run's --timeout + 7 s: every survivor diagnoses within that of the fault.
  void set_linger_limit(std::chrono::milliseconds limit) { linger_limit_ = limit; }

  // The lines fatal() prints after the error line; exposed for tests.
  struct Diagnosis {
    std::vector<std::string> lines;
    std::string summary;  // one line for the results file
    bool peer_lost = false;
    std::vector<int> answering;  // peers that answered (running or failing)
  };
  Diagnosis diagnose(std::chrono::milliseconds deadline) const;

  // Prints the error and the diagnosis, runs the hook, and ends the process. Thread safe:
  // the first caller wins (the watchdog thread and the main thread may race).
  [[noreturn]] void fatal(const std::string& error);

  const PeerProbe& probe() const { return probe_; }
  // Probe messages ignored so far for want of the job's secret (for the results file).
  std::uint64_t ignored_probe_messages() const { return probe_.ignored().total(); }
  // The line printed about them, without the rank prefix; "" when there were none.
  std::string ignored_probe_line() const;

 private:
  PeerProbe probe_;
  std::chrono::milliseconds linger_limit_{std::chrono::seconds(67)};
  std::mutex mutex_;
  std::function<void(const std::string&)> on_fatal_;
};

// How long fatal() waits for the peers' answers.
inline constexpr std::chrono::milliseconds kProbeDeadline{2000};

}  // namespace fb
