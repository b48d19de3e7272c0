// Multi-rank correctness of every all-reduce algorithm over every transport, against the
// exact reference sum (harness/validation.hpp), for the counts that break naive code:
// 0, 1, n-1 (fewer elements than ranks), a large odd count, and counts that leave the
// pipeline a ragged last segment.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/registry.hpp"
#include "harness/validation.hpp"
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
    for (const auto& name : transport_names())
      transports[name] = find_transport(name)->create(*bootstrap);
  }
  void TearDown() override {
    transports.clear();
    bootstrap.reset();
  }
  static inline std::unique_ptr<MpiBootstrap> bootstrap;
  static inline std::map<std::string, std::unique_ptr<Transport>> transports;
};

struct Case {
  std::string algorithm;
  std::string transport;  // "none" for the baseline
  DType dtype;
  bool small_pipeline;  // tiny segments/chunks: many pipeline steps, ragged ends
  bool in_place;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto& c = info.param;
  return c.algorithm + "_" + c.transport + "_" + std::string(to_string(c.dtype)) +
         (c.small_pipeline ? "_smallpipe" : "") + (c.in_place ? "_inplace" : "");
}

class Allreduce : public ::testing::TestWithParam<Case> {
 protected:
  // Runs the algorithm on `count` elements and returns the mismatches summed over ranks.
  std::int64_t run_once(std::size_t count) {
    const auto& c = GetParam();
    auto& boot = *World::bootstrap;
    Transport* transport =
        c.transport == "none" ? nullptr : World::transports.at(c.transport).get();
    AlgorithmContext ctx{boot, transport, AlgorithmOptions{}};
    ctx.options.timeout = std::chrono::seconds(120);
    if (c.small_pipeline) {
      ctx.options.ring_segment_bytes = 64;
      ctx.options.ring_slots = 2;
      ctx.options.tree_chunk_bytes = 64;
      ctx.options.tree_slots = 1;
    }
    const auto* entry = find_algorithm(Collective::allreduce, c.algorithm);
    EXPECT_NE(entry, nullptr);
    auto algorithm = entry->create(ctx);

    const std::size_t bytes = count * dtype_size(c.dtype);
    AlignedBuffer send(bytes + 64), recv(bytes + 64);  // a little slack: overruns stay detectable
    std::unique_ptr<MemoryRegion> send_region, recv_region;
    if (transport != nullptr) {
      send_region = transport->register_memory(send.span());
      recv_region = transport->register_memory(recv.span());
    }
    CollArgs args;
    args.send = {send.span(), send_region.get()};
    args.recv = c.in_place ? args.send : Buffer{recv.span(), recv_region.get()};
    args.count = count;
    args.dtype = c.dtype;
    fill_input(send.span(), count, c.dtype, boot.rank());
    if (!c.in_place) poison_output(recv.span(), count, c.dtype);
    // Twice: the second call proves state (tags, counters) carries over cleanly.
    for (int repeat = 0; repeat < 2; ++repeat) {
      if (c.in_place) fill_input(send.span(), count, c.dtype, boot.rank());
      algorithm->run(args);
    }
    std::vector<std::int64_t> wrong{
        count_allreduce_mismatches(args.recv.bytes, count, c.dtype, boot.size())};
    boot.allreduce_sum(wrong);
    return wrong[0];
  }
};

TEST_P(Allreduce, ExactForEdgeCounts) {
  const auto n = static_cast<std::size_t>(World::bootstrap->size());
  std::vector<std::size_t> counts{0, 1, n - 1, n + 1, 2 * n + 3, 1000003};
  if (GetParam().small_pipeline) counts = {1, n - 1, 3 * n + 1, 4099};
  for (const auto count : counts) {
    EXPECT_EQ(run_once(count), 0) << "count " << count << " on " << n << " ranks";
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const auto* algo : {"ring", "tree"}) {
    for (const auto& transport : transport_names()) {
      for (const auto dtype : {DType::float32, DType::float64}) {
        cases.push_back({algo, transport, dtype, false, false});
      }
      cases.push_back({algo, transport, DType::float32, true, false});
      cases.push_back({algo, transport, DType::float64, false, true});
    }
  }
  for (const auto dtype : {DType::float32, DType::float64})
    cases.push_back({"mpi", "none", dtype, false, false});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(All, Allreduce, ::testing::ValuesIn(all_cases()), case_name);

// Forwards to a real transport and counts the bytes this rank sends.
class CountingTransport final : public Transport {
 public:
  explicit CountingTransport(Transport& inner) : inner_(inner) {}
  std::string_view name() const override { return inner_.name(); }
  TransportCapabilities capabilities() const override { return inner_.capabilities(); }
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override {
    return inner_.register_memory(bytes);
  }
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override {
    sent_bytes += bytes;
    return inner_.isend(peer, tag, region, offset, bytes);
  }
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override {
    return inner_.irecv(peer, tag, region, offset, bytes);
  }
  void progress() override { inner_.progress(); }
  bool test(Request& req) override { return inner_.test(req); }

  std::size_t sent_bytes = 0;

 private:
  Transport& inner_;
};

// The ring is bandwidth-optimal: each rank sends 2(n-1)/n of the buffer, no more.
TEST(RingTraffic, EachRankSendsTwoNMinusOneOverNOfTheBuffer) {
  auto& boot = *World::bootstrap;
  const auto n = static_cast<std::size_t>(boot.size());
  CountingTransport counting(*World::transports.at("ucx"));
  AlgorithmContext ctx{boot, &counting, AlgorithmOptions{}};
  ctx.options.ring_segment_bytes = 4096;  // many segments: the count must still be exact
  auto ring = find_algorithm(Collective::allreduce, "ring")->create(ctx);
  const std::size_t count = 3000 * n;  // divisible by n: every block the same size
  const std::size_t bytes = count * sizeof(float);
  AlignedBuffer send(bytes), recv(bytes);
  auto send_region = counting.register_memory(send.span());
  auto recv_region = counting.register_memory(recv.span());
  fill_input(send.span(), count, DType::float32, boot.rank());
  CollArgs args;
  args.send = {send.span(), send_region.get()};
  args.recv = {recv.span(), recv_region.get()};
  args.count = count;
  ring->run(args);
  EXPECT_EQ(counting.sent_bytes, 2 * (n - 1) * bytes / n);
  std::vector<std::int64_t> wrong{
      count_allreduce_mismatches(recv.span(), count, DType::float32, boot.size())};
  boot.allreduce_sum(wrong);
  EXPECT_EQ(wrong[0], 0);
}

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

INSTANTIATE_TEST_SUITE_P(Transports, Timeout, ::testing::Values("ucx", "mpi"));

}  // namespace
}  // namespace fb

static const auto* const kWorld = ::testing::AddGlobalTestEnvironment(new fb::World);
