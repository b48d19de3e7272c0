// Where results go, and opening the results file on rank 0.
#pragma once

#include <functional>
#include <string>

namespace fb {

// fabricbench-results/run-<UTC time>.h5 in the current directory, made unique with a
// numeric suffix if needed.
std::string default_output_path();

// What opening the results file is for: --out (a new file, or with --overwrite a replaced
// results file) or --resume (an existing file, reopened).
struct ResultsTarget {
  std::string requested;   // the option's value; empty: default_output_path()
  bool resume = false;     // reopen `requested` (--resume)
  bool overwrite = false;  // --overwrite
};

// Rank 0 only: creates the parent directories of the path and calls `open(path)`, which
// constructs the writer (throwing what results::Hdf5Writer throws). Sets `path` to the file
// used. Returns kExitOk; or, after printing one error line, kExitBadInput when the file was
// refused (exists, not a results file, in use, not a regular file) and kExitResultsFile when
// it could not be written. Directories it created for a file it could not create are removed.
int open_results_file(const ResultsTarget& target,
                      const std::function<void(const std::string& path)>& open, std::string& path);

}  // namespace fb
