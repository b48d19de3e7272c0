// What `fabricbench qualify` writes: the verdict table (stdout), the JSON document
// (results/VERDICTS.md), the JUnit XML and the record kept in the results file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/qualify.hpp"
#include "results/results.hpp"

namespace fb::analysis {

// The table: one line per check (verdict, check, statistic with its interval and level,
// warn and fail thresholds with units, samples, whom it concerns), the localisation
// findings, and a summary line with the counts and the overall verdict.
std::string format_verdict_table(const QualifyReport& report);

// `file`: the results file judged.
nlohmann::json verdicts_json(const QualifyReport& report, const std::string& file);

// One <testcase> per check: FAIL as <failure>, INCONCLUSIVE as <skipped> (not an error: the
// check ran but could not decide), PASS and WARN pass (WARN also carries a <system-out>).
// Properties: verdict, statistic, value, lower, upper, level, unit, warn_threshold,
// fail_threshold, samples, concerns.
std::string verdicts_junit(const QualifyReport& report);

// The record for the results file's /verdicts group.
results::VerdictSet verdict_set(const QualifyReport& report, const std::string& created_utc,
                                const std::string& command_line);

}  // namespace fb::analysis
