// The building blocks of collectives/pipeline.hpp over a scripted transport: which operations
// streams post, in which order, when they retire, and what a timeout names.
#include "collectives/pipeline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "transports/error.hpp"

namespace fb {
namespace {

// Records every operation; an operation completes once its handle is in `complete` (or at
// once with `complete_all`).
class ScriptedTransport final : public Transport {
 public:
  struct Op {
    OpKind kind;
    int peer;
    Tag tag;
    std::size_t offset;
    std::size_t bytes;
  };
  std::vector<Op> ops;
  std::set<std::uintptr_t> complete;
  bool complete_all = false;
  int progress_calls = 0;

  std::string_view name() const override { return "scripted"; }
  TransportCapabilities capabilities() const override { return {}; }
  int rank() const override { return 0; }
  int size() const override { return 4; }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override {
    return std::make_unique<MemoryRegion>(bytes);
  }
  Request isend(int peer, Tag tag, const MemoryRegion&, std::size_t offset,
                std::size_t bytes) override {
    return post(OpKind::send, peer, tag, offset, bytes);
  }
  Request irecv(int peer, Tag tag, const MemoryRegion&, std::size_t offset,
                std::size_t bytes) override {
    return post(OpKind::recv, peer, tag, offset, bytes);
  }
  void progress() override { ++progress_calls; }
  bool test(Request& req) override {
    if (complete_all || complete.contains(req.handle)) req.done = true;
    return req.done;
  }

 private:
  Request post(OpKind kind, int peer, Tag tag, std::size_t offset, std::size_t bytes) {
    ops.push_back({kind, peer, tag, offset, bytes});
    return {ops.size() - 1, bytes, peer, kind, false};
  }
};

class Pipeline : public ::testing::Test {
 protected:
  ScriptedTransport transport;
  std::vector<std::byte> memory = std::vector<std::byte>(1024);
  MemoryRegion region{memory};
  Place place(std::size_t c) const { return {&region, c * 16, 16}; }
};

TEST_F(Pipeline, PostsInOrderWithinSlotsAndLimit) {
  Stream s(transport, "to right");
  s.open(OpKind::send, 3, make_tag(7, 1), 2, 5);
  s.post_until(4, [&](std::size_t c, std::size_t) { return place(c); });
  ASSERT_EQ(transport.ops.size(), 2u);  // two slots
  EXPECT_EQ(transport.ops[1].offset, 16u);
  EXPECT_EQ(transport.ops[1].peer, 3);
  EXPECT_EQ(transport.ops[1].tag, make_tag(7, 1));
  transport.complete = {1};  // chunk 1 done, chunk 0 not: nothing retires out of order
  std::vector<std::size_t> retired;
  EXPECT_FALSE(s.retire_until(5, [&](std::size_t c) { retired.push_back(c); }));
  transport.complete = {0, 1};
  EXPECT_TRUE(s.retire_until(1, [&](std::size_t c) { retired.push_back(c); }));  // limit 1
  EXPECT_EQ(retired, (std::vector<std::size_t>{0}));
  s.post_until(4, [&](std::size_t c, std::size_t) { return place(c); });
  EXPECT_EQ(transport.ops.size(), 3u);  // one slot freed
  EXPECT_EQ(s.posted(), 3u);
  EXPECT_EQ(s.retired(), 1u);
}

TEST_F(Pipeline, FanRetiresWhenEveryPeerIsDone) {
  const std::vector<int> children{1, 2};
  Stream s(transport, "from child");
  s.open(OpKind::recv, children, 9, 1, 1);
  s.post_until(1, [&](std::size_t c, std::size_t i) { return place(c + i); });
  ASSERT_EQ(transport.ops.size(), 2u);
  EXPECT_EQ(transport.ops[0].peer, 1);
  EXPECT_EQ(transport.ops[1].peer, 2);
  EXPECT_EQ(transport.ops[1].offset, 16u);
  transport.complete = {0};
  EXPECT_FALSE(s.retire_until(1));
  transport.complete = {0, 1};
  EXPECT_TRUE(s.retire_until(1));
  EXPECT_TRUE(s.finished());
}

TEST_F(Pipeline, StreamWithoutPeersPassesChunksThrough) {
  Stream s(transport, "from child");
  s.open(OpKind::recv, std::span<const int>{}, 9, 1, 3);
  s.post_until(3, [&](std::size_t c, std::size_t) { return place(c); });
  EXPECT_TRUE(s.retire_until(3));
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(transport.ops.empty());
}

TEST_F(Pipeline, PeerPerChunk) {
  Stream s(transport, "to rank r+s");
  s.open(OpKind::send, kPeerPerChunk, 9, 3, 3);
  s.post_until(3, [&](std::size_t c, std::size_t) {
    Place p = place(c);
    p.peer = static_cast<int>(c) + 1;
    return p;
  });
  ASSERT_EQ(transport.ops.size(), 3u);
  EXPECT_EQ(transport.ops[2].peer, 3);
}

TEST_F(Pipeline, RunDrivesUntilEveryStreamFinishes) {
  transport.complete_all = true;
  Stream in(transport, "from left");
  Stream out(transport, "to right");
  in.open(OpKind::recv, 1, 5, 2, 4);
  out.open(OpKind::send, 2, 5, 2, 4);
  std::vector<std::size_t> reduced;
  Progress loop(transport, std::chrono::seconds(5), "test ring");
  loop.run(
      {&in, &out},
      [&] {
        const bool moved = in.retire_until(4, [&](std::size_t c) { reduced.push_back(c); });
        return out.retire_until(4) || moved;
      },
      [&] {
        in.post_until(4, [&](std::size_t c, std::size_t) { return place(c); });
        // Chunk c leaves once chunk c has arrived.
        out.post_until(in.retired(), [&](std::size_t c, std::size_t) { return place(c); });
      });
  EXPECT_EQ(reduced, (std::vector<std::size_t>{0, 1, 2, 3}));
  ASSERT_EQ(transport.ops.size(), 8u);
  EXPECT_EQ(transport.ops[0].kind, OpKind::recv);
  EXPECT_EQ(transport.ops[1].kind, OpKind::recv);
  EXPECT_EQ(transport.ops[2].kind, OpKind::recv);  // a freed slot is refilled first
  EXPECT_EQ(transport.ops[4].kind, OpKind::send);  // after receives 0 and 1 retired
  EXPECT_GT(transport.progress_calls, 0);
}

// retire_next works on one arrived chunk per poll, so what that chunk unblocks is posted
// before the next one is worked on: send c goes out before chunk c + 1 is reduced.
TEST_F(Pipeline, RetireNextPostsWhatAChunkUnblocksBeforeTheNext) {
  transport.complete_all = true;
  Stream in(transport, "from left");
  Stream out(transport, "to right");
  in.open(OpKind::recv, 1, 5, 2, 4);
  out.open(OpKind::send, 2, 5, 2, 4);
  std::vector<std::size_t> ops_at_reduce;  // operations posted when chunk c was reduced
  Progress loop(transport, std::chrono::seconds(5), "test ring");
  loop.run(
      {&in, &out},
      [&] {
        const bool moved =
            in.retire_next(4, [&](std::size_t) { ops_at_reduce.push_back(transport.ops.size()); });
        return out.retire_until(4) || moved;
      },
      [&] {
        in.post_until(4, [&](std::size_t c, std::size_t) { return place(c); });
        out.post_until(in.retired(), [&](std::size_t c, std::size_t) { return place(c); });
      });
  // recv 0, recv 1 | reduce 0 | recv 2, send 0 | reduce 1 | recv 3, send 1 | reduce 2 |
  // send 2 | reduce 3 | send 3
  EXPECT_EQ(ops_at_reduce, (std::vector<std::size_t>{2, 4, 6, 7}));
  ASSERT_EQ(transport.ops.size(), 8u);
  EXPECT_EQ(transport.ops[2].kind, OpKind::recv);
  EXPECT_EQ(transport.ops[3].kind, OpKind::send);
  EXPECT_FALSE(in.retire_next(4, [](std::size_t) {}));  // finished: nothing left
}

// A stall past the deadline names the transport, the peer, the operation and its bytes, the
// collective, the stream and the chunk.
TEST_F(Pipeline, TimeoutNamesStreamPeerAndChunk) {
  Stream in(transport, "from parent");
  Stream out(transport, "to child");
  in.open(OpKind::recv, 2, 5, 2, 10);
  out.open(OpKind::send, 3, 5, 2, 10);
  // Chunks 0 and 1 arrive (ops 0, 1); their slots are refilled (ops 2, 3: receives 2 and 3)
  // before the sends (ops 4, 5), and one send goes out.
  transport.complete = {0, 1, 4};
  Progress loop(transport, std::chrono::milliseconds(0), "chain broadcast");
  try {
    loop.run(
        {&in, &out},
        [&] {
          const bool moved = in.retire_until(10);
          return out.retire_until(10) || moved;
        },
        [&] {
          in.post_until(10, [&](std::size_t c, std::size_t) { return place(c); });
          out.post_until(in.retired(), [&](std::size_t c, std::size_t) { return place(c); });
        });
    FAIL() << "the loop returned with nothing completing";
  } catch (const TimeoutError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.peer(), 2);
    EXPECT_NE(what.find("scripted: timed out waiting for receive of 16 bytes during chain "
                        "broadcast chunk 2 of 10 from parent (peer rank 2)"),
              std::string::npos)
        << what;
  }
}

TEST_F(Pipeline, TimeoutNamesTheSendWhenReceivesAreDone) {
  Stream in(transport, "from parent");
  Stream out(transport, "to child");
  in.open(OpKind::recv, 2, 5, 1, 1);
  out.open(OpKind::send, 3, 5, 1, 1);
  transport.complete = {0};
  Progress loop(transport, std::chrono::milliseconds(0), "chain broadcast");
  try {
    loop.run(
        {&in, &out},
        [&] {
          const bool moved = in.retire_until(1);
          return out.retire_until(1) || moved;
        },
        [&] {
          in.post_until(1, [&](std::size_t c, std::size_t) { return place(c); });
          out.post_until(in.retired(), [&](std::size_t c, std::size_t) { return place(c); });
        });
    FAIL() << "the loop returned with nothing completing";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("send of 16 bytes during chain broadcast chunk 0 of 1 "
                                         "to child (peer rank 3)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Chunking, EvenAndFixed) {
  const auto even = Chunking::even(10, 16, 4);  // at most 4 elements: 4, 4, 2
  EXPECT_EQ(even.count, 3u);
  EXPECT_EQ(even.chunk_elems, 4u);
  const auto evened = Chunking::even(9, 16, 4);  // 3 chunks evened out to 3 elements each
  EXPECT_EQ(evened.count, 3u);
  EXPECT_EQ(evened.chunk_elems, 3u);
  EXPECT_EQ(evened.size(2), 3u);
  const auto fixed = Chunking::fixed(9, 16, 4);
  EXPECT_EQ(fixed.count, 3u);
  EXPECT_EQ(fixed.chunk_elems, 4u);
  EXPECT_EQ(fixed.offset(2), 8u);
  EXPECT_EQ(fixed.size(2), 1u);
  EXPECT_EQ(Chunking::even(0, 16, 4).count, 0u);
  EXPECT_EQ(Chunking::fixed(5, 1, 4).chunk_elems, 1u);  // at least one element
}

}  // namespace
}  // namespace fb
