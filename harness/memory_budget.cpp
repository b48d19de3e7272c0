#include "harness/memory_budget.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/cli/size_parse.hpp"
#include "harness/faults/peer_probe.hpp"

namespace fb {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> read_number(const std::string& text) {
  std::uint64_t value = 0;
  const auto* begin = text.data();
  const auto* end = begin + text.size();
  while (begin != end && (*begin == ' ' || *begin == '\t'))
    ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || ptr == begin) return std::nullopt;
  return value;
}

std::string gib(std::uint64_t bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return text;
}

// This process's cgroup (v2: "0::/path"; v1: the memory controller's line).
std::optional<std::uint64_t> cgroup_room() {
  const auto self = read_text("/proc/self/cgroup");
  std::istringstream lines(self);
  std::string line;
  std::optional<std::uint64_t> room;
  while (std::getline(lines, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    std::string limit_file;
    std::string usage_file;
    if (controllers.empty()) {  // cgroup v2
      limit_file = "/sys/fs/cgroup" + path + "/memory.max";
      usage_file = "/sys/fs/cgroup" + path + "/memory.current";
    } else if (controllers.find("memory") != std::string::npos) {
      limit_file = "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes";
      usage_file = "/sys/fs/cgroup/memory" + path + "/memory.usage_in_bytes";
    } else {
      continue;
    }
    const auto limit = parse_cgroup_limit(read_text(limit_file));
    const auto usage = read_number(read_text(usage_file));
    if (!limit || !usage) continue;
    const std::uint64_t here = *limit > *usage ? *limit - *usage : 0;
    room = room ? std::min(*room, here) : here;
  }
  return room;
}

}  // namespace

std::uint64_t plan_memory_bytes(std::uint64_t max_bytes, const std::vector<SeriesPlan>& plan) {
  if (plan.empty()) return 0;
  // Two stores, plus up to one more buffer of scratch (ring's reduce-scatter work area,
  // Bruck's and the pipelined reduce's scratch, the MPI library's temporaries).
  return 3 * max_bytes;
}

std::optional<std::uint64_t> parse_mem_available(const std::string& meminfo) {
  std::istringstream lines(meminfo);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    auto kib = read_number(line.substr(13));
    if (!kib) return std::nullopt;
    return *kib * 1024;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_cgroup_limit(const std::string& text) {
  if (text.rfind("max", 0) == 0) return std::nullopt;
  auto value = read_number(text);
  // cgroup v1 reports "no limit" as a huge page-rounded number.
  if (value && *value >= (std::uint64_t{1} << 62)) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> available_memory_bytes() {
  auto available = parse_mem_available(read_text("/proc/meminfo"));
  const auto room = cgroup_room();
  if (room) available = available ? std::min(*available, *room) : *room;
  return available;
}

std::string memory_shortfall(const std::vector<MachineDemand>& ranks, std::uint64_t max_bytes) {
  struct Machine {
    std::string host;
    std::uint64_t need = 0;
    int ranks = 0;
    std::optional<std::uint64_t> available;
  };
  std::map<std::string, Machine> machines;
  for (const auto& r : ranks) {
    auto& m = machines[r.machine];
    if (m.host.empty()) m.host = r.host;
    m.need += r.need_bytes;
    ++m.ranks;
    if (r.available_bytes) {
      m.available = m.available ? std::min(*m.available, *r.available_bytes) : *r.available_bytes;
    }
  }
  for (const auto& [id, m] : machines) {
    if (!m.available || m.need <= *m.available) continue;
    return "the plan needs " + gib(m.need) + " of memory on host " + m.host + " (" +
           std::to_string(m.ranks) + (m.ranks == 1 ? " rank" : " ranks") + " x " +
           gib(m.need / static_cast<std::uint64_t>(m.ranks)) + ": send and receive buffers of " +
           format_size(max_bytes) + " and as much scratch), but only " + gib(*m.available) +
           " is available (MemAvailable and the cgroup limit); lower -e/--max-bytes or use "
           "fewer ranks per host";
  }
  return {};
}

std::string check_memory(Bootstrap& bootstrap, std::uint64_t max_bytes,
                         const std::vector<SeriesPlan>& plan) {
  const auto need = plan_memory_bytes(max_bytes, plan);
  const auto available = available_memory_bytes();
  // "boot-id host need available(or -)" per rank.
  const std::string mine = kernel_boot_id() + ' ' + local_host_name() + ' ' + std::to_string(need) +
                           ' ' + (available ? std::to_string(*available) : std::string("-"));
  std::vector<MachineDemand> demands;
  for (const auto& text : bootstrap.allgather_strings(mine)) {
    std::istringstream in(text);
    MachineDemand d;
    std::string avail;
    in >> d.machine >> d.host >> d.need_bytes >> avail;
    if (avail != "-") d.available_bytes = read_number(avail);
    demands.push_back(std::move(d));
  }
  return memory_shortfall(demands, max_bytes);
}

}  // namespace fb
