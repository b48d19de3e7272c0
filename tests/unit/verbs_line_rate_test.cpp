#include <gtest/gtest.h>
#include <infiniband/verbs.h>

#include <cstdlib>
#include <string>

#include "transports/verbs/verbs_line_rate.hpp"

namespace fb {
namespace {

// ibv_port_attr codes.
constexpr std::uint8_t kSdr = 1, kQdr = 4, kFdr10 = 8, kFdr = 16, kEdr = 32, kHdr = 64, kNdr = 128;
constexpr std::uint8_t k1x = 1, k4x = 2, k8x = 4, k12x = 8, k2x = 16;

TEST(VerbsLineRate, DataRateAfterEncoding) {
  EXPECT_DOUBLE_EQ(ib_link_rate(kSdr, k1x)->data_Gbps, 2.0);
  EXPECT_DOUBLE_EQ(ib_link_rate(kQdr, k4x)->data_Gbps, 32.0);  // QDR 4x: 40 Gb/s signalled
  EXPECT_DOUBLE_EQ(ib_link_rate(kFdr10, k4x)->data_Gbps, 40.0);
  EXPECT_NEAR(ib_link_rate(kFdr, k4x)->data_Gbps, 54.5454545, 1e-6);  // "56 Gb/s" FDR
  EXPECT_DOUBLE_EQ(ib_link_rate(kEdr, k4x)->data_Gbps, 100.0);
  EXPECT_NEAR(ib_link_rate(kHdr, k4x)->data_Gbps, 200.0, 1e-9);
  EXPECT_NEAR(ib_link_rate(kNdr, k4x)->data_Gbps, 400.0, 1e-9);
  EXPECT_NEAR(ib_link_rate(kHdr, k2x)->data_Gbps, 100.0, 1e-9);  // HDR100 split port
}

TEST(VerbsLineRate, SignallingRate) {
  EXPECT_DOUBLE_EQ(ib_link_rate(kQdr, k4x)->signalling_Gbps, 40.0);
  EXPECT_DOUBLE_EQ(ib_link_rate(kEdr, k4x)->signalling_Gbps, 103.125);
  EXPECT_DOUBLE_EQ(ib_link_rate(kHdr, k4x)->signalling_Gbps, 212.5);
  EXPECT_DOUBLE_EQ(ib_link_rate(kEdr, k12x)->signalling_Gbps, 309.375);
  EXPECT_DOUBLE_EQ(ib_link_rate(kNdr, k8x)->signalling_Gbps, 850.0);
}

TEST(VerbsLineRate, UnknownCodes) {
  EXPECT_FALSE(ib_link_rate(0, k4x).has_value());
  EXPECT_FALSE(ib_link_rate(3, k4x).has_value());
  EXPECT_FALSE(ib_link_rate(kEdr, 0).has_value());
  EXPECT_FALSE(ib_link_rate(kEdr, 3).has_value());
}

// XDR has no 8-bit code: ports report it in active_speed_ex (256).
TEST(VerbsLineRate, XdrFromTheExtendedSpeed) {
  EXPECT_NEAR(ib_link_rate(256, k4x)->data_Gbps, 800.0, 1e-9);
  EXPECT_DOUBLE_EQ(ib_link_rate(256, k4x)->signalling_Gbps, 850.0);
  EXPECT_NEAR(link_rate(256, k2x, IBV_LINK_LAYER_INFINIBAND)->data_Gbps, 400.0, 1e-9);
}

// mlx5 reports Ethernet speeds with InfiniBand codes: 40GbE is "4x QDR", whose InfiniBand
// data rate (8b/10b) would read 32 Gb/s. On an Ethernet port the Ethernet rate counts.
TEST(VerbsLineRate, EthernetSpeedsReportedAsInfiniBandCodes) {
  const auto eth = [](std::uint32_t speed, std::uint8_t width) {
    return link_rate(speed, width, IBV_LINK_LAYER_ETHERNET)->data_Gbps;
  };
  EXPECT_DOUBLE_EQ(eth(kQdr, k1x), 10.0);   // 10GbE
  EXPECT_DOUBLE_EQ(eth(kQdr, k4x), 40.0);   // 40GbE
  EXPECT_DOUBLE_EQ(eth(kEdr, k1x), 25.0);   // 25GbE
  EXPECT_DOUBLE_EQ(eth(kEdr, k2x), 50.0);   // 50GbE (2 x 25G)
  EXPECT_DOUBLE_EQ(eth(kEdr, k4x), 100.0);  // 100GbE (4 x 25G)
  EXPECT_DOUBLE_EQ(eth(kHdr, k4x), 200.0);  // 200GbE
  EXPECT_DOUBLE_EQ(eth(kHdr, k8x), 400.0);  // 400GbE (8 x 50G)
  EXPECT_DOUBLE_EQ(eth(kNdr, k4x), 400.0);  // 400GbE (4 x 100G)
  EXPECT_DOUBLE_EQ(eth(kNdr, k8x), 800.0);  // 800GbE
  EXPECT_DOUBLE_EQ(eth(kSdr, k1x), 1.0);    // 1GbE
  EXPECT_DOUBLE_EQ(link_rate(kQdr, k4x, IBV_LINK_LAYER_INFINIBAND)->data_Gbps, 32.0);
  EXPECT_FALSE(link_rate(3, k4x, IBV_LINK_LAYER_ETHERNET).has_value());
}

TEST(VerbsLineRate, NoDeviceNoRate) {
  const char* saved = std::getenv("FB_VERBS_OPTIONS");  // NOLINT(concurrency-mt-unsafe)
  const std::string previous = saved == nullptr ? "" : saved;
  setenv("FB_VERBS_OPTIONS", "device=no_such_device_0", 1);  // NOLINT(concurrency-mt-unsafe)
  const auto rate = verbs_line_rate_Gbps(0);
  if (saved == nullptr) {
    unsetenv("FB_VERBS_OPTIONS");  // NOLINT(concurrency-mt-unsafe)
  } else {
    setenv("FB_VERBS_OPTIONS", previous.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  }
  EXPECT_FALSE(rate.has_value());
}

}  // namespace
}  // namespace fb
