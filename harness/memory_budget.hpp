// Will the plan fit? Before any buffer is allocated, every rank estimates what it will hold at
// the largest size and the ranks that share a machine add theirs up; a plan the machine cannot
// hold is refused with the figures (exit 2) instead of being ended by the kernel's OOM killer
// minutes later.
//
// Per rank, at the largest size M: the send and receive stores (2 M, touched when allocated)
// plus the largest scratch any planned algorithm keeps (our pipelined algorithms and the MPI
// library's own collectives keep up to M more), so 3 M in all. Device buffers live on the GPU
// and are not counted. Available memory is MemAvailable from /proc/meminfo, lowered to what
// this process's cgroup still allows (cgroup v2 memory.max - memory.current, or v1
// memory.limit_in_bytes - memory.usage_in_bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bootstrap.hpp"
#include "harness/plan.hpp"

namespace fb {

// Bytes one rank needs for the plan at max_bytes.
std::uint64_t plan_memory_bytes(std::uint64_t max_bytes, const std::vector<SeriesPlan>& plan);

// Bytes this machine can still give (nullopt when it cannot be read).
std::optional<std::uint64_t> available_memory_bytes();
// Parsers, exposed for tests: MemAvailable in a /proc/meminfo text; a cgroup limit file
// ("max" = none).
std::optional<std::uint64_t> parse_mem_available(const std::string& meminfo);
std::optional<std::uint64_t> parse_cgroup_limit(const std::string& text);

struct MachineDemand {
  std::string machine;  // kernel boot id: ranks that share it share the memory
  std::string host;     // for the message
  std::uint64_t need_bytes = 0;
  std::optional<std::uint64_t> available_bytes;
};
// Why the plan does not fit (one line with the figures), or "" when it does. Pure: takes
// every rank's demand.
std::string memory_shortfall(const std::vector<MachineDemand>& ranks, std::uint64_t max_bytes);

// Collective: every rank's demand is shared; returns the same verdict on every rank.
std::string check_memory(Bootstrap& bootstrap, std::uint64_t max_bytes,
                         const std::vector<SeriesPlan>& plan);

}  // namespace fb
