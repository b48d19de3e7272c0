#include "harness/output_path.hpp"

#include <filesystem>

#include "harness/provenance.hpp"

namespace fb {

std::string default_output_path() {
  std::string stamp = utc_timestamp_iso8601();
  for (auto& c : stamp) {
    if (c == ':') c = '-';
  }
  const std::filesystem::path base =
      std::filesystem::path("fabricbench-results") / ("run-" + stamp);
  std::filesystem::path path = base.string() + ".h5";
  for (int i = 2; std::filesystem::exists(path); ++i) {
    path = base.string() + "-" + std::to_string(i) + ".h5";
  }
  return path.string();
}

}  // namespace fb
