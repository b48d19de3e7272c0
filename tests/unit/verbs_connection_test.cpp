#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>

#include "transports/transport.hpp"
#include "transports/verbs/verbs_connection.hpp"
#include "transports/verbs/verbs_protocol.hpp"

namespace fb {
namespace {

VerbsConnectionInfo sample() {
  VerbsConnectionInfo info;
  info.lid = 0x1234;
  for (std::size_t i = 0; i < info.gid.size(); ++i)
    info.gid[i] = static_cast<std::uint8_t>(0xF0 + i);
  info.psn = 0xABCDEF;
  info.mtu = IBV_MTU_4096;
  info.control_address = 0x00007F0011223344ULL;
  info.control_rkey = 0xDEADBEEF;
  info.qps_per_peer = 2;
  info.link_layer = IBV_LINK_LAYER_ETHERNET;
  info.uses_grh = 1;
  info.gid_type = IBV_GID_TYPE_ROCE_V2;
  info.subnet_prefix = 0xFE80000000000001ULL;
  info.max_message_bytes = 1U << 30;
  info.qpns = {0, 0, 0x11, 0x12, 0xFFFFFF, 0x1};
  return info;
}

std::string decode_error(const std::vector<std::byte>& blob) {
  try {
    decode_connection_info(blob);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(VerbsConnectionInfo, RoundTrip) {
  const auto info = sample();
  const auto blob = encode(info);
  EXPECT_EQ(blob.size(), 57U + 4 * info.qpns.size());
  EXPECT_EQ(decode_connection_info(blob), info);
}

TEST(VerbsConnectionInfo, LittleEndianLayout) {
  const auto blob = encode(sample());
  EXPECT_EQ(blob[0], std::byte{VerbsConnectionInfo::kVersion});
  EXPECT_EQ(blob[1], std::byte{IBV_MTU_4096});
  EXPECT_EQ(blob[2], std::byte{0x34});  // lid, low byte first
  EXPECT_EQ(blob[3], std::byte{0x12});
  EXPECT_EQ(blob[4], std::byte{0xEF});  // psn
  EXPECT_EQ(blob[7], std::byte{0x00});
  EXPECT_EQ(blob[8], std::byte{0xF0});  // gid, in order
  EXPECT_EQ(blob[23], std::byte{0xFF});
  EXPECT_EQ(blob[24], std::byte{0x44});  // control address
  EXPECT_EQ(blob[32], std::byte{0xEF});  // control rkey
  EXPECT_EQ(blob[36], std::byte{2});     // qps_per_peer
  EXPECT_EQ(blob[38], std::byte{IBV_LINK_LAYER_ETHERNET});
  EXPECT_EQ(blob[39], std::byte{1});  // uses a GRH
  EXPECT_EQ(blob[40], std::byte{IBV_GID_TYPE_ROCE_V2});
  EXPECT_EQ(blob[41], std::byte{0x01});  // subnet prefix, low byte first
  EXPECT_EQ(blob[48], std::byte{0xFE});
  EXPECT_EQ(blob[52], std::byte{0x40});  // max_msg_sz 2^30, high byte
  EXPECT_EQ(blob[53], std::byte{6});     // count
  EXPECT_EQ(blob[65], std::byte{0x11});  // qpns[2] starts at 57 + 2 * 4
  EXPECT_EQ(blob[73], std::byte{0xFF});  // qpns[4] = 0xFFFFFF
  EXPECT_EQ(blob[76], std::byte{0x00});
}

TEST(VerbsConnectionInfo, RejectsShortBlob) {
  EXPECT_EQ(decode_error({}), "verbs connection info: 0 bytes, shorter than the 57-byte header");
  auto blob = encode(sample());
  blob.resize(56);
  EXPECT_NE(decode_error(blob).find("56 bytes, shorter"), std::string::npos);
}

TEST(VerbsConnectionInfo, RejectsWrongVersion) {
  auto blob = encode(sample());
  blob[0] = std::byte{9};
  EXPECT_NE(decode_error(blob).find("version 9, expected 2"), std::string::npos);
}

TEST(VerbsConnectionInfo, RejectsSizeThatDisagreesWithCount) {
  auto blob = encode(sample());
  blob.pop_back();
  EXPECT_EQ(decode_error(blob),
            "verbs connection info: 80 bytes for 6 queue pair numbers, expected 81");
  blob = encode(sample());
  blob.push_back(std::byte{0});
  EXPECT_NE(decode_error(blob).find("82 bytes for 6"), std::string::npos);
  blob = encode(sample());
  blob[53] = std::byte{0xFF};  // count claims far more than present
  EXPECT_NE(decode_error(blob).find("queue pair numbers, expected"), std::string::npos);
}

TEST(VerbsConnectionInfo, RejectsImpossibleValues) {
  auto info = sample();
  info.mtu = 0;
  EXPECT_NE(decode_error(encode(info)).find("mtu code 0"), std::string::npos);
  info = sample();
  info.psn = 1U << 24;
  EXPECT_NE(decode_error(encode(info)).find("psn 16777216 exceeds 24 bits"), std::string::npos);
  info = sample();
  info.qpns[3] = 1U << 24;
  EXPECT_NE(decode_error(encode(info)).find("qpn 16777216"), std::string::npos);
  info = sample();
  info.qps_per_peer = 4;  // 6 qpns do not split into 4 per peer
  EXPECT_NE(decode_error(encode(info)).find("do not divide into 4 per peer"), std::string::npos);
  info.qps_per_peer = 0;
  EXPECT_NE(decode_error(encode(info)).find("into 0 per peer"), std::string::npos);
  info = sample();
  info.link_layer = 7;
  EXPECT_NE(decode_error(encode(info)).find("link layer 7 is neither"), std::string::npos);
  info = sample();
  info.gid_type = 3;
  EXPECT_NE(decode_error(encode(info)).find("GID type 3 out of range"), std::string::npos);
  info = sample();
  info.max_message_bytes = 0;
  EXPECT_NE(decode_error(encode(info)).find("max_msg_sz 0"), std::string::npos);
}

TEST(VerbsProtocol, WorkRequestIds) {
  using namespace verbs_protocol;
  const auto recv = receive_wr_id(12345);
  EXPECT_TRUE(is_receive(recv));
  EXPECT_EQ(receive_buffer(recv), 12345U);
  const auto send = send_wr_id(kMaxChannels - 1, 77);
  EXPECT_FALSE(is_receive(send));
  EXPECT_EQ(send_channel(send), kMaxChannels - 1);
  EXPECT_EQ(send_sequence(send, 70), 77U);
  // Past 2^48 the id keeps the low bits; the oldest outstanding number restores the rest.
  const std::uint64_t big = (std::uint64_t{3} << kSequenceBits) + 5;
  EXPECT_EQ(send_sequence(send_wr_id(1, big), big - 10), big);
  EXPECT_EQ(send_sequence(send_wr_id(1, big), (std::uint64_t{3} << kSequenceBits) - 2), big);
}

TEST(VerbsProtocol, SameTagSameLane) {
  using verbs_protocol::lane_for_tag;
  for (Tag tag = 0; tag < 4096; ++tag) {
    EXPECT_EQ(lane_for_tag(tag, 1), 0U);
    EXPECT_LT(lane_for_tag(tag, 4), 4U);
    EXPECT_EQ(lane_for_tag(tag, 4), lane_for_tag(tag, 4));
  }
  // Consecutive calls (tags differing in the sequence bits) spread over the lanes.
  std::array<int, 4> used{};
  for (std::uint64_t call = 0; call < 64; ++call)
    used[lane_for_tag(make_tag(call, 0), 4)]++;
  for (const int count : used)
    EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace fb
