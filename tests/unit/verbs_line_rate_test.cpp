#include <gtest/gtest.h>

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

TEST(VerbsLineRate, NoDeviceNoRate) {
  EXPECT_FALSE(verbs_line_rate_Gbps("no_such_device_0", 1).has_value());
}

}  // namespace
}  // namespace fb
