#include "harness/provenance.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <sched.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "gpu/cuda_env.hpp"
#include "transports/mpi_bootstrap.hpp"
#include "transports/ucx_transport.hpp"

#ifndef FB_VERSION
#define FB_VERSION "unknown"
#endif
#ifndef FB_GIT_REVISION
#define FB_GIT_REVISION "unknown"
#endif

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace fb {

std::string utc_timestamp_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text.data();
}

std::string cpu_binding() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return "unknown";
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE;) {
    if (!CPU_ISSET(cpu, &set)) {
      ++cpu;
      continue;
    }
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
      ++last;
    if (!out.empty()) out += ',';
    out += std::to_string(cpu);
    if (last > cpu) {
      out += '-';
      out += std::to_string(last);
    }
    cpu = last + 1;
  }
  return out;
}

std::vector<std::string> launch_environment() {
  static constexpr std::array<const char*, 5> kPrefixes = {"UCX_", "NCCL_", "OMPI_", "FI_",
                                                           "SLURM_"};
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    for (const char* prefix : kPrefixes) {
      if (entry.rfind(prefix, 0) == 0) {
        out.push_back(entry);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const HostLocality& this_host_locality() {
  static const HostLocality locality = detect_host_locality();
  return locality;
}

std::string locality_json(const HostLocality& locality) {
  auto devices = [](const std::vector<LocalDevice>& list) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& d : list) {
      out.push_back({{"name", d.name},
                     {"netdev", d.netdev},
                     {"pci_bus_id", d.pci_bus_id},
                     {"numa_node", d.numa_node},
                     {"cpuset", d.cpuset}});
    }
    return out;
  };
  auto name_of = [](const std::vector<LocalDevice>& list, int index) {
    return index >= 0 && static_cast<std::size_t>(index) < list.size()
               ? list[static_cast<std::size_t>(index)].name
               : std::string();
  };
  nlohmann::ordered_json j;
  j["nics"] = devices(locality.nics);
  j["gpus"] = devices(locality.gpus);
  j["process_cpuset"] = locality.process_cpuset;
  j["closest_nic"] = name_of(locality.nics, locality.closest_nic);
  j["closest_gpu"] = name_of(locality.gpus, locality.closest_gpu);
  if (!locality.error.empty()) j["error"] = locality.error;
  return j.dump();
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
  info.environment = launch_environment();
  auto env = [](const char* name) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up
    return std::string(value != nullptr ? value : "");
  };
  info.slurm_job_id = env("SLURM_JOB_ID");
  info.slurm_nodelist = env("SLURM_JOB_NODELIST");
  info.slurm_partition = env("SLURM_JOB_PARTITION");
  // A rank's local rank: how many lower ranks share its host.
  for (std::size_t r = 0; r < info.hostnames.size(); ++r) {
    info.local_ranks.push_back(static_cast<std::int64_t>(
        std::count(info.hostnames.begin(), info.hostnames.begin() + static_cast<std::ptrdiff_t>(r),
                   info.hostnames[r])));
  }
  info.cpu_bindings = bootstrap.allgather_strings(cpu_binding());
  info.rank_locality = bootstrap.allgather_strings(locality_json(this_host_locality()));
  // GPU provenance; never fatal (a machine without a GPU measures the rest).
  std::string device;
  if (gpu::kBuiltWithCuda) {
    try {
      info.cuda_runtime_version = gpu::cuda_runtime_version();
      info.nccl_version = gpu::nccl_version();
    } catch (const std::exception&) {
      // versions stay empty
    }
    if (gpu::cuda_availability().available) {
      try {
        const auto rank = static_cast<std::size_t>(bootstrap.rank());
        device = gpu::device_description(
            gpu::device_for_local_rank(static_cast<int>(info.local_ranks[rank])));
      } catch (const std::exception&) {
        device.clear();
      }
    }
  }
  info.cuda_devices = bootstrap.allgather_strings(device);
  return info;
}

}  // namespace fb
