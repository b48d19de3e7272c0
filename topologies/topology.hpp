// The fabric's shape: hosts and their NICs (rate, rail), switches in tiers, the links between
// switches, and where each rank of a job sits in it (host, local rank, NIC). Read from a YAML
// description, from Slurm's topology.conf, or made flat from the ranks' host names (docs/
// TOPOLOGY.md has the schema). Pure data and functions: nothing here measures or launches.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fb::topo {

// A description that cannot be read or does not hold together; the message names the file
// and what is wrong.
class TopologyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Nic {
  std::string name;         // the device name a transport takes ("mlx5_0:1", "fbf1"); may be empty
  int rail = 0;             // the plane it is cabled to; NIC k of a host is rail k by default
  double rate_Gbps = 0;     // of its link to the switch; 0 = unknown
  std::string switch_name;  // the switch it is cabled to; empty = unknown
};

struct Host {
  std::string name;
  std::vector<Nic> nics;  // at least one
};

struct Switch {
  std::string name;
  int tier = 0;  // 0: hosts attach (leaf); otherwise 1 + the highest tier it links down to
};

// A link between two switches; `lower` is on the lower tier.
struct Link {
  std::string lower, upper;
  double rate_Gbps = 0;  // 0 = unknown
};

struct Topology {
  std::string source;            // "yaml:PATH", "slurm:PATH" or "flat"
  std::vector<Host> hosts;       // in natural name order (h2 before h10)
  std::vector<Switch> switches;  // by tier, then natural name order
  std::vector<Link> links;       // by lower, then upper, natural name order

  // Index of the host named `name`, also matching a host name's first label ("n1" for
  // "n1.cluster"); -1 when absent.
  int find_host(std::string_view name) const;
  int find_switch(std::string_view name) const;
  // The leaf a host hangs from: the switch of its first NIC; empty when unknown.
  const std::string& leaf_of(int host) const;
  // Sum of a host's NIC rates (0 when any is unknown).
  double host_rate_Gbps(int host) const;
};

// "fbf-h[0-3,7],login1" -> fbf-h0 fbf-h1 fbf-h2 fbf-h3 fbf-h7 login1 (Slurm's host list
// syntax; zero padding kept: n[08-10] -> n08 n09 n10). Throws TopologyError on bad syntax.
std::vector<std::string> expand_hostlist(std::string_view list);

// Natural order: digit runs compare as numbers ("h2" < "h10").
bool natural_less(std::string_view a, std::string_view b);

// Readers. `source` is what the model records as its origin. Each checks the description
// (unknown switches, a host or switch named twice, cycles between switches, rates that are
// not rates) and throws TopologyError naming the first problem.
Topology parse_yaml_topology(std::string_view text, const std::string& source);
Topology parse_slurm_topology(std::string_view text, const std::string& source);
// `--topology` argument: "slurm:PATH" or the path of a YAML file.
Topology read_topology(const std::string& spec);
// No description: one host per distinct name, one unnamed NIC each, no switches.
Topology flat_topology(const std::vector<std::string>& hostnames);

// The model as canonical JSON ("format": "fabricbench-topology", "version": 1); the same
// fabric gives the same text whichever reader made it, but for "source".
std::string to_json(const Topology& topology, int indent = 2);

// Differences between two models of the same fabric, one sentence each; empty when they
// agree. What one side does not know (a rate of 0, an unnamed NIC) is not a difference.
std::vector<std::string> compare_topologies(const Topology& a, const Topology& b);

// Hosts in topology order: leaf by leaf, leaves in the order a depth-first walk from the top
// tier reaches them; hosts of a leaf in their natural order; hosts with no known leaf last.
std::vector<int> host_order(const Topology& topology);

// Where the ranks of a job sit.
struct RankPlace {
  int host = -1;       // index into Topology::hosts
  int local_rank = 0;  // among the ranks on that host, by rank
  int local_size = 1;
  int nic = -1;  // index into the host's NICs: local_rank mod its NIC count
};
struct Placement {
  std::vector<RankPlace> ranks;           // by rank
  std::vector<std::vector<int>> by_host;  // per host (model order), its ranks ascending
};
// From each rank's host name. Throws TopologyError naming the first rank whose host the
// description lacks.
Placement place_ranks(const Topology& topology, const std::vector<std::string>& rank_hosts);

// The order in which the ring visits the ranks (and trees number them).
enum class RankOrder : unsigned char { rank, topology, random };
const char* rank_order_name(RankOrder order);
// rank: 0..n-1. topology: hosts in host_order, each host's ranks together in local order, so
// a ring leaves a leaf once and a host once. random: a permutation drawn from `seed`
// (the same seed gives the same order on every machine).
std::vector<int> ring_order(const Topology& topology, const Placement& placement, RankOrder order,
                            std::uint64_t seed);

// How often a ring in `order` steps from one host to another, and from one leaf to another
// (each such step is one flow out of a host or up through a leaf's uplinks).
struct RingCrossings {
  int hosts = 0;
  int leaves = 0;
};
RingCrossings ring_crossings(const Topology& topology, const Placement& placement,
                             const std::vector<int>& order);

// What an algorithm needs to know of the layout: the ring order and the ranks of each host.
struct RankLayout {
  std::vector<int> order;               // a permutation of 0..n-1
  std::vector<std::vector<int>> hosts;  // hosts with ranks, in `order`'s host order; each
                                        // host's ranks in local order
  bool uniform() const;                 // every host has the same number of ranks
};
// The layout of ranks in `order` (hosts listed as the order first reaches them).
RankLayout make_layout(const Placement& placement, const std::vector<int>& order);
// Every rank on its own host, in rank order (what an algorithm assumes when told nothing).
RankLayout flat_layout(int n);

// The host pairing a bisection test runs that the description says is worst: hosts in
// topology order, the first half paired with the second half, so each pair crosses as high
// up the tree as the fabric allows. `hosts` are model host indices (an even count).
std::vector<std::pair<int, int>> worst_pairing(const Topology& topology,
                                               const std::vector<int>& hosts);
// A random one: `hosts` shuffled from `seed` (the same on every machine), the first half
// paired with the second half. An odd host out sits the pairing out.
std::vector<std::pair<int, int>> random_pairing(const std::vector<int>& hosts, std::uint64_t seed);
// The rank pairs of host pairs: local rank l of the first host with local rank l of the
// second, for every l both hosts have.
std::vector<std::pair<int, int>> rank_pairs(const Placement& placement,
                                            const std::vector<std::pair<int, int>>& host_pairs);

}  // namespace fb::topo
