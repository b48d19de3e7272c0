#include "harness/run_session.hpp"

#include <unistd.h>

#include <cstdint>
#include <utility>
#include <vector>

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

}  // namespace fb
