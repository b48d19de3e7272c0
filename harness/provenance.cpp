#include "harness/provenance.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <ctime>

#include "transports/mpi_bootstrap.hpp"
#include "transports/ucx_transport.hpp"

#ifndef FB_VERSION
#define FB_VERSION "unknown"
#endif
#ifndef FB_GIT_REVISION
#define FB_GIT_REVISION "unknown"
#endif

namespace fb {

std::string utc_timestamp_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text.data();
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

results::RunInfo collect_run_info(Bootstrap& bootstrap, const std::string& command_line) {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  results::RunInfo info;
  info.tool_version = FB_VERSION;
  info.git_revision = FB_GIT_REVISION;
  info.created_utc = utc_timestamp_iso8601();
  info.command_line = command_line;
  info.world_size = bootstrap.size();
  info.hostnames = bootstrap.allgather_strings(host.data());
  info.mpi_version = mpi_library_version();
  info.ucx_version = ucx_library_version();
  info.hdf5_version = results::hdf5_library_version();
  return info;
}

}  // namespace fb
