// Which device and port each local rank takes, and which peers it refuses to connect to.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transports/verbs/verbs_connection.hpp"
#include "transports/verbs/verbs_device_choice.hpp"
#include "transports/verbs/verbs_options.hpp"

namespace fb {
namespace {

VerbsDeviceInfo device(const std::string& name, std::uint8_t link_layer,
                       ibv_transport_type transport = IBV_TRANSPORT_IB,
                       ibv_port_state state = IBV_PORT_ACTIVE) {
  return VerbsDeviceInfo{name, transport, {{1, state, link_layer}}, {}};
}

std::string chosen(const std::vector<VerbsDeviceInfo>& found, const VerbsOptions& options,
                   int local_rank) {
  std::string why_not;
  const auto choice = choose_verbs_port(found, options, local_rank, why_not);
  if (!choice) return "none: " + why_not;
  return choice->name + ":" + std::to_string(choice->port);
}

constexpr auto kIb = IBV_LINK_LAYER_INFINIBAND;
constexpr auto kEth = IBV_LINK_LAYER_ETHERNET;

// An 8-rail node: each local rank on its own NIC, not all on the first.
TEST(VerbsDeviceChoice, LocalRanksSpreadOverRails) {
  std::vector<VerbsDeviceInfo> found;
  for (int i = 0; i < 8; ++i)
    found.push_back(device("mlx5_" + std::to_string(i), kIb));
  for (int local = 0; local < 8; ++local)
    EXPECT_EQ(chosen(found, {}, local), "mlx5_" + std::to_string(local) + ":1");
  EXPECT_EQ(chosen(found, {}, 9), "mlx5_1:1");  // wraps around
}

TEST(VerbsDeviceChoice, SkipsDevicesThatAreNotInfiniBandTransport) {
  const std::vector<VerbsDeviceInfo> found = {device("iwp0", kEth, IBV_TRANSPORT_IWARP),
                                              device("efa0", kEth, IBV_TRANSPORT_UNSPECIFIED),
                                              device("mlx5_0", kIb)};
  EXPECT_EQ(chosen(found, {}, 0), "mlx5_0:1");
  EXPECT_EQ(chosen(found, {}, 1), "mlx5_0:1");
  const std::vector<VerbsDeviceInfo> only_iwarp = {device("iwp0", kEth, IBV_TRANSPORT_IWARP)};
  EXPECT_EQ(chosen(only_iwarp, {}, 0),
            "none: iwp0 is an iWARP device (the verbs transport needs the InfiniBand transport: "
            "InfiniBand or RoCE)");
}

// An Ethernet management NIC next to the InfiniBand fabric's NICs is not taken.
TEST(VerbsDeviceChoice, PrefersInfiniBandLinkLayer) {
  const std::vector<VerbsDeviceInfo> found = {device("mlx5_mgmt", kEth), device("mlx5_0", kIb),
                                              device("mlx5_1", kIb)};
  EXPECT_EQ(chosen(found, {}, 0), "mlx5_0:1");
  EXPECT_EQ(chosen(found, {}, 1), "mlx5_1:1");
  const std::vector<VerbsDeviceInfo> roce = {device("mlx5_0", kEth), device("mlx5_1", kEth)};
  EXPECT_EQ(chosen(roce, {}, 1), "mlx5_1:1");
}

TEST(VerbsDeviceChoice, InactivePortsAreSkippedWithTheReason) {
  const std::vector<VerbsDeviceInfo> found = {
      device("mlx5_0", kIb, IBV_TRANSPORT_IB, IBV_PORT_DOWN), device("mlx5_1", kIb)};
  EXPECT_EQ(chosen(found, {}, 0), "mlx5_1:1");
  const std::vector<VerbsDeviceInfo> down = {
      device("mlx5_0", kIb, IBV_TRANSPORT_IB, IBV_PORT_DOWN)};
  EXPECT_EQ(chosen(down, {}, 0), "none: no active port on mlx5_0");
  VerbsOptions port2;
  port2.port = 2;
  EXPECT_EQ(chosen({device("mlx5_0", kIb)}, port2, 0), "none: mlx5_0 has no port 2 (it has 1)");
  EXPECT_EQ(chosen({}, {}, 0),
            "none: no RDMA device found (ibv_get_device_list returned 0 devices)");
}

// device=a:1+b:1: local rank i takes entry i mod count, whatever else the host has.
TEST(VerbsDeviceChoice, DeviceListPerLocalRank) {
  VerbsDeviceInfo dual{
      "mlx5_1", IBV_TRANSPORT_IB, {{1, IBV_PORT_ACTIVE, kIb}, {2, IBV_PORT_ACTIVE, kIb}}, {}};
  const std::vector<VerbsDeviceInfo> found = {device("mlx5_0", kIb), dual};
  const auto options = parse_verbs_options("device=mlx5_1:2+mlx5_0");
  EXPECT_EQ(chosen(found, options, 0), "mlx5_1:2");
  EXPECT_EQ(chosen(found, options, 1), "mlx5_0:1");
  EXPECT_EQ(chosen(found, options, 2), "mlx5_1:2");
  EXPECT_EQ(chosen(found, parse_verbs_options("device=mlx5_7"), 0),
            "none: no RDMA device named 'mlx5_7' (found: mlx5_0, mlx5_1)");
  const std::vector<VerbsDeviceInfo> iwarp = {device("iwp0", kEth, IBV_TRANSPORT_IWARP)};
  EXPECT_NE(chosen(iwarp, parse_verbs_options("device=iwp0"), 0).find("is an iWARP device"),
            std::string::npos);
  VerbsDeviceInfo broken{"mlx5_9", IBV_TRANSPORT_IB, {}, "cannot open mlx5_9: Permission denied"};
  EXPECT_EQ(chosen({broken}, parse_verbs_options("device=mlx5_9"), 0),
            "none: cannot open mlx5_9: Permission denied");
}

TEST(VerbsDeviceChoice, TheDescriptionsNicWhenItIsAnRdmaDevice) {
  VerbsDeviceInfo dual{
      "mlx5_1", IBV_TRANSPORT_IB, {{1, IBV_PORT_ACTIVE, kIb}, {2, IBV_PORT_ACTIVE, kIb}}, {}};
  const std::vector<VerbsDeviceInfo> found = {device("mlx5_0", kIb), dual};
  VerbsOptions options;
  options.topology_nic = VerbsDeviceChoice{"mlx5_1", 2};
  // Local rank 0 would take mlx5_0; the description says mlx5_1 port 2.
  EXPECT_EQ(chosen(found, options, 0), "mlx5_1:2");
  options.topology_nic = VerbsDeviceChoice{"mlx5_1", 0};
  EXPECT_EQ(chosen(found, options, 0), "mlx5_1:1");  // its first active port
  // An interface name (no RDMA device of that name): the choice as without it.
  options.topology_nic = VerbsDeviceChoice{"eth0", 0};
  EXPECT_EQ(chosen(found, options, 1), "mlx5_1:1");
  // A port that is not active: likewise.
  const std::vector<VerbsDeviceInfo> down = {
      device("mlx5_0", kIb), device("mlx5_1", kIb, IBV_TRANSPORT_IB, IBV_PORT_DOWN)};
  options.topology_nic = VerbsDeviceChoice{"mlx5_1", 0};
  EXPECT_EQ(chosen(down, options, 1), "mlx5_0:1");
  // An explicit device list wins.
  auto listed = parse_verbs_options("device=mlx5_0");
  listed.topology_nic = VerbsDeviceChoice{"mlx5_1", 1};
  EXPECT_EQ(chosen(found, listed, 0), "mlx5_0:1");
}

VerbsConnectionInfo info(std::uint8_t link_layer, std::uint8_t gid_type, bool grh,
                         std::uint64_t subnet) {
  VerbsConnectionInfo i;
  i.link_layer = link_layer;
  i.gid_type = gid_type;
  i.uses_grh = grh ? 1 : 0;
  i.subnet_prefix = subnet;
  return i;
}

TEST(VerbsConnectionMismatch, RefusesWhatCannotReachEachOther) {
  const auto ib = info(kIb, IBV_GID_TYPE_IB, false, 0xFE80000000000000ULL);
  const auto v2 = info(kEth, IBV_GID_TYPE_ROCE_V2, true, 0);
  const auto v1 = info(kEth, IBV_GID_TYPE_ROCE_V1, true, 0);
  EXPECT_FALSE(connection_mismatch(ib, ib).has_value());
  EXPECT_FALSE(connection_mismatch(v2, v2).has_value());
  EXPECT_EQ(connection_mismatch(ib, v2),
            "this rank's port is InfiniBand, the peer's Ethernet (RoCE): they are not on one "
            "fabric (choose devices with device=)");
  EXPECT_EQ(connection_mismatch(v2, v1),
            "this rank uses a RoCE v2 GID, the peer a RoCE v1 GID: a fabric routes only one of "
            "them (give every rank a gid_index of the same type)");
  const auto other_subnet = info(kIb, IBV_GID_TYPE_IB, false, 0xFE80000000000001ULL);
  EXPECT_EQ(connection_mismatch(ib, other_subnet),
            "this rank is on InfiniBand subnet 0xfe80000000000000, the peer on "
            "0xfe80000000000001: LID routing does not cross subnets (set gid_index to route "
            "with a GRH)");
  // Routed with a GRH, different subnets are a router's business.
  auto routed = ib;
  routed.uses_grh = 1;
  EXPECT_FALSE(connection_mismatch(routed, other_subnet).has_value());
}

}  // namespace
}  // namespace fb
