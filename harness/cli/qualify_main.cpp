// `fabricbench qualify`: options, the profile, and either judging an existing file (--from,
// no MPI) or measuring under mpirun (harness/qualify_run.cpp). See docs/ANALYSIS.md.
#include "harness/cli/qualify_main.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/qualify.hpp"
#include "analysis/qualify_output.hpp"
#include "analysis/qualify_profile.hpp"
#include "core/rate_parse.hpp"
#include "harness/cli/options.hpp"
#include "harness/launch.hpp"
#include "harness/provenance.hpp"
#include "harness/qualify_run.hpp"
#include "results/results.hpp"

#ifndef FB_SOURCE_PROFILES
#define FB_SOURCE_PROFILES ""
#endif
#ifndef FB_INSTALLED_PROFILES
#define FB_INSTALLED_PROFILES ""
#endif

namespace fb {

namespace {

class QualifyBadInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string quoted_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) out += ' ';
    const std::string a = argv[i];
    const bool plain = !a.empty() && a.find_first_of(" \t'\"\\$`") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

// Where shipped profiles are looked up by name, in order: $FABRICBENCH_PROFILE_DIR, the
// source tree this binary was built from, the installed share directory.
std::vector<std::filesystem::path> profile_search_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("FABRICBENCH_PROFILE_DIR"); env != nullptr && *env != '\0')
    dirs.emplace_back(env);
  for (const char* dir : {FB_SOURCE_PROFILES, FB_INSTALLED_PROFILES}) {
    if (*dir != '\0') dirs.emplace_back(dir);
  }
  return dirs;
}

analysis::Profile resolve_profile(const QualifyOptions& o) {
  if (o.profile == "generic") {
    if (!o.line_rate_Gbps) {
      throw QualifyBadInput("the generic profile needs --line-rate (e.g. --line-rate 400Gb)");
    }
    return analysis::generic_profile(*o.line_rate_Gbps);
  }
  const auto dirs = profile_search_dirs();
  const auto file = analysis::find_profile(o.profile, dirs);
  if (!file) {
    std::string where;
    for (const auto& d : dirs)
      where += (where.empty() ? "" : ", ") + d.string();
    throw QualifyBadInput("--profile: no profile '" + o.profile + "' (not a file, and no " +
                          o.profile + ".yaml in " + (where.empty() ? "no directory" : where) +
                          "; 'generic' is built in)");
  }
  return analysis::load_profile(*file, o.line_rate_Gbps);
}

QualifyOptions parse(int argc, char** argv, bool& help, std::string& help_text) {
  QualifyOptions o;
  CLI::App app(
      "Judges a fabric against a profile: measured (under mpirun or srun), or from "
      "an existing results file (--from, no MPI). See docs/ANALYSIS.md.",
      "fabricbench qualify");
  std::string line_rate;
  app.add_option("--profile", o.profile,
                 "A shipped profile (hdr200, ndr400, xdr800, roce100, roce200, roce400, "
                 "roce800), generic (with --line-rate), or a YAML file")
      ->required();
  app.add_option("--line-rate", line_rate,
                 "Line rate per NIC, e.g. 400Gb or 50GB/s: the generic profile's, or replaces "
                 "the profile's");
  app.add_option("--from", o.from, "Judge this results file instead of measuring (no MPI)");
  app.add_flag("--record", o.record, "With --from: also write the verdicts into that file");
  app.add_option("--out", o.out, "Results file to create (default under fabricbench-results/)");
  app.add_flag("--overwrite", o.overwrite, "--out may replace an existing fabricbench file");
  app.add_option("--json", o.json, "Write the verdicts as JSON (results/VERDICTS.md)");
  app.add_option("--junit", o.junit, "Write the verdicts as JUnit XML (one testcase per check)");
  app.add_option("--transport", o.transport,
                 "Transport to measure over (default ucx); with --from, judge only its series");
  app.add_option("--window", o.window, "Bandwidth tests: messages in flight per iteration")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Untimed iterations before each point")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "Seconds a transport wait may take")
      ->capture_default_str();
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp&) {
    help = true;
    help_text = app.help();
    return o;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    throw QualifyBadInput(what + " (see 'fabricbench qualify --help')");
  }
  if (!line_rate.empty()) {
    std::string why;
    o.line_rate_Gbps = parse_rate_Gbps(line_rate, &why);
    if (!o.line_rate_Gbps) throw QualifyBadInput("--line-rate: " + why);
  }
  if (o.record && o.from.empty()) throw QualifyBadInput("--record goes with --from");
  if (!o.from.empty() && (!o.out.empty() || o.overwrite)) {
    throw QualifyBadInput(
        "--from judges an existing file; --out and --overwrite are for measuring");
  }
  if (o.window < 1) throw QualifyBadInput("--window must be at least 1");
  if (o.warmup < 0) throw QualifyBadInput("--warmup must not be negative");
  if (!(o.timeout_s > 0) || o.timeout_s > kMaxTimeoutSeconds) {
    throw QualifyBadInput("--timeout must be above 0 and at most a week");
  }
  if (o.from.empty() && o.transport.empty()) o.transport = "ucx";
  o.command_line = quoted_command_line(argc, argv);
  return o;
}

// --from: judge the file; with --record, add the verdicts to it.
int judge_file(const QualifyOptions& o, const analysis::Profile& profile) {
  results::FileData data;
  try {
    data = results::read_file(o.from);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench: error: --from: %s\n", e.what());
    return kExitBadInput;
  }
  analysis::QualifyReport report;
  try {
    report = analysis::evaluate(profile, data, o.transport);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench: error: --from: cannot judge %s: %s\n", o.from.c_str(),
                 e.what());
    return kExitBadInput;
  }
  const int code = report_verdicts(report, o, o.from);
  if (o.record) {
    try {
      results::record_verdicts(
          o.from, "qualify." + profile.name,
          analysis::verdict_set(report, utc_timestamp_iso8601(), o.command_line));
      std::printf("# verdicts recorded in %s (/verdicts/qualify.%s)\n", o.from.c_str(),
                  profile.name.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fabricbench: error: --record: %s\n", e.what());
      return kExitResultsFile;
    }
  }
  return code;
}

}  // namespace

int qualify_main(int argc, char** argv) {
  // Every rank parses; only the launcher's rank 0 prints a rejection.
  const bool speaker = launcher_rank() == 0;
  QualifyOptions options;
  analysis::Profile profile;
  try {
    bool help = false;
    std::string help_text;
    options = parse(argc, argv, help, help_text);
    if (help) {
      if (speaker) std::printf("%s", help_text.c_str());
      return kExitOk;
    }
    profile = resolve_profile(options);
  } catch (const QualifyBadInput& e) {
    if (speaker) std::fprintf(stderr, "fabricbench: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const analysis::ProfileError& e) {
    if (speaker) std::fprintf(stderr, "fabricbench: error: profile %s\n", e.what());
    return kExitBadInput;
  }
  if (!options.from.empty()) return judge_file(options, profile);

  return run_on_every_rank(argc, argv, [&](Bootstrap& bootstrap, FaultReporter& faults) {
    return run_qualify(options, profile, bootstrap, faults);
  });
}

}  // namespace fb
