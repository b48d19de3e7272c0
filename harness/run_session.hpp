// What `run` and `p2p` share around their measurements: the results file opened on rank 0
// with every rank learning the verdict, the progress line's switch, the fault reporter's
// wiring for the length of a run, and how a run ends (the file's final status, the one line
// a failure prints, the exit code).
#pragma once

#include <chrono>
#include <cstdint>
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

// How a `run` or `p2p` measurement ended, as every rank knows it.
struct RunEnd {
  int stop_signal = 0;       // the signal that stopped it at a point boundary, or 0
  bool nothing_ran = false;  // every series was skipped: nothing of the plan can run here
  std::int64_t wrong = 0;    // elements (run --check) or payload bytes (p2p) that arrived wrong
  const char* wrong_unit = "wrong results";  // "... found <wrong> <wrong_unit>"
  bool links_flagged = false;                // p2p matrix: a link below the threshold
};

// What a run's results file offers finish_run.
struct RunFile {
  std::string path;                                    // rank 0
  std::function<void(const std::string&)> set_status;  // rank 0: the file's final status
  std::function<bool()> write_failed;                  // every rank, may be collective
  std::function<std::string()> failure;                // rank 0: why, in one phrase
};

// Ends a run on every rank: rank 0 records the file's final status ("complete",
// "interrupted by SIG...", "failed: nothing in the plan can run here") and prints the one
// error line; every rank returns the same exit code, the first that applies of
// kExitResultsFile, kExitInterrupted, kExitBadInput (nothing ran), kExitWrongResult,
// kExitLinkFlagged, kExitOk.
int finish_run(const RunEnd& end, const RunFile& file, int rank);

}  // namespace fb
