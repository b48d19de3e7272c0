// The local IPC path (transports/ipc_transport.hpp) over the loopback, on host-memory IPC
// (tests/unit/host_ipc.hpp): order and contents across a full mailbox ring, each peer
// allocation opened once, exact lengths, sends to oneself, refusals in one line (no peer
// access, memory that cannot be exported, device memory to another host over a transport
// that cannot take it) and a stall that names the peer. Every algorithm runs over the path
// in world_collectives_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "tests/unit/forwarding_transport.hpp"
#include "tests/unit/host_ipc.hpp"
#include "tests/unit/world.hpp"
#include "transports/error.hpp"
#include "transports/ipc_transport.hpp"
#include "transports/shm_mailbox.hpp"

namespace fb {
namespace {

using namespace std::chrono_literals;

Deadline soon() {
  return Clock::now() + 30s;
}

std::vector<bool> all_local(int n) {
  return std::vector<bool>(static_cast<std::size_t>(n), true);
}

// A transport that cannot take device memory (as Debian's UCX or a non-CUDA-aware MPI).
class HostOnly final : public ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::string_view name() const override { return "host-only"; }
  TransportCapabilities capabilities() const override { return {}; }
};

TEST(IpcTransport, MessagesArriveInOrderPastAFullRingAndEachAllocationOpensOnce) {
  // More messages than a ring has slots, from two allocations alternately, all posted before
  // the receiver takes any: the overflow waits in the sender's queue, in order.
  constexpr std::size_t kMessages = ShmMailboxes::kSlots + 100;
  std::vector<int> opens(2), exports(2);
  std::vector<std::uint64_t> transport_opens(2);
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    IpcTransport ipc(loopback, boot, host_ipc, all_local(2));
    EXPECT_TRUE(ipc.capabilities().device_memory);
    AlignedBuffer a(kMessages * 8), b(kMessages * 8);
    auto ra = ipc.register_device_memory(a.span());
    auto rb = ipc.register_device_memory(b.span());
    std::vector<Request> reqs;
    if (boot.rank() == 0) {
      for (std::size_t i = 0; i < kMessages; ++i) {
        const std::uint64_t value = 1000 + i;
        auto& buffer = i % 2 == 0 ? a : b;
        std::memcpy(buffer.span().data() + i * 8, &value, 8);
      }
      for (std::size_t i = 0; i < kMessages; ++i)
        reqs.push_back(ipc.isend(1, 7, i % 2 == 0 ? *ra : *rb, i * 8, 8));
      boot.barrier();  // every send posted before any receive
    } else {
      boot.barrier();
      for (std::size_t i = 0; i < kMessages; ++i)
        reqs.push_back(ipc.irecv(0, 7, *ra, i * 8, 8));
    }
    ipc.wait_all(reqs, soon());
    if (boot.rank() == 1) {
      for (std::size_t i = 0; i < kMessages; ++i) {
        std::uint64_t value = 0;
        std::memcpy(&value, a.span().data() + i * 8, 8);
        ASSERT_EQ(value, 1000 + i) << "message " << i;
      }
    }
    const auto r = static_cast<std::size_t>(boot.rank());
    opens[r] = host_ipc.opens;
    exports[r] = host_ipc.exports;
    transport_opens[r] = ipc.opens();
    boot.barrier();  // no rank leaves while its peer may still ack
  });
  EXPECT_EQ(exports[0], 2);  // one export per region
  EXPECT_EQ(opens[1], 2);    // one open per allocation, however many messages
  EXPECT_EQ(transport_opens[1], 2u);
  EXPECT_EQ(opens[0], 0);
}

TEST(IpcTransport, ReceiveOfAnotherLengthFailsBothSides) {
  std::vector<std::string> errors(2);
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    IpcTransport ipc(loopback, boot, host_ipc, all_local(2));
    AlignedBuffer buf(64);
    auto region = ipc.register_device_memory(buf.span());
    Request req =
        boot.rank() == 0 ? ipc.isend(1, 5, *region, 0, 8) : ipc.irecv(0, 5, *region, 0, 16);
    try {
      ipc.wait(req, soon());
    } catch (const TransportError& e) {
      errors[static_cast<std::size_t>(boot.rank())] = e.what();
    }
    boot.barrier();
  });
  EXPECT_NE(errors[0].find("rank 1 refused the message: its receive has another length (16"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("rank 0 sent 8 bytes to a receive of 16 bytes"), std::string::npos)
      << errors[1];
}

TEST(IpcTransport, SendsToItselfAndZeroBytes) {
  run_world(1, [](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    IpcTransport ipc(loopback, boot, host_ipc, all_local(1));
    AlignedBuffer buf(64);
    auto region = ipc.register_device_memory(buf.span());
    std::memset(buf.span().data(), 0x5A, 16);
    std::memset(buf.span().data() + 32, 0, 16);
    std::vector<Request> reqs{ipc.irecv(0, 3, *region, 32, 16), ipc.isend(0, 3, *region, 0, 16),
                              ipc.isend(0, 4, *region, 0, 0), ipc.irecv(0, 4, *region, 0, 0)};
    ipc.wait_all(reqs, soon());
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(buf.span()[32 + static_cast<std::size_t>(i)], std::byte{0x5A});
    EXPECT_EQ(host_ipc.opens, 0);  // its own memory needs no handle
  });
}

TEST(IpcTransport, NoPeerAccessRefusesDeviceMemoryButHostMemoryStillMoves) {
  std::vector<std::string> refusals(2);
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc(boot.rank());  // a GPU each, without peer access
    IpcTransport ipc(loopback, boot, host_ipc, all_local(2));
    EXPECT_FALSE(ipc.capabilities().device_memory);
    AlignedBuffer buf(64);
    try {
      ipc.register_device_memory(buf.span());
    } catch (const TransportError& e) {
      refusals[static_cast<std::size_t>(boot.rank())] = e.what();
    }
    auto host = ipc.register_memory(buf.span());
    std::uint32_t value = boot.rank() == 0 ? 77 : 0;
    std::memcpy(buf.span().data(), &value, 4);
    Request req = boot.rank() == 0 ? ipc.isend(1, 1, *host, 0, 4) : ipc.irecv(0, 1, *host, 0, 4);
    ipc.wait(req, soon());
    std::memcpy(&value, buf.span().data(), 4);
    EXPECT_EQ(value, 77u);
  });
  EXPECT_NE(refusals[0].find("host-ipc from rank 0 to rank 1: no peer access between group 0 "
                             "and group 1"),
            std::string::npos)
      << refusals[0];
  EXPECT_EQ(refusals[0].find('\n'), std::string::npos);
  EXPECT_NE(refusals[1].find("from rank 1 to rank 0"), std::string::npos) << refusals[1];
}

TEST(IpcTransport, AnotherHostOverATransportWithoutDeviceMemoryIsRefused) {
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostOnly host_only(loopback);
    HostIpc host_ipc;
    std::vector<bool> local(2);  // a host each
    local[static_cast<std::size_t>(boot.rank())] = true;
    IpcTransport ipc(host_only, boot, host_ipc, local);
    EXPECT_FALSE(ipc.capabilities().device_memory);
    AlignedBuffer buf(64);
    try {
      ipc.register_device_memory(buf.span());
      ADD_FAILURE() << "device memory registered for another host over host-only";
    } catch (const TransportError& e) {
      EXPECT_NE(std::string(e.what()).find("joins only the ranks of one host"), std::string::npos)
          << e.what();
    }
  });
}

TEST(IpcTransport, AnotherHostGoesOverTheWrappedTransport) {
  run_world(4, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    // Hosts {0, 1} and {2, 3}.
    std::vector<bool> local(4);
    for (int r = 0; r < 4; ++r)
      local[static_cast<std::size_t>(r)] = r / 2 == boot.rank() / 2;
    IpcTransport ipc(loopback, boot, host_ipc, local);
    EXPECT_TRUE(ipc.capabilities().device_memory);
    EXPECT_NE(ipc.path().detail.find("between hosts over loopback"), std::string::npos);
    AlignedBuffer buf(64);
    auto region = ipc.register_device_memory(buf.span());
    const int me = boot.rank();
    std::uint32_t mine = 100 + static_cast<std::uint32_t>(me);
    std::memcpy(buf.span().data(), &mine, 4);
    // Every rank sends to every other: slot 4 * (1 + sender) receives.
    std::vector<Request> reqs;
    for (int peer = 0; peer < 4; ++peer) {
      if (peer == me) continue;
      reqs.push_back(ipc.isend(peer, 9, *region, 0, 4));
      reqs.push_back(ipc.irecv(peer, 9, *region, 4 * (1 + static_cast<std::size_t>(peer)), 4));
    }
    ipc.wait_all(reqs, soon());
    for (int peer = 0; peer < 4; ++peer) {
      if (peer == me) continue;
      std::uint32_t got = 0;
      std::memcpy(&got, buf.span().data() + 4 * (1 + static_cast<std::size_t>(peer)), 4);
      EXPECT_EQ(got, 100u + static_cast<std::uint32_t>(peer));
    }
    EXPECT_EQ(host_ipc.opens, 1);  // the one local peer's region
    boot.barrier();
  });
}

TEST(IpcTransport, MemoryThatCannotBeExportedIsOneLine) {
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    host_ipc.refuse_exports = true;
    IpcTransport ipc(loopback, boot, host_ipc, all_local(2));
    AlignedBuffer buf(64);
    auto region = ipc.register_device_memory(buf.span());
    if (boot.rank() == 0) {
      try {
        ipc.isend(1, 2, *region, 0, 8);
        ADD_FAILURE() << "a send exported memory that cannot be";
      } catch (const TransportError& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("host-ipc: this memory cannot be exported"),
                  std::string::npos)
            << e.what();
      }
    }
  });
}

TEST(IpcTransport, ACopyInFlightEndsBeforeItsHandleCloses) {
  std::size_t copied_before_close = 0;
  int closes = 0;
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    host_ipc.polls_to_finish = 1000;  // still running when the transport goes
    AlignedBuffer buf(64);
    {
      IpcTransport ipc(loopback, boot, host_ipc, all_local(2));
      auto region = ipc.register_device_memory(buf.span());
      if (boot.rank() == 0) {
        static_cast<void>(ipc.isend(1, 8, *region, 0, 8));  // never waited for
        boot.barrier();
      } else {
        boot.barrier();  // the message is in the mailbox
        Request req = ipc.irecv(0, 8, *region, 0, 8);
        ipc.progress();  // matched: the copy starts, and is left in flight
        EXPECT_FALSE(req.done);
        EXPECT_EQ(host_ipc.copied, 0u);
      }
    }  // the transport goes with the copy unfinished
    if (boot.rank() == 1) {
      copied_before_close = host_ipc.copied_at_first_close;
      closes = host_ipc.closes;
    }
    boot.barrier();
  });
  EXPECT_EQ(copied_before_close, 8u);
  EXPECT_EQ(closes, 1);
}

TEST(IpcTransport, AStalledSendNamesItsPeer) {
  std::string error;
  run_world(2, [&](Bootstrap& boot, Transport& loopback) {
    HostIpc host_ipc;
    IpcTransport ipc(loopback, boot, host_ipc, all_local(2));
    AlignedBuffer buf(64);
    auto region = ipc.register_device_memory(buf.span());
    if (boot.rank() == 0) {
      Request req = ipc.isend(1, 6, *region, 0, 8);  // rank 1 never receives it
      try {
        ipc.wait(req, Clock::now() + 200ms);
      } catch (const TimeoutError& e) {
        error = e.what();
      }
    }
    boot.barrier();
  });
  EXPECT_NE(error.find("host-ipc with rank 1: 1 sends waiting for its copy"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace fb
