#include <gtest/gtest.h>

#include "transports/matcher.hpp"

namespace fb {
namespace {

TEST(VerbsMatcher, PostedThenIncomingIsFifoPerPeerAndTag) {
  Matcher m;
  EXPECT_FALSE(m.post_recv(1, 7, 100));
  EXPECT_FALSE(m.post_recv(1, 7, 101));
  EXPECT_FALSE(m.post_recv(1, 8, 102));
  EXPECT_FALSE(m.post_recv(2, 7, 103));
  EXPECT_EQ(m.posted_receives(), 4U);
  EXPECT_EQ(m.incoming(1, 7, 0), 100U);  // oldest for (1, 7)
  EXPECT_EQ(m.incoming(2, 7, 1), 103U);  // other source, same tag: its own queue
  EXPECT_EQ(m.incoming(1, 7, 2), 101U);
  EXPECT_EQ(m.incoming(1, 8, 3), 102U);
  EXPECT_EQ(m.posted_receives(), 0U);
  EXPECT_EQ(m.unexpected_messages(), 0U);
}

TEST(VerbsMatcher, UnexpectedThenPostedIsFifo) {
  Matcher m;
  EXPECT_FALSE(m.incoming(3, 5, 10));
  EXPECT_FALSE(m.incoming(3, 5, 11));
  EXPECT_FALSE(m.incoming(3, 6, 12));
  EXPECT_EQ(m.unexpected_messages(), 3U);
  EXPECT_EQ(m.post_recv(3, 6, 200), 12U);  // a different tag does not wait behind tag 5
  EXPECT_EQ(m.post_recv(3, 5, 201), 10U);
  EXPECT_EQ(m.post_recv(3, 5, 202), 11U);
  EXPECT_FALSE(m.post_recv(3, 5, 203));  // nothing left: queued
  EXPECT_EQ(m.posted_receives(), 1U);
  EXPECT_EQ(m.incoming(3, 5, 13), 203U);
}

TEST(VerbsMatcher, MixedOrderKeepsPostingOrder) {
  Matcher m;
  EXPECT_FALSE(m.incoming(0, 1, 1));
  EXPECT_EQ(m.post_recv(0, 1, 50), 1U);
  EXPECT_FALSE(m.post_recv(0, 1, 51));
  EXPECT_FALSE(m.post_recv(0, 1, 52));
  EXPECT_EQ(m.incoming(0, 1, 2), 51U);
  EXPECT_FALSE(m.incoming(4, 1, 3));  // other source never matches (0, 1)
  EXPECT_EQ(m.incoming(0, 1, 4), 52U);
  EXPECT_EQ(m.unexpected_messages(), 1U);
  EXPECT_EQ(m.posted_receives(), 0U);
}

TEST(VerbsMatcher, ManyTagsLeaveNoEmptyQueues) {
  Matcher m;
  for (Tag tag = 0; tag < 1000; ++tag) {
    EXPECT_FALSE(m.post_recv(1, make_tag(tag, 0), tag));
    EXPECT_EQ(m.incoming(1, make_tag(tag, 0), tag), tag);
  }
  EXPECT_EQ(m.posted_receives() + m.unexpected_messages(), 0U);
}

}  // namespace
}  // namespace fb
