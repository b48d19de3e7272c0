// `fabricbench qualify` under mpirun: measures what a profile's rules need into one results
// file, judges it, re-measures inconclusive points within the profile's budget, and reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "analysis/qualify.hpp"
#include "analysis/qualify_profile.hpp"
#include "core/bootstrap.hpp"
#include "harness/faults/fault.hpp"

namespace fb {

struct QualifyOptions {
  std::string profile;                   // --profile: a shipped name or a path
  std::optional<double> line_rate_Gbps;  // --line-rate
  std::string from;                      // --from FILE: judge it, no measurement
  bool record = false;                   // --record: with --from, add /verdicts to FILE
  std::string out;                       // --out
  bool overwrite = false;                // --overwrite
  std::string json;                      // --json FILE
  std::string junit;                     // --junit FILE
  std::string transport;                 // --transport (measuring: default ucx)
  int window = 16;                       // --window: messages in flight (bandwidth)
  std::int64_t warmup = 3;               // --warmup: untimed iterations per point
  double timeout_s = 60;                 // --timeout
  std::string command_line;
};

// Writes the table to stdout and the --json and --junit files; returns the exit code of the
// verdict (0 PASS or WARN, kExitVerdictFail, kExitInconclusive), or kExitResultsFile when
// a report file cannot be written.
int report_verdicts(const analysis::QualifyReport& report, const QualifyOptions& options,
                    const std::string& results_file);

// Collective over all ranks; returns the exit code every rank exits with.
int run_qualify(const QualifyOptions& options, const analysis::Profile& profile,
                Bootstrap& bootstrap, FaultReporter& faults);

}  // namespace fb
