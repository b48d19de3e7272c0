// What `run` and `p2p` share around their measurements: the results file opened on rank 0
// with every rank learning the verdict, the progress line's switch, and the fault reporter's
// wiring for the length of a run.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/bootstrap.hpp"
#include "harness/cli/options.hpp"
#include "harness/faults/fault.hpp"
#include "harness/output_path.hpp"

namespace fb {

// Collective. Rank 0 creates (or, resuming, reopens) the results file through `open`
// (harness/output_path.hpp) and decides alone whether that worked; every rank learns the
// verdict before anything waits on the file. Returns kExitOk, or the code every rank exits
// with (rank 0 printed the one error line). Sets `path` on rank 0.
int open_results_everywhere(Bootstrap& bootstrap, const ResultsTarget& target,
                            const std::function<void(const std::string& path)>& open,
                            std::string& path);

// Whether this rank draws the progress line: rank 0 only, when asked to, or by default when
// stderr is a terminal.
bool draws_progress(Progress progress, int rank);

// The fault reporter's wiring for one run: how long a failing rank lingers (--timeout + 7 s:
// every survivor diagnoses within that of the fault) and, once the results file is open,
// rank 0's hook that records a fatal failure as the file's status. The hook is cleared when
// the wiring goes, or earlier by disarm(), before the file goes.
class FaultWiring {
 public:
  FaultWiring(FaultReporter* faults, std::chrono::milliseconds timeout);
  ~FaultWiring();
  FaultWiring(const FaultWiring&) = delete;
  FaultWiring& operator=(const FaultWiring&) = delete;

  // Rank 0: `record_status(why)` runs just before a fatal failure ends the process.
  void record_failures_with(std::function<void(const std::string&)> record_status);
  void disarm();

 private:
  FaultReporter* faults_;
};

}  // namespace fb
