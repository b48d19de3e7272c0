#include "harness/rank_layout.hpp"

#include <cstdlib>

#include "harness/plan.hpp"

namespace fb {

JobPlacement place_job(const CommonOptions& options, const std::vector<std::string>& hostnames) {
  JobPlacement job;
  job.described = options.topology != nullptr;
  job.model = job.described
                  ? options.topology
                  : std::make_shared<const topo::Topology>(topo::flat_topology(hostnames));
  job.hostnames = hostnames;
  try {
    job.placement = topo::place_ranks(*job.model, hostnames);
  } catch (const topo::TopologyError& e) {
    throw PlanError(std::string("--topology: ") + e.what());
  }
  return job;
}

std::shared_ptr<const topo::RankLayout> group_layout(const JobPlacement& job,
                                                     const std::vector<int>& members,
                                                     topo::RankOrder order, std::uint64_t seed,
                                                     std::string& description) {
  std::vector<std::string> hosts;
  hosts.reserve(members.size());
  for (const int r : members)
    hosts.push_back(job.hostnames[static_cast<std::size_t>(r)]);
  const auto placement = topo::place_ranks(*job.model, hosts);
  const auto ring = topo::ring_order(*job.model, placement, order, seed);
  const auto crossings = topo::ring_crossings(*job.model, placement, ring);
  description = "ranks in ";
  description.append(topo::rank_order_name(order));
  description.append(" order");
  if (order == topo::RankOrder::random) description += " (seed " + std::to_string(seed) + ")";
  description += ", ring";
  constexpr std::size_t kShown = 64;
  for (std::size_t i = 0; i < ring.size() && i < kShown; ++i)
    description.append(" ").append(std::to_string(ring[i]));
  if (ring.size() > kShown) description += " ...";
  description += ": it leaves a host " + std::to_string(crossings.hosts) + " times and a leaf " +
                 std::to_string(crossings.leaves) + " times (topology from " + job.model->source +
                 ")";
  return std::make_shared<const topo::RankLayout>(topo::make_layout(placement, ring));
}

std::string rank_order_suffix(topo::RankOrder order) {
  if (order == topo::RankOrder::rank) return "";
  std::string suffix = ".";
  suffix.append(topo::rank_order_name(order));
  suffix.append("_order");
  return suffix;
}

void record_placement(const JobPlacement& job, results::RunInfo& info) {
  info.topology = topo::to_json(*job.model, -1);
  info.rank_hosts.clear();
  info.rank_nics.clear();
  info.rank_rails.clear();
  for (const auto& place : job.placement.ranks) {
    const auto& host = job.model->hosts[static_cast<std::size_t>(place.host)];
    info.rank_hosts.push_back(host.name);
    const auto* nic = place.nic >= 0 ? &host.nics[static_cast<std::size_t>(place.nic)] : nullptr;
    info.rank_nics.push_back(nic != nullptr ? nic->name : "");
    info.rank_rails.push_back(nic != nullptr ? nic->rail : -1);
  }
}

void pin_nic(const JobPlacement& job, int rank) {
  if (!job.described) return;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read and set at start-up, before any thread
  const char* off = std::getenv("FB_TOPOLOGY_NIC");
  if (off != nullptr && std::string(off) == "off") return;
  const auto& place = job.placement.ranks.at(static_cast<std::size_t>(rank));
  const auto& host = job.model->hosts[static_cast<std::size_t>(place.host)];
  if (place.nic < 0) return;
  const auto& nic = host.nics[static_cast<std::size_t>(place.nic)].name;
  if (nic.empty()) return;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before any transport or thread starts
  setenv("UCX_NET_DEVICES", nic.c_str(), 1);
}

}  // namespace fb
