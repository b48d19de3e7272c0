#include "harness/rank_layout.hpp"

#include <algorithm>
#include <cstdlib>
#include <span>

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

int choose_nic(const topo::Host& host, int placed, int local_rank, const HostLocality& here) {
  if (host.nics.size() < 2 || !here.error.empty() || here.process_cpuset.empty()) return placed;
  std::vector<LocalDevice> found;  // the described NICs hwloc knows, in described order
  std::vector<int> described;      // their index in host.nics
  for (std::size_t i = 0; i < host.nics.size(); ++i) {
    const std::string& name = host.nics[i].name;
    const std::string device = name.substr(0, name.find(':'));
    if (device.empty()) continue;
    const auto it = std::find_if(here.nics.begin(), here.nics.end(), [&](const LocalDevice& d) {
      return d.name == device || (!d.netdev.empty() && d.netdev == device);
    });
    if (it == here.nics.end()) continue;
    found.push_back(*it);
    described.push_back(static_cast<int>(i));
  }
  // A described NIC hwloc does not see has no known place: prefer none over it.
  if (found.size() < host.nics.size()) return placed;
  const auto closest = closest_devices(found, here.process_cpuset);
  // Every NIC as close as the rest, as for an unbound process: nothing to prefer.
  if (closest.empty() || closest.size() == found.size()) return placed;
  const auto pick = closest[static_cast<std::size_t>(local_rank) % closest.size()];
  return described[static_cast<std::size_t>(pick)];
}

std::string choose_gpu(int local_rank, const HostLocality& here) {
  const auto closest = closest_devices(here.gpus, here.process_cpuset);
  if (closest.empty() || closest.size() == here.gpus.size()) return "";
  const auto pick = closest[static_cast<std::size_t>(local_rank) % closest.size()];
  return here.gpus[static_cast<std::size_t>(pick)].pci_bus_id;
}

void choose_nics(JobPlacement& job, Bootstrap& bootstrap, const HostLocality& here) {
  if (!job.described) return;
  auto& ranks = job.placement.ranks;
  const auto& mine = ranks.at(static_cast<std::size_t>(bootstrap.rank()));
  const int chosen = mine.nic < 0
                         ? mine.nic
                         : choose_nic(job.model->hosts[static_cast<std::size_t>(mine.host)],
                                      mine.nic, mine.local_rank, here);
  std::vector<int> all(ranks.size(), -1);
  bootstrap.allgather(std::as_bytes(std::span(&chosen, 1)), std::as_writable_bytes(std::span(all)));
  for (std::size_t r = 0; r < ranks.size(); ++r)
    ranks[r].nic = all[r];
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
  // The verbs transport takes it when it names an RDMA device (verbs_options.hpp).
  // NOLINTNEXTLINE(concurrency-mt-unsafe): likewise
  setenv("FB_TOPOLOGY_NIC_NAME", nic.c_str(), 1);
}

}  // namespace fb
