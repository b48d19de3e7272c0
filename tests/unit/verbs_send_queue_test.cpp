#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "transports/verbs/send_queue_accounting.hpp"

namespace fb {
namespace {

// Posts one work request the way the transport does; returns whether it was signalled.
bool post(SendQueueAccounting& q) {
  const bool signalled = q.next_signalled();
  q.on_post(signalled);
  return signalled;
}

TEST(VerbsSendQueue, SignalsEveryNth) {
  SendQueueAccounting q(128, 4);
  std::vector<std::uint64_t> signalled;
  for (int i = 0; i < 12; ++i) {
    const auto sequence = q.next_sequence();
    if (post(q)) signalled.push_back(sequence);
  }
  EXPECT_EQ(signalled, (std::vector<std::uint64_t>{3, 7, 11}));
  EXPECT_EQ(q.outstanding(), 12U);
  q.on_completion(7);  // reports 0..7
  EXPECT_EQ(q.outstanding(), 4U);
  EXPECT_TRUE(q.is_complete(0));
  EXPECT_TRUE(q.is_complete(7));
  EXPECT_FALSE(q.is_complete(8));
}

TEST(VerbsSendQueue, NeverExceedsTxDepthAndTheFillingPostIsSignalled) {
  SendQueueAccounting q(8, 8);
  for (int i = 0; i < 7; ++i)
    EXPECT_FALSE(post(q)) << i;
  EXPECT_TRUE(q.can_post());
  EXPECT_TRUE(post(q));  // the 8th fills the queue (and is the 8th)
  EXPECT_FALSE(q.can_post());
  EXPECT_THROW(q.on_post(false), std::logic_error);
  q.on_completion(7);
  EXPECT_EQ(q.outstanding(), 0U);
}

TEST(VerbsSendQueue, FullQueueAlwaysHasACompletionComing) {
  // Moderation that does not divide the depth: the post that fills the queue is signalled
  // even off the every-Nth schedule, over many rounds and partial completions.
  SendQueueAccounting q(10, 4);
  std::uint64_t last_signalled = 0;
  for (int round = 0; round < 50; ++round) {
    while (q.can_post()) {
      const auto sequence = q.next_sequence();
      if (post(q)) last_signalled = sequence;
    }
    EXPECT_EQ(q.outstanding(), 10U);
    EXPECT_EQ(last_signalled, q.next_sequence() - 1) << "round " << round;
    EXPECT_FALSE(q.needs_flush());  // nothing unsignalled at the tail
    q.on_completion(last_signalled);
  }
}

TEST(VerbsSendQueue, IdleUnsignalledTailNeedsOneFlush) {
  SendQueueAccounting q(128, 64);
  post(q);
  post(q);
  EXPECT_FALSE(q.needs_flush());  // posted since the last check: the sender is busy
  EXPECT_TRUE(q.needs_flush());   // idle for a whole pass: flush
  q.on_post(true);                // the flush
  EXPECT_FALSE(q.needs_flush());
  EXPECT_FALSE(q.needs_flush());  // the signalled flush covers the tail
  q.on_completion(2);
  EXPECT_EQ(q.outstanding(), 0U);
  EXPECT_FALSE(q.needs_flush());
}

// A request followed by a signalled one is reported by that one's completion: no flush.
TEST(VerbsSendQueue, CoveredBySignalledRequestsAfterIt) {
  SendQueueAccounting q(128, 64);
  const auto first = q.on_post(false);
  EXPECT_FALSE(q.is_covered(first));
  const auto second = q.on_post(true);
  EXPECT_TRUE(q.is_covered(first));
  EXPECT_TRUE(q.is_covered(second));
  const auto third = q.on_post(false);
  EXPECT_FALSE(q.is_covered(third));
}

TEST(VerbsSendQueue, CompletionOutsideTheWindowIsALogicError) {
  SendQueueAccounting q(16, 4);
  post(q);
  EXPECT_THROW(q.on_completion(1), std::logic_error);  // not posted yet
  q.on_completion(0);
  EXPECT_THROW(q.on_completion(0), std::logic_error);  // already reported
}

TEST(VerbsSendQueue, RejectsModerationAboveDepth) {
  EXPECT_THROW(SendQueueAccounting(8, 9), std::invalid_argument);
  EXPECT_THROW(SendQueueAccounting(0, 0), std::invalid_argument);
  EXPECT_NO_THROW(SendQueueAccounting(1, 1));
}

TEST(VerbsSendQueue, ModerationOneSignalsEverything) {
  SendQueueAccounting q(4, 1);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(post(q));
}

}  // namespace
}  // namespace fb
