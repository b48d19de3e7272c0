#include "harness/output_path.hpp"

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

#include "harness/cli/options.hpp"
#include "harness/provenance.hpp"
#include "results/results.hpp"

namespace fb {

namespace fs = std::filesystem;

std::string default_output_path() {
  std::string stamp = utc_timestamp_iso8601();
  for (auto& c : stamp) {
    if (c == ':') c = '-';
  }
  const fs::path base = fs::path("fabricbench-results") / ("run-" + stamp);
  fs::path path = base.string() + ".h5";
  for (int i = 2; fs::exists(path); ++i) {
    path = base.string() + "-" + std::to_string(i) + ".h5";
  }
  return path.string();
}

namespace {

// The missing directories above `path`, outermost first.
std::vector<fs::path> missing_parents(const fs::path& path) {
  std::vector<fs::path> missing;
  std::error_code error;
  for (fs::path dir = path.parent_path(); !dir.empty() && !fs::exists(dir, error);
       dir = dir.parent_path()) {
    missing.insert(missing.begin(), dir);
    if (dir == dir.parent_path()) break;
  }
  return missing;
}

int report(const char* what, const std::string& message, int code) {
  std::fprintf(stderr, "fabricbench: error: %s%s\n", what, message.c_str());
  std::fflush(stderr);
  return code;
}

}  // namespace

int open_results_file(const ResultsTarget& target,
                      const std::function<void(const std::string& path)>& open, std::string& path) {
  const char* option = target.resume ? "--resume " : "--out ";
  const bool chosen_here = target.requested.empty();
  path = chosen_here ? default_output_path() : target.requested;
  const std::vector<fs::path> created = missing_parents(path);
  const auto remove_created = [&created] {
    std::error_code ignored;
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      fs::remove(*it, ignored);  // only when empty
    }
  };
  try {
    if (!created.empty()) fs::create_directories(created.back());
    // Two runs may pick the same default name in the same second: the loser takes the next.
    for (int attempt = 0;; ++attempt) {
      try {
        open(path);
        return kExitOk;
      } catch (const results::ResultsFileExists&) {
        if (!chosen_here || attempt >= 100) throw;
        path = default_output_path();
      }
    }
  } catch (const results::ResultsFileExists& e) {
    remove_created();
    return report(
        option,
        std::string(e.what()) + "; not touched (--overwrite replaces a fabricbench results file)",
        kExitBadInput);
  } catch (const results::ResultsFileRefused& e) {
    remove_created();
    return report(option, std::string(e.what()) + "; not touched", kExitBadInput);
  } catch (const std::exception& e) {
    remove_created();
    return report(
        target.resume ? "cannot reopen the results file: " : "cannot create the results file: ",
        e.what(), kExitResultsFile);
  }
}

}  // namespace fb
