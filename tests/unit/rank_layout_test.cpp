// The NIC each rank drives (harness/rank_layout.hpp choose_nic) on the two-socket hwloc
// fixture of host_locality_test (mlx5_0 / ib0 next to CPUs 0-7, mlx5_1 / ib1 next to CPUs
// 8-15, the virtual veth0 next to all of them), and the locality JSON of the results file.
#include "harness/rank_layout.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/provenance.hpp"

namespace fb {
namespace {

std::string fixture() {
  return (std::filesystem::path(FB_SOURCE_DIR) / "tests/unit/data/host_locality_two_numa.xml")
      .string();
}

topo::Host host_with(std::initializer_list<const char*> names) {
  topo::Host host;
  host.name = "n1";
  int rail = 0;
  for (const char* name : names)
    host.nics.push_back(topo::Nic{name, rail++, 400, "leaf0"});
  return host;
}

TEST(ChooseNic, RanksBoundToASocketDriveThatSocketsNic) {
  const auto host = host_with({"mlx5_0:1", "mlx5_1:1"});
  const auto socket1 = detect_host_locality_from_xml(fixture(), "8-15");
  const auto socket0 = detect_host_locality_from_xml(fixture(), "0-3");
  ASSERT_EQ(socket1.error, "");
  // Local rank 0 on socket 1 drives mlx5_1 although local rank mod 2 would give mlx5_0.
  EXPECT_EQ(choose_nic(host, 0, 0, socket1), 1);
  EXPECT_EQ(choose_nic(host, 1, 1, socket0), 0);
  // Interface names match as well as device names.
  EXPECT_EQ(choose_nic(host_with({"ib0", "ib1"}), 0, 2, socket1), 1);
}

TEST(ChooseNic, EquallyCloseNicsAreTakenInTurnByLocalRank) {
  // Both HCAs on socket 1 (the fixture's mlx5_1 twice under two names): two ranks on socket 1
  // spread over them.
  const auto host = host_with({"mlx5_1", "ib1", "mlx5_0"});
  const auto socket1 = detect_host_locality_from_xml(fixture(), "8-15");
  EXPECT_EQ(choose_nic(host, 0, 0, socket1), 0);
  EXPECT_EQ(choose_nic(host, 1, 1, socket1), 1);
  EXPECT_EQ(choose_nic(host, 2, 2, socket1), 0);
}

TEST(ChooseNic, NothingToPreferKeepsThePlacement) {
  const auto host = host_with({"mlx5_0", "mlx5_1"});
  // Unbound, or bound across both sockets: every NIC as close.
  EXPECT_EQ(choose_nic(host, 1, 1, detect_host_locality_from_xml(fixture(), "")), 1);
  EXPECT_EQ(choose_nic(host, 1, 1, detect_host_locality_from_xml(fixture(), "0-15")), 1);
  // A described NIC hwloc does not see, an unnamed one, hwloc failing, a single NIC.
  const auto socket0 = detect_host_locality_from_xml(fixture(), "0-7");
  EXPECT_EQ(choose_nic(host_with({"mlx5_1", "mlx5_9"}), 1, 1, socket0), 1);
  EXPECT_EQ(choose_nic(host_with({"mlx5_1", ""}), 1, 1, socket0), 1);
  EXPECT_EQ(choose_nic(host, 1, 1, detect_host_locality_from_xml("/no/such.xml", "0-7")), 1);
  EXPECT_EQ(choose_nic(host_with({"mlx5_1"}), 0, 0, socket0), 0);
  // A virtual interface (no PCI device) is next to every CPU: a PCI NIC next to the binding
  // goes first, and it is taken only when no PCI NIC is.
  EXPECT_EQ(choose_nic(host_with({"veth0", "mlx5_0"}), 0, 0, socket0), 1);
  EXPECT_EQ(choose_nic(host_with({"veth0", "mlx5_1"}), 1, 1, socket0), 0);
}

TEST(ChooseGpu, RanksBoundToASocketUseThatSocketsGpu) {
  // The fixture's cuda0 (0000:17:00.0) sits next to CPUs 0-7, cuda1 (0000:af:00.0) next to 8-15.
  EXPECT_EQ(choose_gpu(0, detect_host_locality_from_xml(fixture(), "8-15")), "0000:af:00.0");
  EXPECT_EQ(choose_gpu(1, detect_host_locality_from_xml(fixture(), "0-3")), "0000:17:00.0");
  EXPECT_EQ(choose_gpu(3, detect_host_locality_from_xml(fixture(), "12")), "0000:af:00.0");
}

TEST(ChooseGpu, NothingToPreferLeavesTheChoiceToTheLocalRank) {
  // Unbound, or bound across both sockets: both GPUs as close.
  EXPECT_EQ(choose_gpu(1, detect_host_locality_from_xml(fixture(), "")), "");
  EXPECT_EQ(choose_gpu(1, detect_host_locality_from_xml(fixture(), "0-15")), "");
  // No GPU, or hwloc failing.
  EXPECT_EQ(choose_gpu(0, HostLocality{}), "");
}

TEST(LocalityJson, RecordsDevicesBindingAndTheClosest) {
  const auto j =
      nlohmann::json::parse(locality_json(detect_host_locality_from_xml(fixture(), "8-15")));
  ASSERT_EQ(j.at("nics").size(), 3U);
  EXPECT_EQ(j.at("nics")[1].at("name"), "mlx5_1");
  EXPECT_EQ(j.at("nics")[1].at("netdev"), "ib1");
  EXPECT_EQ(j.at("nics")[1].at("numa_node"), 1);
  EXPECT_EQ(j.at("nics")[1].at("pci_bus_id"), "0000:86:00.0");
  EXPECT_EQ(j.at("gpus")[0].at("cpuset"), "0-7");
  EXPECT_EQ(j.at("process_cpuset"), "8-15");
  EXPECT_EQ(j.at("closest_nic"), "mlx5_1");
  EXPECT_EQ(j.at("closest_gpu"), "cuda1");
  EXPECT_FALSE(j.contains("error"));
  const auto failed =
      nlohmann::json::parse(locality_json(detect_host_locality_from_xml("/no/such.xml", "0")));
  EXPECT_NE(failed.at("error").get<std::string>(), "");
  EXPECT_EQ(failed.at("closest_nic"), "");
  EXPECT_TRUE(failed.at("nics").empty());
}

}  // namespace
}  // namespace fb
