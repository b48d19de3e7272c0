// Every registered algorithm that runs over a transport, at every rank count of
// world_sizes() (1..9, 13, 16), in one process: ranks on threads over the loopback transport
// (tests/unit/world.hpp), so the sanitizer build checks them all. Results are compared
// exactly against harness/validation.hpp, as the multi-rank tests do over real transports,
// for int32 and float32 (sum; avg too for reductions), out of place and in place, every root
// of the rooted collectives (int32; the others at three roots), and the counts that break naive
// code: 0, 1, fewer elements than ranks, a ragged count and one that spans several pipeline
// segments per block (segments and chunks are made tiny). Each algorithm also runs at a few
// rank counts on "device" memory: its copies and reductions go through MemorySteps that
// defer them to sync() (tests/unit/deferred_steps.hpp), so a missing sync() or host scratch
// handed to the device shows as a failure here, without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/registry.hpp"
#include "harness/call_setup.hpp"
#include "harness/validation.hpp"
#include "tests/unit/deferred_steps.hpp"
#include "tests/unit/host_ipc.hpp"
#include "tests/unit/world.hpp"
#include "topologies/topology.hpp"
#include "transports/ipc_transport.hpp"

namespace fb {
namespace {

struct WorldCase {
  Collective collective = Collective::allreduce;
  std::string algorithm;
  int n_ranks = 1;
  // The ranks' layout (AlgorithmContext::layout): 0 none (rank order, a host each); k > 0:
  // k hosts, rank r on host r mod k (so a host's ranks are not neighbours in rank order),
  // in topology order; -1: a random order, every rank on a host of its own.
  int hosts = 0;
  // Run on "device" memory: CollArgs::memory set to steps that defer every copy and
  // reduction to sync() (tests/unit/deferred_steps.hpp).
  bool device = false;
  // With `device`: over the local IPC path (transports/ipc_transport.hpp) wrapping the
  // loopback, on host-memory IPC (tests/unit/host_ipc.hpp): ranks of one host move their
  // "device" memory through the mailboxes and deferred copies, other hosts' through the
  // loopback.
  bool ipc = false;
};

void PrintTo(const WorldCase& c, std::ostream* os) {
  *os << to_string(c.collective) << ' ' << c.algorithm << " on " << c.n_ranks << " ranks";
  if (c.hosts > 0) *os << " on " << c.hosts << " hosts";
  if (c.hosts < 0) *os << " in a random order";
  if (c.device) *os << " on deferred device steps";
  if (c.ipc) *os << " over the local IPC path";
}

std::shared_ptr<const topo::RankLayout> case_layout(const WorldCase& c) {
  if (c.hosts == 0) return nullptr;
  std::vector<std::string> names;
  for (int r = 0; r < c.n_ranks; ++r) {
    std::string name = "h";
    name.append(std::to_string(c.hosts > 0 ? r % c.hosts : r));
    names.push_back(name);
  }
  const auto model = topo::flat_topology(names);
  const auto placement = topo::place_ranks(model, names);
  const auto order = topo::ring_order(
      model, placement, c.hosts > 0 ? topo::RankOrder::topology : topo::RankOrder::random,
      static_cast<std::uint64_t>(c.n_ranks));
  return std::make_shared<const topo::RankLayout>(topo::make_layout(placement, order));
}

std::string world_case_name(const ::testing::TestParamInfo<WorldCase>& info) {
  std::string name = std::string(to_string(info.param.collective)) + "_" + info.param.algorithm +
                     "_n" + std::to_string(info.param.n_ranks);
  if (info.param.hosts > 0) name.append("_hosts").append(std::to_string(info.param.hosts));
  if (info.param.hosts < 0) name += "_random_order";
  if (info.param.device) name += "_device_steps";
  if (info.param.ipc) name += "_ipc";
  std::replace(name.begin(), name.end(), '-', '_');  // gtest names allow [A-Za-z0-9_] only
  return name;
}

// Every algorithm over a transport (the baselines bring MPI or NCCL and are left out), at
// every world size.
std::vector<WorldCase> world_cases() {
  std::vector<WorldCase> cases;
  for (const auto& entry : algorithm_registry()) {
    if (!entry.uses_transport || entry.device_only) continue;
    for (const int n : world_sizes())
      cases.push_back({entry.collective, entry.name, n});
    // The same algorithm with its copies and reductions deferred, as on a device.
    for (const int n : {1, 2, 3, 5, 8})
      cases.push_back({entry.collective, entry.name, n, 0, true});
    // Device memory over the local IPC path: every rank on one host, and 3 hosts of 2 (IPC
    // inside each host, the wrapped transport between them).
    for (const auto& [n, hosts] : std::vector<std::pair<int, int>>{{2, 0}, {3, 0}, {5, 0}, {6, 3}})
      cases.push_back({entry.collective, entry.name, n, hosts, true, true});
    // The algorithms that follow the layout (rings in its order, trees numbered in it, the
    // hierarchical ones by its hosts), on a few layouts.
    static const std::vector<std::string> follow_layout{
        "ring", "hierarchical", "tree", "binomial", "chain", "knomial", "scatter-allgather"};
    if (std::find(follow_layout.begin(), follow_layout.end(), entry.name) == follow_layout.end())
      continue;
    for (const auto& [n, hosts] :
         std::vector<std::pair<int, int>>{{4, 2}, {6, 2}, {6, 3}, {9, 3}, {8, 4}, {5, -1}, {8, -1}})
      cases.push_back({entry.collective, entry.name, n, hosts});
    cases.push_back({entry.collective, entry.name, 6, 3, true});
  }
  return cases;
}

struct Pair {
  DType dtype;
  ReduceOp op;
};

// Tiny pipeline units, so a few hundred elements already make several segments and chunks:
// ring segments (ring, halving-doubling, all-to-all) of 16 four-byte elements, tree chunks
// (tree, broadcast, reduce: the whole vector in chunks) of 64, so the largest count below is
// about 4 segments per block and n chunks in all. The slot counts vary with n so the request
// rings wrap at different points.
AlgorithmOptions small_pipeline(int n_ranks) {
  AlgorithmOptions options;
  options.ring_segment_bytes = {64};
  options.ring_slots = {2 + static_cast<std::size_t>(n_ranks % 2)};
  options.hd_segment_bytes = {128};
  options.hd_slots = {2 + static_cast<std::size_t>(n_ranks % 3 == 0)};
  options.tree_chunk_bytes = {256};
  options.tree_slots = {1 + static_cast<std::size_t>(n_ranks % 3)};
  options.pairwise_window = {1 + static_cast<std::size_t>(n_ranks % 4)};
  options.timeout = std::chrono::seconds(30);
  return options;
}

std::vector<std::size_t> counts_for(Collective collective, int n_ranks) {
  const auto n = static_cast<std::size_t>(n_ranks);
  // 0, 1, fewer than n, ragged, and several pipeline units (see small_pipeline).
  std::vector<std::size_t> counts{0, 1, n - 1, 3 * n + 1, 67 * n + 5};
  // Block collectives take a total: also whole blocks of an odd size.
  if (collective == Collective::reducescatter || collective == Collective::allgather ||
      collective == Collective::alltoall) {
    counts.push_back(7 * n);
  }
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  return counts;
}

class EveryAlgorithmInAWorld : public ::testing::TestWithParam<WorldCase> {};

TEST_P(EveryAlgorithmInAWorld, ExactForEveryCountRootAndPlacement) {
  const auto& c = GetParam();
  const auto* entry = find_algorithm(c.collective, c.algorithm);
  ASSERT_NE(entry, nullptr);
  const int n = c.n_ranks;
  const auto counts = counts_for(c.collective, n);
  std::vector<Pair> pairs{{DType::int32, ReduceOp::sum}, {DType::float32, ReduceOp::sum}};
  if (is_reduction(c.collective)) pairs.push_back({DType::float32, ReduceOp::avg});
  std::vector<bool> placements{false};
  if (entry->supports_in_place) placements.push_back(true);
  // Rooted collectives: every root with the first (dtype, op), in and out of place, at every
  // count; the other pairs at the first, middle and last root (the data is placed the same
  // way whatever the type: this keeps the sanitizer run short at 13 and 16 ranks).
  const auto roots_for = [&](std::size_t pair_index) {
    std::vector<int> roots{0};
    if (!is_rooted(c.collective)) return roots;
    for (int r = 1; r < n; ++r) {
      if (pair_index == 0 || r == n / 2 || r == n - 1) roots.push_back(r);
    }
    return roots;
  };

  std::mutex failures_mutex;
  std::vector<std::string> failures;
  int calls = 0;
  run_world(n, [&](Bootstrap& boot, Transport& loopback) {
    DeferredSteps steps;  // before the algorithm: its scratch comes from the steps
    HostIpc host_ipc;
    std::unique_ptr<IpcTransport> ipc;
    if (c.ipc) {
      std::vector<bool> local(static_cast<std::size_t>(n));
      for (int r = 0; r < n; ++r) {
        local[static_cast<std::size_t>(r)] = c.hosts <= 0 || r % c.hosts == boot.rank() % c.hosts;
      }
      ipc = std::make_unique<IpcTransport>(loopback, boot, host_ipc, local);
    }
    Transport& transport = ipc ? static_cast<Transport&>(*ipc) : loopback;
    AlgorithmContext ctx{boot, &transport, small_pipeline(n), case_layout(c)};
    auto algorithm = entry->create(ctx);
    std::size_t store_bytes = 64;  // slack: an overrun lands in the buffer, not past it
    for (const auto count : counts) {
      const auto bc = buffer_counts(c.collective, count, n);
      store_bytes = std::max(store_bytes, std::max(bc.send, bc.recv) * 4 + 64);
    }
    AlignedBuffer send(store_bytes), recv(store_bytes);
    const auto send_region = c.ipc ? transport.register_device_memory(send.span())
                                   : transport.register_memory(send.span());
    const auto recv_region = c.ipc ? transport.register_device_memory(recv.span())
                                   : transport.register_memory(recv.span());
    steps.adopt(send.span());
    steps.adopt(recv.span());
    int my_calls = 0;
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      const auto& pair = pairs[p];
      if (!entry->handles(pair.dtype, pair.op)) continue;
      const auto roots = roots_for(p);
      for (const bool in_place : placements) {
        for (const auto count : counts) {
          for (const int root : roots) {
            auto layout =
                layout_call(c.collective, in_place, count, pair.dtype, pair.op, root, boot.rank(),
                            n, {send.span(), send_region.get()}, {recv.span(), recv_region.get()});
            if (c.device) layout.args.memory = &steps;
            const CheckSpec spec{c.collective, pair.dtype, pair.op, boot.rank(), n, root, count};
            fill_send(spec, layout.input);
            if (!in_place) poison(layout.output, layout.output_count, pair.dtype);
            std::ostringstream call;
            call << "rank " << boot.rank() << " of " << n << ", " << to_string(pair.dtype) << " "
                 << to_string(pair.op) << " count " << count << " root " << root
                 << (in_place ? " in place" : " out of place");
            try {
              algorithm->run(layout.args);
            } catch (const std::exception& e) {
              throw std::runtime_error(call.str() + ": " + e.what());
            }
            ++my_calls;
            const auto wrong = count_mismatches(spec, layout.output);
            const auto pending = steps.pending();
            if (wrong == 0 && pending == 0) continue;
            std::lock_guard lock(failures_mutex);
            if (pending > 0) {
              failures.push_back(call.str() + ": returned with " + std::to_string(pending) +
                                 " device steps not synced");
              steps.sync();
            }
            if (wrong == 0) continue;
            failures.push_back(call.str() + ": " + std::to_string(wrong) + " of " +
                               std::to_string(layout.output_count) + " elements wrong");
          }
        }
      }
    }
    if (boot.rank() == 0) calls = my_calls;
  });
  for (const auto& failure : failures)
    ADD_FAILURE() << failure;
  EXPECT_GT(calls, 0);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryAlgorithmInAWorld, ::testing::ValuesIn(world_cases()),
                         world_case_name);

// The fold of halving-doubling (n not a power of two: 2 and 3 ranks folded in at 6 and 7)
// is in the matrix above; name it, so removing a size from world_sizes() cannot drop it.
TEST(EveryAlgorithmInAWorld, HalvingDoublingFoldSizesAreCovered) {
  const auto sizes = world_sizes();
  for (const int n : {6, 7})
    EXPECT_NE(std::find(sizes.begin(), sizes.end(), n), sizes.end()) << n;
  EXPECT_NE(find_algorithm(Collective::allreduce, "halving-doubling"), nullptr);
}

}  // namespace
}  // namespace fb
