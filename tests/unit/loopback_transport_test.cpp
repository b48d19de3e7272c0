// The loopback transport and the in-process world (tests/unit/world.hpp) keep the rules the
// real transports keep: exact-length matching, order per (peer, tag), rendezvous sends,
// region checks, deadlines; and a failing rank ends the world instead of hanging it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "tests/unit/world.hpp"
#include "transports/error.hpp"

namespace fb {
namespace {

using namespace std::chrono_literals;

Deadline soon() {
  return Clock::now() + 30s;
}

void put(std::span<std::byte> bytes, std::uint32_t value, std::size_t index) {
  std::memcpy(bytes.data() + index * sizeof value, &value, sizeof value);
}
std::uint32_t get(std::span<const std::byte> bytes, std::size_t index) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data() + index * sizeof value, sizeof value);
  return value;
}

TEST(LoopbackTransport, ReceiveOfAnotherLengthFailsBothSides) {
  std::vector<std::string> errors(2);
  run_world(2, [&](Bootstrap& boot, Transport& transport) {
    AlignedBuffer buf(64);
    auto region = transport.register_memory(buf.span());
    Request req = boot.rank() == 0 ? transport.isend(1, 5, *region, 0, 8)
                                   : transport.irecv(0, 5, *region, 0, 16);
    try {
      transport.wait(req, soon());
    } catch (const TransportError& e) {
      errors[static_cast<std::size_t>(boot.rank())] = e.what();
    }
  });
  EXPECT_EQ(errors[0],
            "loopback: send of 8 bytes (peer rank 1): message of 8 bytes matched a receive of 16 "
            "bytes (tag 5)");
  EXPECT_EQ(errors[1],
            "loopback: receive of 16 bytes (peer rank 0): message of 8 bytes matched a receive of "
            "16 bytes (tag 5)");
}

TEST(LoopbackTransport, MessagesMatchInOrderPerPeerAndTag) {
  run_world(3, [](Bootstrap& boot, Transport& transport) {
    AlignedBuffer buf(64);
    auto region = transport.register_memory(buf.span());
    if (boot.rank() != 2) {
      // Ranks 0 and 1 each send 10+r, 20+r on tag 1 and 30+r on tag 2, all to rank 2.
      const auto r = static_cast<std::uint32_t>(boot.rank());
      put(buf.span(), 10 + r, 0);
      put(buf.span(), 20 + r, 1);
      put(buf.span(), 30 + r, 2);
      std::vector<Request> reqs{transport.isend(2, 1, *region, 0, 4),
                                transport.isend(2, 1, *region, 4, 4),
                                transport.isend(2, 2, *region, 8, 4)};
      transport.wait_all(reqs, soon());
      return;
    }
    // Receive tag 2 first and from rank 1 before rank 0: matching is per (source, tag).
    std::vector<Request> reqs{
        transport.irecv(1, 2, *region, 0, 4),  transport.irecv(0, 2, *region, 4, 4),
        transport.irecv(1, 1, *region, 8, 4),  transport.irecv(1, 1, *region, 12, 4),
        transport.irecv(0, 1, *region, 16, 4), transport.irecv(0, 1, *region, 20, 4)};
    transport.wait_all(reqs, soon());
    const std::vector<std::uint32_t> expected{31, 30, 11, 21, 10, 20};
    for (std::size_t i = 0; i < expected.size(); ++i)
      EXPECT_EQ(get(buf.span(), i), expected[i]) << "receive " << i;
  });
}

TEST(LoopbackTransport, SendCompletesOnlyOnceItsReceiveIsPosted) {
  run_world(2, [](Bootstrap& boot, Transport& transport) {
    AlignedBuffer buf(8);
    auto region = transport.register_memory(buf.span());
    Request req;
    if (boot.rank() == 0) {
      put(buf.span(), 7, 0);
      req = transport.isend(1, 3, *region, 0, 4);
      transport.progress();
      EXPECT_FALSE(transport.test(req));  // rank 1 posts its receive only after the barrier
    }
    boot.barrier();
    if (boot.rank() == 1) req = transport.irecv(0, 3, *region, 4, 4);
    transport.wait(req, soon());
    if (boot.rank() == 1) {
      EXPECT_EQ(get(buf.span(), 1), 7U);
    }
  });
}

TEST(LoopbackTransport, ZeroByteMessagesAndSelfSendsMatch) {
  run_world(1, [](Bootstrap& /*boot*/, Transport& transport) {
    AlignedBuffer buf(8);
    auto region = transport.register_memory(buf.span());
    put(buf.span(), 42, 0);
    std::vector<Request> reqs{
        transport.irecv(0, 9, *region, 4, 4), transport.isend(0, 9, *region, 0, 4),
        transport.isend(0, 10, *region, 0, 0), transport.irecv(0, 10, *region, 8, 0)};
    transport.wait_all(reqs, soon());
    EXPECT_EQ(get(buf.span(), 1), 42U);
  });
}

TEST(LoopbackTransport, OperationsOutsideTheirRegionOrOnAForeignRegionThrow) {
  run_world(2, [](Bootstrap& boot, Transport& transport) {
    AlignedBuffer buf(16);
    auto region = transport.register_memory(buf.span());
    const int peer = 1 - boot.rank();
    EXPECT_THROW(transport.isend(peer, 1, *region, 8, 16), TransportError);
    EXPECT_THROW(transport.irecv(peer, 1, *region, 17, 0), TransportError);
    EXPECT_THROW(transport.isend(2, 1, *region, 0, 4), TransportError);
    const MemoryRegion foreign(buf.span());
    EXPECT_THROW(transport.isend(peer, 1, foreign, 0, 4), TransportError);
  });
}

TEST(LoopbackTransport, WaitPastDeadlineNamesTransportPeerAndOperation) {
  run_world(2, [](Bootstrap& boot, Transport& transport) {
    AlignedBuffer buf(8);
    auto region = transport.register_memory(buf.span());
    if (boot.rank() == 0) {
      auto req = transport.irecv(1, 7, *region, 0, 8);
      try {
        transport.wait(req, Clock::now() + 50ms);
        ADD_FAILURE() << "wait returned for a message nobody sent";
      } catch (const TimeoutError& e) {
        EXPECT_STREQ(e.what(),
                     "loopback: timed out waiting for receive of 8 bytes (peer rank 1): the peer "
                     "did not answer before the deadline (--timeout)");
        EXPECT_EQ(e.peer(), 1);
      }
    }
    boot.barrier();
  });
}

TEST(LoopbackTransport, AFailingRankEndsTheWorldWithItsOwnError) {
  std::atomic<bool> peer_released{false};
  try {
    run_world(3, [&](Bootstrap& boot, Transport& transport) {
      AlignedBuffer buf(8);
      auto region = transport.register_memory(buf.span());
      if (boot.rank() == 0) throw std::runtime_error("rank 0 gave up");
      if (boot.rank() == 1) {
        // Waits for a message rank 0 will never send: the abort releases it, not the deadline.
        auto req = transport.irecv(0, 1, *region, 0, 8);
        try {
          transport.wait(req, Clock::now() + 1h);
        } catch (const TransportError& e) {
          peer_released =
              std::string(e.what()).find("another rank of the world failed") != std::string::npos;
          throw;
        }
      }
      boot.barrier();  // rank 2: released by the bootstrap's abort
    });
    ADD_FAILURE() << "the world did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "rank 0 gave up");
  }
  EXPECT_TRUE(peer_released);
}

TEST(ThreadWorld, EveryBootstrapStepAgreesAcrossRanks) {
  run_world(5, [](Bootstrap& boot, Transport& /*transport*/) {
    const int r = boot.rank();
    const int n = boot.size();
    std::vector<std::int64_t> sums{r, 1};
    boot.allreduce_sum(sums);
    EXPECT_EQ(sums, (std::vector<std::int64_t>{10, 5}));
    std::vector<double> maxima{static_cast<double>(r), -static_cast<double>(r)};
    boot.allreduce_max(maxima);
    EXPECT_EQ(maxima, (std::vector<double>{4.0, 0.0}));
    const auto names = boot.allgather_strings(std::string(static_cast<std::size_t>(r), 'x'));
    ASSERT_EQ(names.size(), 5U);
    EXPECT_EQ(names[3], "xxx");
    std::vector<std::byte> data(3, std::byte{static_cast<unsigned char>(r)});
    boot.broadcast(data, 2);
    EXPECT_EQ(data, std::vector<std::byte>(3, std::byte{2}));
    // A ring of blocking messages: to the right, from the left.
    std::vector<std::byte> out(2, std::byte{static_cast<unsigned char>(r)}), in(2);
    if (r % 2 == 0) {
      boot.send(out, (r + 1) % n);
      boot.receive(in, (r + n - 1) % n);
    } else {
      boot.receive(in, (r + n - 1) % n);
      boot.send(out, (r + 1) % n);
    }
    EXPECT_EQ(in,
              std::vector<std::byte>(2, std::byte{static_cast<unsigned char>((r + n - 1) % n)}));
    int progressed = 0;
    boot.barrier_progressing([&] { ++progressed; });
    EXPECT_GE(progressed, 1);
  });
}

}  // namespace
}  // namespace fb
