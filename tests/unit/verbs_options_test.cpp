#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "transports/verbs/verbs_options.hpp"

namespace fb {
namespace {

// The message of the std::invalid_argument that parsing `spec` throws ("" if none).
std::string parse_error(const std::string& spec) {
  try {
    parse_verbs_options(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(VerbsOptions, DefaultsFollowIbWriteBw) {
  const auto o = parse_verbs_options("");
  EXPECT_TRUE(o.devices.empty());
  EXPECT_EQ(o.port, 0);
  EXPECT_FALSE(o.gid_index.has_value());
  EXPECT_EQ(o.mtu, 0);
  EXPECT_EQ(o.tx_depth, 128);
  EXPECT_EQ(o.rx_depth, 64);
  EXPECT_EQ(o.cq_moderation, 64);
  EXPECT_EQ(o.inline_threshold, 64);
  EXPECT_EQ(o.eager_threshold, 4096);
  EXPECT_EQ(o.qps_per_peer, 1);
  EXPECT_EQ(o.min_rnr_timer, 12);
  EXPECT_EQ(o.timeout, 14);
  EXPECT_EQ(o.retry_cnt, 7);
  EXPECT_EQ(o.rnr_retry, 7);
  EXPECT_EQ(o.tclass, 0);
  EXPECT_EQ(o.sl, 0);
  EXPECT_EQ(o.pkey_index, 0);
  EXPECT_TRUE(o.relaxed_ordering);
  EXPECT_TRUE(o.srq);
  EXPECT_EQ(o.srq_depth, 1024);
  EXPECT_NO_THROW(validate(VerbsOptions{}));
}

TEST(VerbsOptions, ParsesEveryKey) {
  const auto o = parse_verbs_options(
      "device=mlx5_1,port=2,gid_index=3,mtu=2048,tx_depth=256,rx_depth=32,cq_moderation=16,"
      "inline_threshold=0,eager_threshold=8192,qps_per_peer=4,min_rnr_timer=1,timeout=20,"
      "retry_cnt=3,rnr_retry=0,tclass=106,sl=3,pkey_index=2,relaxed_ordering=0,srq=0,"
      "srq_depth=4096");
  ASSERT_EQ(o.devices.size(), 1U);
  EXPECT_EQ(o.devices[0], (VerbsDeviceChoice{"mlx5_1", 0}));
  EXPECT_EQ(o.tclass, 106);
  EXPECT_EQ(o.sl, 3);
  EXPECT_EQ(o.pkey_index, 2);
  EXPECT_FALSE(o.relaxed_ordering);
  EXPECT_FALSE(o.srq);
  EXPECT_EQ(o.srq_depth, 4096);
  EXPECT_EQ(o.port, 2);
  EXPECT_EQ(o.gid_index, 3);
  EXPECT_EQ(o.mtu, 2048);
  EXPECT_EQ(o.tx_depth, 256);
  EXPECT_EQ(o.rx_depth, 32);
  EXPECT_EQ(o.cq_moderation, 16);
  EXPECT_EQ(o.inline_threshold, 0);
  EXPECT_EQ(o.eager_threshold, 8192);
  EXPECT_EQ(o.qps_per_peer, 4);
  EXPECT_EQ(o.min_rnr_timer, 1);
  EXPECT_EQ(o.timeout, 20);
  EXPECT_EQ(o.retry_cnt, 3);
  EXPECT_EQ(o.rnr_retry, 0);
}

// One device per local rank, as UCX_NET_DEVICES / NCCL_IB_HCA list them.
TEST(VerbsOptions, DeviceListWithPorts) {
  const auto o = parse_verbs_options("device=mlx5_0:1+mlx5_1+mlx5_2:2");
  ASSERT_EQ(o.devices.size(), 3U);
  EXPECT_EQ(o.devices[0], (VerbsDeviceChoice{"mlx5_0", 1}));
  EXPECT_EQ(o.devices[1], (VerbsDeviceChoice{"mlx5_1", 0}));
  EXPECT_EQ(o.devices[2], (VerbsDeviceChoice{"mlx5_2", 2}));
  EXPECT_EQ(parse_error("device=mlx5_0+"),
            "verbs options: device=mlx5_0+: expected name[:port]+name[:port]...");
  EXPECT_EQ(parse_error("device=mlx5_0:0"), "verbs options: device port=0: out of range 1..255");
  EXPECT_EQ(parse_error("device=mlx5_0:x"), "verbs options: device port=x: expected an integer");
}

TEST(VerbsOptions, GidIndexAutoAndLid) {
  EXPECT_FALSE(parse_verbs_options("gid_index=3,gid_index=auto").gid_index.has_value());
  EXPECT_EQ(parse_verbs_options("gid_index=-1").gid_index, -1);
}

TEST(VerbsOptions, ToleratesEmptyItems) {
  EXPECT_EQ(parse_verbs_options(",tx_depth=64,,cq_moderation=8,").tx_depth, 64);
}

TEST(VerbsOptions, RejectsUnknownKey) {
  const auto message = parse_error("tx_depht=64");
  EXPECT_NE(message.find("verbs options: unknown key 'tx_depht'"), std::string::npos) << message;
  EXPECT_NE(message.find("tx_depth"), std::string::npos);  // lists the known keys
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(VerbsOptions, RejectsMalformedValues) {
  EXPECT_EQ(parse_error("tx_depth=abc"), "verbs options: tx_depth=abc: expected an integer");
  EXPECT_EQ(parse_error("tx_depth=12x"), "verbs options: tx_depth=12x: expected an integer");
  EXPECT_EQ(parse_error("tx_depth="), "verbs options: tx_depth=: expected an integer");
  EXPECT_EQ(parse_error("tx_depth"), "verbs options: 'tx_depth': expected key=value");
  EXPECT_EQ(parse_error("device="), "verbs options: device=: expected name[:port]+name[:port]...");
  EXPECT_EQ(parse_error("srq=yes"), "verbs options: srq=yes: expected 0 or 1");
  EXPECT_EQ(parse_error("port=99999999999"),
            "verbs options: port=99999999999: expected an integer");
}

TEST(VerbsOptions, RejectsOutOfRange) {
  EXPECT_EQ(parse_error("tx_depth=0"), "verbs options: tx_depth=0: out of range 1..32768");
  EXPECT_EQ(parse_error("retry_cnt=8"), "verbs options: retry_cnt=8: out of range 0..7");
  EXPECT_EQ(parse_error("rnr_retry=-1"), "verbs options: rnr_retry=-1: out of range 0..7");
  EXPECT_EQ(parse_error("timeout=32"), "verbs options: timeout=32: out of range 0..31");
  EXPECT_EQ(parse_error("min_rnr_timer=32"), "verbs options: min_rnr_timer=32: out of range 0..31");
  EXPECT_EQ(parse_error("gid_index=-2"), "verbs options: gid_index=-2: out of range -1..255");
  EXPECT_EQ(parse_error("qps_per_peer=0"), "verbs options: qps_per_peer=0: out of range 1..64");
  EXPECT_EQ(parse_error("sl=16"), "verbs options: sl=16: out of range 0..15");
  EXPECT_EQ(parse_error("tclass=256"), "verbs options: tclass=256: out of range 0..255");
  EXPECT_EQ(parse_error("srq_depth=0"), "verbs options: srq_depth=0: out of range 1..32768");
  EXPECT_NE(parse_error("mtu=1500").find("mtu=1500: expected 0 (port's), 256"), std::string::npos);
}

TEST(VerbsOptions, ModerationMustNotExceedTxDepth) {
  EXPECT_EQ(parse_error("tx_depth=32"),  // default moderation 64 > 32
            "verbs options: cq_moderation=64 exceeds tx_depth=32 (no completion would ever "
            "free the queue)");
  EXPECT_EQ(parse_verbs_options("tx_depth=32,cq_moderation=32").cq_moderation, 32);
  VerbsOptions o;
  o.cq_moderation = 200;
  EXPECT_THROW(validate(o), std::invalid_argument);
}

}  // namespace
}  // namespace fb
