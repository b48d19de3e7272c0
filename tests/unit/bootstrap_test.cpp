// The Bootstrap interface's defaults and the single-process bootstrap's subsets, and the
// Transport capabilities the harness reads.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>

#include "core/bootstrap.hpp"
#include "tests/unit/solo_bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {
namespace {

// Only what every bootstrap must implement; counts the progress steps of its barrier.
class MinimalBootstrap final : public Bootstrap {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allgather(std::span<const std::byte> /*mine*/, std::span<std::byte> /*all*/) override {}
  void broadcast(std::span<std::byte> /*data*/, int /*root*/) override {}
  void barrier() override {}
  void barrier_progressing(const std::function<void()>& progress) override {
    for (int i = 0; i < 3; ++i) {
      progress();
      ++steps;
    }
  }
  void allreduce_max(std::span<double> /*values*/) override {}
  void allreduce_sum(std::span<std::int64_t> /*values*/) override {}
  void send(std::span<const std::byte> /*data*/, int /*peer*/) override {}
  void receive(std::span<std::byte> /*data*/, int /*peer*/) override {}
  int steps = 0;
};

TEST(Bootstrap, ABootstrapThatCannotSplitSaysSo) {
  MinimalBootstrap bootstrap;
  try {
    bootstrap.split(true);
    FAIL() << "split did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "this bootstrap cannot split into subsets of its ranks");
  }
}

TEST(Bootstrap, TheSleepingBarrierIsTheProgressingBarrierByDefault) {
  MinimalBootstrap bootstrap;
  bootstrap.barrier_sleeping();
  EXPECT_EQ(bootstrap.steps, 3);
}

TEST(Bootstrap, TheSoloBootstrapIsASubsetOfItselfOrOfNone) {
  SoloBootstrap bootstrap;
  const auto member = bootstrap.split(true);
  ASSERT_NE(member, nullptr);
  EXPECT_EQ(member->rank(), 0);
  EXPECT_EQ(member->size(), 1);
  EXPECT_EQ(bootstrap.split(false), nullptr);
}

// A transport that moves nothing: only the defaults of the interface are looked at.
class IdleTransport final : public Transport {
 public:
  std::string_view name() const override { return "idle"; }
  TransportCapabilities capabilities() const override { return {}; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override {
    return std::make_unique<MemoryRegion>(bytes);
  }
  Request isend(int /*peer*/, Tag /*tag*/, const MemoryRegion& /*region*/, std::size_t /*offset*/,
                std::size_t /*bytes*/) override {
    return {};
  }
  Request irecv(int /*peer*/, Tag /*tag*/, const MemoryRegion& /*region*/, std::size_t /*offset*/,
                std::size_t /*bytes*/) override {
    return {};
  }
  void progress() override {}
  bool test(Request& /*req*/) override { return true; }
};

TEST(Transport, ALineRateIsUnknownUnlessTheTransportKnowsIt) {
  const IdleTransport transport;
  EXPECT_FALSE(transport.line_rate_Gbps().has_value());
}

}  // namespace
}  // namespace fb
