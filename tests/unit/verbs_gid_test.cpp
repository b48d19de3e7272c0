#include "transports/verbs/verbs_gid.hpp"

#include <gtest/gtest.h>

namespace fb {
namespace {

GidCandidate entry(int index, ibv_gid_type type, bool ipv4) {
  GidCandidate c;
  c.index = index;
  c.type = type;
  if (ipv4) {
    c.gid[10] = 0xff;
    c.gid[11] = 0xff;
    c.gid[12] = 10;
    c.gid[15] = static_cast<std::uint8_t>(index);
  } else {
    c.gid[0] = 0xfe;
    c.gid[1] = 0x80;
    c.gid[15] = static_cast<std::uint8_t>(index);
  }
  return c;
}

// mlx5's table: 0/1 link-local v1/v2, 2/3 IPv4-mapped v1/v2. Index 0 (what "auto" used to
// take) is RoCE v1, which a routed RoCE v2 fabric drops.
TEST(VerbsGid, PrefersIpv4MappedRoceV2OnMlx5Table) {
  const std::vector<GidCandidate> table{
      entry(0, IBV_GID_TYPE_ROCE_V1, false), entry(1, IBV_GID_TYPE_ROCE_V2, false),
      entry(2, IBV_GID_TYPE_ROCE_V1, true), entry(3, IBV_GID_TYPE_ROCE_V2, true)};
  EXPECT_EQ(choose_roce_gid_index(table), 3);
}

TEST(VerbsGid, FallsBackToAnyRoceV2) {
  const std::vector<GidCandidate> table{entry(0, IBV_GID_TYPE_ROCE_V1, false),
                                        entry(1, IBV_GID_TYPE_ROCE_V2, false)};
  EXPECT_EQ(choose_roce_gid_index(table), 1);
}

TEST(VerbsGid, SkipsEmptyEntriesAndRefusesV1Only) {
  GidCandidate empty_v2;
  empty_v2.index = 4;
  empty_v2.type = IBV_GID_TYPE_ROCE_V2;  // all-zero GID: an unused entry
  EXPECT_EQ(choose_roce_gid_index({entry(0, IBV_GID_TYPE_ROCE_V1, false), empty_v2}), std::nullopt);
  EXPECT_EQ(choose_roce_gid_index({}), std::nullopt);
}

}  // namespace
}  // namespace fb
