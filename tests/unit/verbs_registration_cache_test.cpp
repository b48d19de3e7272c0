#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "transports/verbs/registration_cache.hpp"

namespace fb {
namespace {

// Records registrations instead of pinning memory; handles are 1, 2, 3, ...
struct FakeDevice {
  std::vector<std::pair<std::byte*, std::size_t>> registered;
  std::vector<std::uintptr_t> deregistered;
  bool fail_next = false;

  RegistrationCache make_cache() {
    return RegistrationCache(
        [this](std::byte* data, std::size_t length) -> void* {
          if (fail_next) throw std::runtime_error("ibv_reg_mr failed");
          registered.emplace_back(data, length);
          return reinterpret_cast<void*>(registered.size());  // NOLINT(performance-no-int-to-ptr)
        },
        [this](void* handle) { deregistered.push_back(reinterpret_cast<std::uintptr_t>(handle)); });
  }
};

class VerbsRegistrationCache : public ::testing::Test {
 protected:
  std::array<std::byte, 4096> buffer_{};
  std::span<std::byte> range(std::size_t offset, std::size_t length) {
    return std::span(buffer_).subspan(offset, length);
  }
  FakeDevice device_;
};

TEST_F(VerbsRegistrationCache, ContainedRangeReusesRegistration) {
  auto cache = device_.make_cache();
  auto whole = cache.acquire(range(0, 4096));
  auto inner = cache.acquire(range(100, 200));
  auto tail = cache.acquire(range(4000, 96));
  EXPECT_EQ(device_.registered.size(), 1U);
  EXPECT_EQ(inner.handle(), whole.handle());
  EXPECT_EQ(tail.handle(), whole.handle());
  EXPECT_EQ(cache.references(range(0, 1)), 3U);
}

TEST_F(VerbsRegistrationCache, OverlappingButNotContainedRegistersAgain) {
  auto cache = device_.make_cache();
  auto first = cache.acquire(range(0, 1000));
  auto straddling = cache.acquire(range(900, 200));  // runs past the first
  EXPECT_EQ(device_.registered.size(), 2U);
  EXPECT_NE(first.handle(), straddling.handle());
  // A range inside the second only (starting after the first's start) finds the second.
  auto inner = cache.acquire(range(1050, 10));
  EXPECT_EQ(inner.handle(), straddling.handle());
  // A small range inside a large one registered earlier, with a smaller range between.
  auto small = cache.acquire(range(10, 5));
  EXPECT_EQ(small.handle(), first.handle());
  EXPECT_EQ(device_.registered.size(), 2U);
}

TEST_F(VerbsRegistrationCache, SearchWalksPastNonContainingNeighbours) {
  auto cache = device_.make_cache();
  auto small = cache.acquire(range(50, 10));   // [50, 60)
  auto large = cache.acquire(range(0, 4096));  // not contained in the small one
  auto inner = cache.acquire(range(55, 100));  // the nearest start (50) does not contain it
  EXPECT_EQ(inner.handle(), large.handle());
  EXPECT_EQ(device_.registered.size(), 2U);
}

TEST_F(VerbsRegistrationCache, LastReleaseDeregisters) {
  auto cache = device_.make_cache();
  {
    auto a = cache.acquire(range(0, 512));
    {
      auto b = cache.acquire(range(0, 256));
      EXPECT_EQ(cache.references(range(0, 256)), 2U);
    }
    EXPECT_TRUE(device_.deregistered.empty());
    EXPECT_EQ(cache.references(range(0, 256)), 1U);
  }
  EXPECT_EQ(device_.deregistered, std::vector<std::uintptr_t>{1});
  EXPECT_EQ(cache.registrations(), 0U);
  auto again = cache.acquire(range(0, 256));  // not cached past its last user
  EXPECT_EQ(device_.registered.size(), 2U);
}

TEST_F(VerbsRegistrationCache, MovedLeaseReleasesOnce) {
  auto cache = device_.make_cache();
  auto a = cache.acquire(range(0, 64));
  RegistrationCache::Lease b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(b);
  RegistrationCache::Lease c;
  c = std::move(b);
  EXPECT_EQ(cache.references(range(0, 64)), 1U);
  c.reset();
  EXPECT_EQ(device_.deregistered.size(), 1U);
}

TEST_F(VerbsRegistrationCache, EmptySpanRegistersNothing) {
  auto cache = device_.make_cache();
  auto lease = cache.acquire({});
  EXPECT_FALSE(lease);
  EXPECT_EQ(lease.handle(), nullptr);
  EXPECT_TRUE(device_.registered.empty());
}

TEST_F(VerbsRegistrationCache, FailedRegistrationLeavesCacheUnchanged) {
  auto cache = device_.make_cache();
  device_.fail_next = true;
  EXPECT_THROW(cache.acquire(range(0, 64)), std::runtime_error);
  EXPECT_EQ(cache.registrations(), 0U);
  device_.fail_next = false;
  auto lease = cache.acquire(range(0, 64));
  EXPECT_EQ(cache.registrations(), 1U);
}

TEST_F(VerbsRegistrationCache, MoveAssignReleasesThePreviousLease) {
  auto cache = device_.make_cache();
  auto lease = cache.acquire(range(0, 64));
  lease = cache.acquire(range(128, 64));
  EXPECT_EQ(device_.deregistered, std::vector<std::uintptr_t>{1});
  EXPECT_EQ(cache.registrations(), 1U);
}

}  // namespace
}  // namespace fb
