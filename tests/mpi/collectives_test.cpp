// Multi-rank correctness of every registered algorithm (collectives/registry.hpp) over
// every transport, against the exact expected results of harness/validation.hpp, for the
// counts that break naive code: 0, 1, n-1 (fewer elements than ranks), a count that leaves a
// ragged last pipeline segment, and a large odd count. The dtype/op matrix is chosen per
// collective to cover every kernel family and every op without multiplying the run time
// (see tests/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/registry.hpp"
#include "harness/call_setup.hpp"
#include "harness/validation.hpp"
#include "tests/unit/forwarding_transport.hpp"
#include "transports/error.hpp"
#include "transports/mpi_bootstrap.hpp"
#include "transports/registry.hpp"

namespace fb {
namespace {

// One bootstrap and one instance of each transport for the whole process.
class World : public ::testing::Environment {
 public:
  void SetUp() override {
    bootstrap = std::make_unique<MpiBootstrap>();
    // Transports this machine cannot run (verbs without an RDMA device) are left out.
    for (const auto& name : available_transport_names()) {
      transports[name] = find_transport(name)->create(*bootstrap);
    }
  }
  void TearDown() override {
    transports.clear();
    bootstrap.reset();
  }
  static inline std::unique_ptr<MpiBootstrap> bootstrap;
  static inline std::map<std::string, std::unique_ptr<Transport>> transports;
};

struct Case {
  Collective collective;
  std::string algorithm;
  std::string transport;  // "none" for baselines
  DType dtype;
  ReduceOp op;
  bool in_place = false;
  bool small_pipeline = false;  // tiny segments/chunks: many pipeline steps, ragged ends
  bool large = false;           // also the large odd count
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << to_string(c.collective) << ' ' << c.algorithm << " over " << c.transport << ' '
      << to_string(c.dtype);
  if (is_reduction(c.collective)) *os << ' ' << to_string(c.op);
  if (c.in_place) *os << " in place";
  if (c.small_pipeline) *os << ", small pipeline";
  if (c.large) *os << ", large";
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto& c = info.param;
  std::string name = std::string(to_string(c.collective)) + "_" + c.algorithm + "_" + c.transport +
                     "_" + std::string(to_string(c.dtype));
  if (is_reduction(c.collective)) name += "_" + std::string(to_string(c.op));
  if (c.in_place) name += "_inplace";
  if (c.small_pipeline) name += "_smallpipe";
  if (c.large) name += "_large";
  std::replace(name.begin(), name.end(), '-', '_');  // gtest names allow [A-Za-z0-9_] only
  return name;
}

class Collectives : public ::testing::TestWithParam<Case> {
 protected:
  // Runs the algorithm twice on `count` and returns the mismatches of the second call,
  // summed over ranks.
  std::int64_t run_once(std::size_t count, int root) {
    const auto& c = GetParam();
    auto& boot = *World::bootstrap;
    const int n = boot.size();
    Transport* transport =
        c.transport == "none" ? nullptr : World::transports.at(c.transport).get();
    AlgorithmContext ctx{boot, transport, AlgorithmOptions{}};
    ctx.options.timeout = std::chrono::seconds(120);
    if (c.small_pipeline) {
      ctx.options.ring_segment_bytes = {64};
      ctx.options.ring_slots = {2};
      ctx.options.hd_segment_bytes = {64};
      ctx.options.hd_slots = {2};
      ctx.options.tree_chunk_bytes = {64};
      ctx.options.tree_slots = {1};
      ctx.options.pairwise_window = {1};
      ctx.options.knomial_radix = 3;  // not the default 4: a different tree shape
    }
    const auto* entry = find_algorithm(c.collective, c.algorithm);
    EXPECT_NE(entry, nullptr);
    auto algorithm = entry->create(ctx);

    const auto counts = buffer_counts(c.collective, count, n);
    const std::size_t es = dtype_size(c.dtype);
    const std::size_t store =
        std::max(counts.send, counts.recv) * es + 64;  // slack: overruns stay visible
    AlignedBuffer send(store), recv(store);
    std::unique_ptr<MemoryRegion> send_region, recv_region;
    if (transport != nullptr) {
      send_region = transport->register_memory(send.span());
      recv_region = transport->register_memory(recv.span());
    }
    const auto layout =
        layout_call(c.collective, c.in_place, count, c.dtype, c.op, root, boot.rank(), n,
                    Buffer{send.span(), send_region.get()}, Buffer{recv.span(), recv_region.get()});
    CheckSpec spec{c.collective, c.dtype, c.op, boot.rank(), n, root, count};
    for (int repeat = 0; repeat < 2; ++repeat) {
      fill_send(spec, layout.input);
      if (!c.in_place) poison(layout.output, layout.output_count, c.dtype);
      algorithm->run(layout.args);
    }
    std::vector<std::int64_t> wrong{count_mismatches(spec, layout.output)};
    boot.allreduce_sum(wrong);
    return wrong[0];
  }
};

TEST_P(Collectives, ExactForEdgeCounts) {
  const auto& c = GetParam();
  const int n = World::bootstrap->size();
  const auto un = static_cast<std::size_t>(n);
  std::vector<std::size_t> counts{0, 1, un - 1, 3 * un + 1, 4099};
  if (c.large) counts.push_back(1000003);
  // Block collectives: counts are totals, so also whole blocks of awkward sizes.
  if (c.collective == Collective::reducescatter || c.collective == Collective::allgather ||
      c.collective == Collective::alltoall) {
    counts.push_back(un * 7);
  }
  const std::vector<int> roots =
      is_rooted(c.collective) ? std::vector<int>{0, n - 1, n / 2} : std::vector<int>{0};
  for (const auto count : counts) {
    for (const int root : roots) {
      EXPECT_EQ(run_once(count, root), 0)
          << "count " << count << " root " << root << " on " << n << " ranks";
    }
  }
}

// The matrix: for every registered algorithm, over every transport it runs on (baselines
// once), a dtype/op sample that covers every kernel family (1-, 4- and 8-byte integers
// signed and unsigned, float16, bfloat16, float32, float64) and every op.
std::vector<Case> all_cases() {
  struct Pair {
    DType dtype;
    ReduceOp op;
  };
  const std::vector<Pair> reduction_pairs{
      {DType::float32, ReduceOp::sum}, {DType::float64, ReduceOp::sum},
      {DType::int8, ReduceOp::sum},    {DType::uint8, ReduceOp::max},
      {DType::int32, ReduceOp::prod},  {DType::uint32, ReduceOp::avg},
      {DType::int64, ReduceOp::min},   {DType::uint64, ReduceOp::sum},
      {DType::float16, ReduceOp::sum}, {DType::bfloat16, ReduceOp::avg},
      {DType::float32, ReduceOp::max}, {DType::float64, ReduceOp::prod},
      {DType::float32, ReduceOp::avg}, {DType::bfloat16, ReduceOp::min}};
  const std::vector<Pair> movement_pairs{{DType::int8, ReduceOp::sum},
                                         {DType::float16, ReduceOp::sum},
                                         {DType::float64, ReduceOp::sum}};
  std::vector<Case> cases;
  for (const auto& entry : algorithm_registry()) {
    // Device-only entries (NCCL) need a GPU per rank: the GPU tests cover them.
    if (entry.device_only) continue;
    std::vector<std::string> transports{"none"};
    if (entry.uses_transport) transports = available_transport_names();
    const auto& pairs = is_reduction(entry.collective) ? reduction_pairs : movement_pairs;
    for (const auto& transport : transports) {
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (!entry.handles(pairs[i].dtype, pairs[i].op)) continue;
        cases.push_back({entry.collective, entry.name, transport, pairs[i].dtype, pairs[i].op,
                         false, false, i == 0});
      }
      if (entry.supports_in_place) {
        cases.push_back({entry.collective, entry.name, transport, DType::float64, ReduceOp::sum,
                         true, false, true});
      }
      if (entry.uses_transport) {
        cases.push_back({entry.collective, entry.name, transport, DType::float32, ReduceOp::sum,
                         false, true, false});
      }
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(All, Collectives, ::testing::ValuesIn(all_cases()), case_name);

// Forwards to a real transport and counts the bytes this rank sends.
class CountingTransport final : public ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override {
    sent_bytes += bytes;
    return ForwardingTransport::isend(peer, tag, region, offset, bytes);
  }

  std::size_t sent_bytes = 0;
};

// Test names for a transport parameter: the transport's name.
std::string transport_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// The ring is bandwidth-optimal: each rank sends 2(n-1)/n of the buffer, no more, over every
// transport of the registry this machine can run.
class RingTraffic : public ::testing::TestWithParam<std::string> {};

TEST_P(RingTraffic, EachRankSendsTwoNMinusOneOverNOfTheBuffer) {
  auto& boot = *World::bootstrap;
  const auto n = static_cast<std::size_t>(boot.size());
  CountingTransport counting(*World::transports.at(GetParam()));
  AlgorithmContext ctx{boot, &counting, AlgorithmOptions{}};
  ctx.options.ring_segment_bytes = {4096};  // many segments: the count must still be exact
  auto ring = find_algorithm(Collective::allreduce, "ring")->create(ctx);
  const std::size_t count = 3000 * n;  // divisible by n: every block the same size
  const std::size_t bytes = count * sizeof(float);
  AlignedBuffer send(bytes), recv(bytes);
  auto send_region = counting.register_memory(send.span());
  auto recv_region = counting.register_memory(recv.span());
  CheckSpec spec{
      Collective::allreduce, DType::float32, ReduceOp::sum, boot.rank(), boot.size(), 0, count};
  fill_send(spec, send.span());
  CollArgs args;
  args.send = {send.span(), send_region.get()};
  args.recv = {recv.span(), recv_region.get()};
  args.count = count;
  ring->run(args);
  EXPECT_EQ(counting.sent_bytes, 2 * (n - 1) * bytes / n);
  std::vector<std::int64_t> wrong{count_mismatches(spec, recv.span())};
  boot.allreduce_sum(wrong);
  EXPECT_EQ(wrong[0], 0);
}

INSTANTIATE_TEST_SUITE_P(Transports, RingTraffic, ::testing::ValuesIn(available_transport_names()),
                         transport_name);

// A receive nobody sends must end in a TimeoutError naming the transport, peer and operation.
class Timeout : public ::testing::TestWithParam<std::string> {};

TEST_P(Timeout, WaitPastDeadlineNamesTransportPeerAndOperation) {
  auto& boot = *World::bootstrap;
  if (boot.size() < 2) GTEST_SKIP() << "needs a peer: run with at least 2 ranks";
  auto& transport = *World::transports.at(GetParam());
  AlignedBuffer buf(64);
  auto region = transport.register_memory(buf.span());
  if (boot.rank() == 0) {
    auto req = transport.irecv(1, make_tag(0xFFFFFF, 7), *region, 0, 8);
    try {
      transport.wait(req, Clock::now() + std::chrono::milliseconds(200));
      ADD_FAILURE() << "wait returned for a message nobody sent";
    } catch (const TimeoutError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(GetParam() + ":"), std::string::npos) << what;
      EXPECT_NE(what.find("peer rank 1"), std::string::npos) << what;
      EXPECT_NE(what.find("receive of 8 bytes"), std::string::npos) << what;
      EXPECT_EQ(e.peer(), 1);
    }
    // Satisfy the pending receive so the transport tears down cleanly.
    boot.barrier();
    transport.wait(req, Clock::now() + std::chrono::seconds(30));
  } else {
    boot.barrier();
    if (boot.rank() == 1) {
      auto req = transport.isend(0, make_tag(0xFFFFFF, 7), *region, 0, 8);
      transport.wait(req, Clock::now() + std::chrono::seconds(30));
    }
  }
  boot.barrier();
}

INSTANTIATE_TEST_SUITE_P(Transports, Timeout, ::testing::ValuesIn(available_transport_names()),
                         transport_name);

}  // namespace
}  // namespace fb

static const auto* const kWorld = ::testing::AddGlobalTestEnvironment(new fb::World);
