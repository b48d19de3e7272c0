// `fabricbench run` options and their parsing. Parsing happens before MPI starts, so bad
// input ends the program with one error line and exit code 2 before any rank measures.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectives/algorithm.hpp"
#include "core/types.hpp"
#include "harness/cli/choice.hpp"
#include "harness/p2p/p2p_bench.hpp"
#include "harness/timing.hpp"
#include "topologies/topology.hpp"

namespace fb {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // measurement failed (timeout, transport error)
inline constexpr int kExitBadInput = 2;      // command line rejected
inline constexpr int kExitWrongResult = 3;   // --check found mismatching elements
inline constexpr int kExitLinkFlagged = 4;   // p2p matrix: a link below the threshold
inline constexpr int kExitInterrupted = 5;   // SIGTERM/SIGINT/SIGUSR1: stopped at a point boundary
inline constexpr int kExitPeerLost = 6;      // a peer rank or host was lost mid-run (probed)
inline constexpr int kExitResultsFile = 7;   // the results file could not be written
inline constexpr int kExitVerdictFail = 8;   // qualify: a check failed
inline constexpr int kExitInconclusive = 9;  // qualify: no check failed, one or more inconclusive
inline constexpr int kExitSlower = 10;       // compare --fail-if-slower: B slower than allowed

// The longest --timeout accepted, in seconds (a week).
inline constexpr double kMaxTimeoutSeconds = 7 * 86400;

// The name that asks for the size-dependent choice (collectives/auto_select.hpp).
inline constexpr const char* kAutoAlgorithm = "auto";

// Progress line on stderr: auto = when stderr is a terminal (under mpirun it is a pipe, so
// launch scripts pass --progress on when theirs is one).
enum class Progress { automatic, on, off };

// What `run` and `p2p` share: the transports, the size sweep, the iteration counts, the wait
// limit, the progress line and the results file.
struct CommonOptions {
  Selection<std::string> transports{{"ucx", "mpi"}};
  std::uint64_t min_bytes = 8;
  std::uint64_t max_bytes = 64ULL << 20;
  std::uint64_t step_factor = 2;
  std::int64_t iters = 20;
  std::int64_t warmup = 5;
  double timeout_s = 60;
  Progress progress = Progress::automatic;
  std::string out;         // empty: a new file under fabricbench-results/
  bool overwrite = false;  // --out may replace an existing fabricbench results file
  std::string command_line;
  // --topology: the fabric's description, read and checked before the ranks start; null
  // without one (the model is then the flat one from the ranks' host names).
  std::shared_ptr<const topo::Topology> topology;
};

// `fabricbench run` options.
struct RunOptions : CommonOptions {
  using Progress = fb::Progress;
  Selection<Collective> collectives{{Collective::allreduce}};
  Selection<std::string> algorithms{{"ring", "tree", "mpi"}};
  Selection<DType> dtypes{{DType::float32}};
  Selection<ReduceOp> ops{{ReduceOp::sum}};
  enum class Placement { out_of_place, in_place, both } placement = Placement::out_of_place;
  std::optional<int> root = 0;  // nullopt: every rank in turn (--root all)
  int debug_corrupt_rank = -1;  // >= 0: flip one output element there before checking
  bool check = false;
  // How timed iterations become samples (harness/timing.hpp).
  TimingMethod timing = TimingMethod::iteration;
  std::string resume;  // a file of an earlier run: measure only the points it lacks
  // Topology sweep (harness/subsets.hpp): node counts to measure on, one series each; empty
  // with node_sweep false: the whole job. ranks_per_node 0: every rank of each node.
  std::vector<int> nodes;
  bool node_sweep = false;  // --nodes sweep: 2, 4, 8, ... and every node
  int ranks_per_node = 0;
  // --placement: which nodes a subset of M takes, one set of subsets each (harness/subsets.hpp).
  // first: the job's first M nodes; packed: within as few leaves as they fit, rank 0's
  // first; spread: one per leaf in turn. placement_given: the option was used, so the subset
  // series carry it in their names and parameters.
  enum class NodePlacement : unsigned char { first, packed, spread };
  std::vector<NodePlacement> node_placements{NodePlacement::first};
  bool node_placement_given = false;
  static const ChoiceTable<NodePlacement>& node_placement_choices();
  // Where the buffers live; cuda series carry a ".cuda" suffix (one series per memory).
  enum class Memory { host, cuda };
  std::vector<Memory> memory{Memory::host};
  // --staging: how cuda series of our algorithms reach their device buffers. host: copied
  // through pinned host memory around a run on the host stores; none: the algorithm runs
  // on the device buffers (reductions on the GPU, the transport moving device memory);
  // automatic: none where the transport can move device memory, else host.
  enum class Staging : unsigned char { automatic, host, none };
  Staging staging = Staging::automatic;
  AlgorithmOptions algorithm;
  // --rank-order: the orders our rings and trees visit the ranks in, one pass of the plan
  // each (series of orders other than rank carry the suffix ".<order>_order");
  // rank_order_given: the option was used, so every series records its order.
  std::vector<topo::RankOrder> rank_orders{topo::RankOrder::rank};
  std::uint64_t rank_order_seed = 1;  // random:SEED
  bool rank_order_given = false;
};

// `fabricbench p2p` options.
struct P2POptions : CommonOptions {
  P2POptions() {
    max_bytes = 4ULL << 20;
    iters = 200;
    warmup = 20;
  }
  Selection<P2PTest> tests{{P2PTest::latency, P2PTest::bandwidth}};
  int window = 64;
  double line_rate_Gbps = 0;  // 0: each transport's own, when it knows its link's rate
  std::uint64_t matrix_latency_bytes = 8;
  std::uint64_t matrix_bandwidth_bytes = 1ULL << 20;
  double matrix_threshold = 0.5;  // flag a link below this fraction of the median
  int bisection_random = 4;       // random pairings besides the worst one
  std::uint64_t bisection_seed = 1;
  int delay_rank = -1;  // testing aid: a planted slow sender
  std::int64_t delay_us = 0;
};

struct ParseOutcome {
  std::optional<RunOptions> options;  // set when a run should happen
  std::optional<P2POptions> p2p;      // set when a p2p run should happen
  int exit_code = kExitOk;            // otherwise: exit with this code ...
  std::string message;                // ... after printing this (help text or one error line)
};

ParseOutcome parse_command_line(int argc, const char* const* argv);

// The message sizes of the sweep, in bytes: min, min*f, min*f^2, ... <= max.
std::vector<std::uint64_t> sweep_sizes(std::uint64_t min_bytes, std::uint64_t max_bytes,
                                       std::uint64_t step_factor);
inline std::vector<std::uint64_t> sweep_sizes(const RunOptions& o) {
  return sweep_sizes(o.min_bytes, o.max_bytes, o.step_factor);
}

}  // namespace fb
