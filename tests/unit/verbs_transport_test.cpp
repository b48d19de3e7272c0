// The verbs transport on this machine: with no RDMA device it must say why and refuse to
// start; with one, it must move messages (skipped, with the reason, where there is none).
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tests/unit/solo_bootstrap.hpp"
#include "transports/error.hpp"
#include "transports/registry.hpp"
#include "transports/verbs/verbs_resources.hpp"
#include "transports/verbs/verbs_transport.hpp"

namespace fb {
namespace {

TEST(VerbsTransport, RegisteredWithAvailabilityCheck) {
  const auto* entry = find_transport("verbs");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->description, "raw libibverbs RDMA (RC queue pairs)");
  EXPECT_EQ(entry->unavailable_reason(), verbs_unavailable_reason());
}

// This build machine has no RDMA device (no InfiniBand support in its kernel). On one that
// has a device the test has nothing to check and says so.
TEST(VerbsTransport, UnavailableWithoutDeviceAndFactoryRefuses) {
  const auto reason = verbs_unavailable_reason();
  if (!reason) GTEST_SKIP() << "an RDMA device with an active port is present here";
  EXPECT_NE(reason->find("no RDMA device found"), std::string::npos) << *reason;
  EXPECT_EQ(reason->find('\n'), std::string::npos);
  const auto* entry = find_transport("verbs");
  ASSERT_NE(entry, nullptr);
  const auto available = available_transport_names();
  EXPECT_EQ(std::find(available.begin(), available.end(), "verbs"), available.end());
  SoloBootstrap bootstrap;
  try {
    entry->create(bootstrap);
    FAIL() << "the factory created a verbs transport without a device";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.transport(), "verbs");
    EXPECT_EQ(std::string(e.what()), "verbs: init: " + *reason);
  }
}

TEST(VerbsTransport, BadEnvironmentOptionsAreTheReason) {
  const char* saved = std::getenv("FB_VERBS_OPTIONS");  // NOLINT(concurrency-mt-unsafe)
  const std::string previous = saved == nullptr ? "" : saved;
  setenv("FB_VERBS_OPTIONS", "tx_depth=0", 1);  // NOLINT(concurrency-mt-unsafe)
  const auto reason = verbs_unavailable_reason();
  if (saved == nullptr) {
    unsetenv("FB_VERBS_OPTIONS");  // NOLINT(concurrency-mt-unsafe)
  } else {
    setenv("FB_VERBS_OPTIONS", previous.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  }
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "FB_VERBS_OPTIONS: verbs options: tx_depth=0: out of range 1..32768");
}

TEST(VerbsTransport, OpenNamedMissingDeviceSaysWhy) {
  try {
    VerbsOptions options;
    options.devices = {{"no_such_device_0", 0}};
    open_verbs_port(options, 0);
    FAIL() << "opened a device that does not exist";
  } catch (const TransportError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("verbs: open device: ", 0), 0U) << what;
    // With devices present: "no RDMA device named ..."; without: "no RDMA device found".
    EXPECT_NE(what.find("no RDMA device"), std::string::npos) << what;
  }
}

// Needs hardware: one rank, messages to itself through the transport's own path, and
// registration of a real buffer. Skipped with the reason where there is no device.
TEST(VerbsTransport, SelfMessagesOnRealDevice) {
  if (const auto reason = verbs_unavailable_reason()) GTEST_SKIP() << *reason;
  SoloBootstrap bootstrap;
  VerbsTransport transport(bootstrap, VerbsOptions{});
  EXPECT_EQ(transport.name(), "verbs");
  EXPECT_TRUE(transport.capabilities().one_sided);
  std::vector<std::byte> send(1 << 20);
  std::vector<std::byte> recv(1 << 20);
  for (std::size_t i = 0; i < send.size(); ++i)
    send[i] = static_cast<std::byte>(i * 7);
  const auto send_region = transport.register_memory(send);
  const auto recv_region = transport.register_memory(recv);
  ASSERT_NE(send_region->native(), nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (const std::size_t bytes : {std::size_t{0}, std::size_t{8}, std::size_t{1} << 20}) {
    auto r = transport.irecv(0, make_tag(bytes, 1), *recv_region, 0, bytes);
    auto s = transport.isend(0, make_tag(bytes, 1), *send_region, 0, bytes);
    transport.wait(s, deadline);
    transport.wait(r, deadline);
    EXPECT_TRUE(
        std::equal(send.begin(), send.begin() + static_cast<std::ptrdiff_t>(bytes), recv.begin()));
  }
  auto r = transport.irecv(0, 5, *recv_region, 0, 16);
  auto s = transport.isend(0, 5, *send_region, 0, 8);
  transport.wait(s, deadline);
  EXPECT_THROW(transport.wait(r, deadline), TransportError);
}

// A region handed out holds the device objects its registration lives in: destroying the
// transport first leaves the registration, its PD and its device open until the region
// goes, never an ibv_mr behind a deallocated PD. Counted by the software device
// (tests/fakeverbs exports fakeverbs_live_objects); skipped elsewhere.
TEST(VerbsTransport, RegionOutlivesItsTransport) {
  if (const auto reason = verbs_unavailable_reason()) GTEST_SKIP() << *reason;
  using LiveObjects = int (*)(const char*);
  const auto live = reinterpret_cast<LiveObjects>(dlsym(RTLD_DEFAULT, "fakeverbs_live_objects"));
  if (live == nullptr) GTEST_SKIP() << "needs the software device's object counts";
  const int mrs = live("mr");
  const int pds = live("pd");
  const int contexts = live("context");
  std::vector<std::byte> buffer(1 << 16);
  std::unique_ptr<MemoryRegion> region;
  {
    SoloBootstrap bootstrap;
    VerbsTransport transport(bootstrap, VerbsOptions{});
    region = transport.register_memory(buffer);
    ASSERT_NE(region->native(), nullptr);
  }
  EXPECT_EQ(live("mr"), mrs + 1);
  EXPECT_EQ(live("pd"), pds + 1);
  EXPECT_EQ(live("context"), contexts + 1);
  region.reset();
  EXPECT_EQ(live("mr"), mrs);
  EXPECT_EQ(live("pd"), pds);
  EXPECT_EQ(live("context"), contexts);
}

// GPUDirect RDMA's registration path on the software device, with a memfd standing for the
// GPU's dma-buf: device memory goes through the exporter and ibv_reg_dmabuf_mr (the device
// moves its bytes through the fd's own mapping, so a wrong fd or offset would show as wrong
// data); memory the exporter refuses falls back to ibv_reg_mr on the pointer (the
// nvidia-peermem path). Skipped without a device and its object counts.
TEST(VerbsTransport, DeviceMemoryThroughDmaBuf) {
  if (const auto reason = verbs_unavailable_reason()) GTEST_SKIP() << *reason;
  using LiveObjects = int (*)(const char*);
  const auto live = reinterpret_cast<LiveObjects>(dlsym(RTLD_DEFAULT, "fakeverbs_live_objects"));
  if (live == nullptr) GTEST_SKIP() << "needs the software device's object counts";
  constexpr std::size_t kBytes = std::size_t{2} << 20;
  const int memfd = memfd_create("fb-device-memory", MFD_CLOEXEC);
  ASSERT_GE(memfd, 0);
  ASSERT_EQ(ftruncate(memfd, kBytes), 0);
  void* map = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  ASSERT_NE(map, MAP_FAILED);
  const std::span memory(static_cast<std::byte*>(map), kBytes);
  int exports = 0;
  const int dmabuf_mrs_before = live("dmabuf_mr");
  const DmaBufExporter exporter = [&](std::span<std::byte> bytes,
                                      std::string& why) -> std::optional<DmaBuf> {
    if (bytes.data() < memory.data() || bytes.data() + bytes.size() > memory.data() + kBytes) {
      why = "not in the memfd";
      return std::nullopt;
    }
    ++exports;
    return DmaBuf{dup(memfd), static_cast<std::uint64_t>(bytes.data() - memory.data())};
  };
  {
    SoloBootstrap bootstrap;
    VerbsTransport transport(bootstrap, VerbsOptions{});
    EXPECT_FALSE(transport.capabilities().device_memory);  // no exporter yet
    transport.set_dmabuf_exporter(exporter);
    EXPECT_TRUE(transport.capabilities().device_memory);
    const int dmabuf_mrs = live("dmabuf_mr");
    // Send and receive halves at offsets that are not page aligned.
    const auto send = memory.subspan(100, kBytes / 2 - 100);
    const auto recv = memory.subspan(kBytes / 2 + 40, kBytes / 2 - 40);
    for (std::size_t i = 0; i < send.size(); ++i)
      send[i] = static_cast<std::byte>(i * 13 + 1);
    const auto send_region = transport.register_device_memory(send);
    const auto recv_region = transport.register_device_memory(recv);
    EXPECT_EQ(exports, 2);
    EXPECT_EQ(live("dmabuf_mr"), dmabuf_mrs + 2);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    for (const std::size_t bytes : {std::size_t{8}, std::size_t{512} << 10}) {
      std::fill(recv.begin(), recv.end(), std::byte{0});
      auto r = transport.irecv(0, make_tag(bytes, 3), *recv_region, 0, bytes);
      auto s = transport.isend(0, make_tag(bytes, 3), *send_region, 0, bytes);
      transport.wait(s, deadline);
      transport.wait(r, deadline);
      EXPECT_TRUE(
          std::equal(send.begin(), send.begin() + static_cast<std::ptrdiff_t>(bytes), recv.begin()))
          << bytes << " bytes";
    }
    // Memory the exporter refuses: registered on its pointer instead, not as a dma-buf.
    std::vector<std::byte> elsewhere(4096);
    const auto fallback = transport.register_device_memory(elsewhere);
    EXPECT_NE(fallback->native(), nullptr);
    EXPECT_EQ(live("dmabuf_mr"), dmabuf_mrs + 2);
  }
  EXPECT_EQ(live("dmabuf_mr"), dmabuf_mrs_before);
  munmap(map, kBytes);
  close(memfd);
}

// Needs a device that enforces RLIMIT_MEMLOCK as the kernel does for a user without
// CAP_IPC_LOCK (the software device by default): a registration past the limit fails with
// ENOMEM, and the error must name the limit and its value.
TEST(VerbsTransport, RegistrationPastMemlockNamesTheLimit) {
  if (const auto reason = verbs_unavailable_reason()) GTEST_SKIP() << *reason;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &saved), 0);
  rlimit lowered = saved;
  lowered.rlim_cur = 2 << 20;  // 2 MiB: the transport's own buffers fit, 8 MiB does not
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < lowered.rlim_cur) {
    GTEST_SKIP() << "RLIMIT_MEMLOCK's hard limit is below 2 MiB here";
  }
  ASSERT_EQ(setrlimit(RLIMIT_MEMLOCK, &lowered), 0);
  std::string message;
  {
    SoloBootstrap bootstrap;
    VerbsTransport transport(bootstrap, VerbsOptions{});
    std::vector<std::byte> big(8 << 20);
    try {
      transport.register_memory(big);
    } catch (const TransportError& e) {
      message = e.what();
    }
  }
  setrlimit(RLIMIT_MEMLOCK, &saved);
  EXPECT_NE(message.find("register memory (ibv_reg_mr)"), std::string::npos) << message;
  EXPECT_NE(message.find("registering 8388608 bytes: pinned memory is limited by "
                         "RLIMIT_MEMLOCK (now 2048 KiB; raise it with `ulimit -l unlimited`"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace fb
