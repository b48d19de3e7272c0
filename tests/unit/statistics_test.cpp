#include <gtest/gtest.h>

#include <vector>

#include "harness/statistics.hpp"

namespace fb {
namespace {

TEST(Statistics, OddCount) {
  const std::vector<double> s{5, 1, 3};
  const auto st = summarize(s);
  EXPECT_DOUBLE_EQ(st.min_us, 1);
  EXPECT_DOUBLE_EQ(st.median_us, 3);
  EXPECT_DOUBLE_EQ(st.mean_us, 3);
  EXPECT_DOUBLE_EQ(st.max_us, 5);
  EXPECT_DOUBLE_EQ(st.p99_us, 5);
}

TEST(Statistics, EvenCountMedianIsTheMidpoint) {
  const std::vector<double> s{4, 1, 2, 3};
  EXPECT_DOUBLE_EQ(summarize(s).median_us, 2.5);
  EXPECT_DOUBLE_EQ(summarize(s).mean_us, 2.5);
}

TEST(Statistics, P99IsNearestRank) {
  std::vector<double> s;
  for (int i = 1; i <= 200; ++i)
    s.push_back(i);
  EXPECT_DOUBLE_EQ(summarize(s).p99_us, 198);  // ceil(0.99 * 200) = 198th value
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i)
    hundred.push_back(i);
  EXPECT_DOUBLE_EQ(summarize(hundred).p99_us, 99);
  EXPECT_DOUBLE_EQ(percentile_sorted(std::vector<double>{7}, 99), 7);
}

TEST(Statistics, EmptyThrows) {
  EXPECT_THROW(summarize({}), std::invalid_argument);
}

TEST(Bandwidth, DefinitionsMatchNcclTests) {
  // 1e9 bytes in 1 s = 1 GB/s; busbw for all-reduce on 4 ranks = algbw * 2 * 3 / 4.
  const auto bw = bandwidth(1e9, 1e6, 1.5);
  EXPECT_DOUBLE_EQ(bw.algbw_GBps, 1.0);
  EXPECT_DOUBLE_EQ(bw.busbw_GBps, 1.5);
  EXPECT_DOUBLE_EQ(bandwidth(16777216, 1000, 1).algbw_GBps, 16.777216);
  EXPECT_DOUBLE_EQ(bandwidth(8, 0, 1).algbw_GBps, 0);
}

}  // namespace
}  // namespace fb
