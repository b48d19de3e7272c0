#include "harness/run_session.hpp"

#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include "harness/signals.hpp"

namespace fb {

int open_results_everywhere(Bootstrap& bootstrap, const ResultsTarget& target,
                            const std::function<void(const std::string& path)>& open,
                            std::string& path) {
  std::vector<std::int64_t> verdict{kExitOk};
  if (bootstrap.rank() == 0) verdict[0] = open_results_file(target, open, path);
  bootstrap.allreduce_sum(verdict);  // only rank 0 contributes
  return static_cast<int>(verdict[0]);
}

bool draws_progress(Progress progress, int rank) {
  return rank == 0 && (progress == Progress::on ||
                       (progress == Progress::automatic && isatty(STDERR_FILENO) != 0));
}

FaultWiring::FaultWiring(FaultReporter* faults, std::chrono::milliseconds timeout)
    : faults_(faults) {
  if (faults_ != nullptr) faults_->set_linger_limit(timeout + std::chrono::seconds(7));
}

FaultWiring::~FaultWiring() {
  disarm();
}

void FaultWiring::record_failures_with(std::function<void(const std::string&)> record_status) {
  if (faults_ != nullptr) faults_->set_on_fatal(std::move(record_status));
}

void FaultWiring::disarm() {
  if (faults_ != nullptr) faults_->set_on_fatal({});
}

int finish_run(const RunEnd& end, const RunFile& file, int rank) {
  const bool lead = rank == 0;
  const std::string stopped =
      end.stop_signal != 0 ? "interrupted by " + signal_name(end.stop_signal) : std::string();
  if (lead) {
    file.set_status(!stopped.empty()  ? stopped
                    : end.nothing_ran ? std::string("failed: nothing in the plan can run here")
                                      : std::string("complete"));
  }
  // The last write (the status included) may have failed: every rank learns it.
  if (file.write_failed()) {
    if (lead) std::fprintf(stderr, "fabricbench: error: %s\n", file.failure().c_str());
    return kExitResultsFile;
  }
  if (!stopped.empty()) {
    if (lead) {
      std::fprintf(stderr, "fabricbench: %s; every completed point is in %s\n", stopped.c_str(),
                   file.path.c_str());
    }
    return kExitInterrupted;
  }
  if (end.nothing_ran) {
    if (lead) {
      std::fprintf(stderr,
                   "fabricbench: error: nothing in the plan can run here (every series was "
                   "skipped; the reasons are above and in %s)\n",
                   file.path.c_str());
    }
    return kExitBadInput;
  }
  if (end.wrong > 0) {
    if (lead) {
      std::fprintf(stderr, "fabricbench: error: the check found %" PRId64 " %s\n", end.wrong,
                   end.wrong_unit);
    }
    return kExitWrongResult;
  }
  if (end.links_flagged) {
    if (lead)
      std::fprintf(stderr, "fabricbench: links below the threshold (see SLOW LINK lines)\n");
    return kExitLinkFlagged;
  }
  return kExitOk;
}

}  // namespace fb
