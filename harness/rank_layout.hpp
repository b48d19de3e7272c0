// The job on the fabric's model: where every rank sits (--topology, or the flat model from
// the ranks' host names), the layout each group of ranks runs its rings and trees in
// (--rank-order), what the results file records of it, and the NIC each rank drives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/cli/options.hpp"
#include "results/results.hpp"
#include "topologies/topology.hpp"
#include "transports/host_locality.hpp"

namespace fb {

struct JobPlacement {
  std::shared_ptr<const topo::Topology> model;  // --topology's, or the flat one
  bool described = false;                       // from --topology
  std::vector<std::string> hostnames;           // per rank
  topo::Placement placement;
};

// From every rank's host name (the same on every rank). Throws PlanError naming the first
// rank whose host the description lacks.
JobPlacement place_job(const CommonOptions& options, const std::vector<std::string>& hostnames);

// The layout of the ranks `members` (world ranks, ascending; a group's rank i is members[i])
// in `order`, numbered as the group numbers them; `description` gets a sentence for the
// series' descriptions.
std::shared_ptr<const topo::RankLayout> group_layout(const JobPlacement& job,
                                                     const std::vector<int>& members,
                                                     topo::RankOrder order, std::uint64_t seed,
                                                     std::string& description);

// The series name suffix of an order (".topology_order"; empty for rank order).
std::string rank_order_suffix(topo::RankOrder order);

// The NIC (index into host.nics) a rank with local rank `local_rank` drives: among the
// described NICs that hwloc finds on this host (a name, before any ":port", equal to the
// device's name or interface), the ones closest to this process's CPU binding, taken in turn
// by local rank; so ranks bound to one socket drive that socket's NICs. `placed` (local
// rank mod the NIC count) when hwloc does not find every described NIC, or finds them all
// as close, as it does for an unbound process.
int choose_nic(const topo::Host& host, int placed, int local_rank, const HostLocality& here);

// The GPU a rank with local rank `local_rank` uses, as its PCI bus id: among the GPUs hwloc
// finds on this host, the ones closest to this process's CPU binding, taken in turn by local
// rank, so ranks bound to one socket use that socket's GPUs. Empty when hwloc finds no GPU,
// or finds them all as close (an unbound process): the caller keeps local rank modulo the
// devices.
std::string choose_gpu(int local_rank, const HostLocality& here);

// Every rank's choose_nic for its host, gathered so that every rank's placement (and the
// results file) names the NIC each rank drives. Collective. A description without NICs
// changes nothing.
void choose_nics(JobPlacement& job, Bootstrap& bootstrap, const HostLocality& here);

// Root attributes of the results file: the model (canonical JSON) and per rank its model
// host, NIC and rail.
void record_placement(const JobPlacement& job, results::RunInfo& info);

// With a description that names this rank's NIC, UCX is told to use that device (and only
// it) unless FB_TOPOLOGY_NIC=off: UCX_NET_DEVICES is set before any transport starts, and
// FB_TOPOLOGY_NIC_NAME, which the verbs transport follows when it names an RDMA device
// (and no FB_VERBS_OPTIONS device list overrides it).
void pin_nic(const JobPlacement& job, int rank);

}  // namespace fb
