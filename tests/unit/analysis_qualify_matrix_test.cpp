// Link matrix localisation: a bad host, a bad direction, one bad link, a clean matrix.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "analysis/qualify_matrix.hpp"

namespace fb::analysis {
namespace {

const std::vector<std::string> kHosts{"h0", "h1", "h2", "h3", "h4", "h5"};

// Index of entry (i, j) of an n x n row-major matrix.
std::size_t at(int i, int j, int n) {
  return static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j);
}

// n x n at `base` GB/s with a little deterministic noise (+-1.5 %), NaN diagonal.
std::vector<double> clean(int n, double base = 0.117) {
  std::vector<double> m(at(n, 0, n));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double noise = 1 + 0.015 * std::sin(7.0 * i + 3.0 * j);
      m[at(i, j, n)] = i == j ? std::numeric_limits<double>::quiet_NaN() : base * noise;
    }
  }
  return m;
}

TEST(QualifyMatrix, CleanMatrixFlagsNothing) {
  for (int n : {3, 4, 6}) {
    EXPECT_TRUE(localise(clean(n), n, kHosts).empty()) << n;
  }
}

TEST(QualifyMatrix, BadHostRowAndColumn) {
  const int n = 4;
  auto m = clean(n);
  for (int k = 0; k < n; ++k) {
    if (k == 2) continue;
    m[at(2, k, n)] *= 0.5;  // what h2 sends
    m[at(k, 2, n)] *= 0.5;  // what h2 receives
  }
  const auto f = localise(m, n, kHosts);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].kind, LinkFinding::Kind::host_both);
  EXPECT_EQ(f[0].rank, 2);
  EXPECT_EQ(f[0].host, "h2");
  EXPECT_NEAR(f[0].factor, 0.5, 0.03);
  EXPECT_EQ(f[0].text.rfind("h2 (rank 2) sends and receives slowly (row and column)", 0), 0U)
      << f[0].text;
}

TEST(QualifyMatrix, SlowOutgoingOnly) {
  const int n = 5;
  auto m = clean(n);
  for (int k = 0; k < n; ++k) {
    if (k != 1) m[at(1, k, n)] *= 0.6;
  }
  const auto f = localise(m, n, kHosts);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].kind, LinkFinding::Kind::host_outgoing);
  EXPECT_EQ(f[0].host, "h1");
  EXPECT_NE(f[0].text.find("outgoing"), std::string::npos);
}

TEST(QualifyMatrix, SingleBadLink) {
  const int n = 4;
  auto m = clean(n);
  m[at(3, 1, n)] *= 0.4;  // h3 -> h1 only
  const auto f = localise(m, n, kHosts);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].kind, LinkFinding::Kind::link);
  EXPECT_EQ(f[0].rank, 3);
  EXPECT_EQ(f[0].peer, 1);
  EXPECT_EQ(f[0].host, "h3");
  EXPECT_EQ(f[0].peer_host, "h1");
  EXPECT_NEAR(f[0].factor, 0.4, 0.05);
  EXPECT_EQ(f[0].text.rfind("link h3 (rank 3) -> h1 (rank 1) alone is slow", 0), 0U) << f[0].text;
}

TEST(QualifyMatrix, SmallDropIsNotAFinding) {
  const int n = 4;
  auto m = clean(n);
  for (int k = 0; k < n; ++k) {
    if (k == 0) continue;
    m[at(0, k, n)] *= 0.9;  // h0 sends 10 % slower: below min_drop
    m[at(k, 0, n)] *= 0.9;
  }
  EXPECT_TRUE(localise(m, n, kHosts).empty());
}

TEST(QualifyMatrix, TwoRanksCannotLocalise) {
  EXPECT_TRUE(localise(clean(2), 2, kHosts).empty());
}

TEST(QualifyMatrix, MedianPolishSeparatesEffects) {
  // log bw = row + column exactly: residuals vanish.
  const int n = 3;
  const std::vector<double> rows{1.0, 2.0, 4.0};
  const std::vector<double> cols{1.0, 0.5, 1.0};
  std::vector<double> m(9);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      m[at(i, j, n)] = i == j
                           ? std::numeric_limits<double>::quiet_NaN()
                           : rows[static_cast<std::size_t>(i)] * cols[static_cast<std::size_t>(j)];
    }
  }
  const auto e = median_polish_log(m, n);
  for (int k = 0; k < 9; ++k) {
    if (k % 4 == 0) continue;
    EXPECT_NEAR(e.residual[static_cast<std::size_t>(k)], 0, 1e-5) << k;
  }
  EXPECT_NEAR(e.row[2] - e.row[0], std::log(4.0), 1e-5);
}

}  // namespace
}  // namespace fb::analysis
