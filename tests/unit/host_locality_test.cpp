// Host locality: the closest-device choice and the description line (pure), a hand-written
// hwloc XML topology (tests/unit/data/host_locality_two_numa.xml: two packages with a NUMA
// node and 8 CPUs each; package 0 holds a management VGA (ASPEED, DRM only: not a GPU), GPU
// 0000:17:00.0 (card1, nvml0, cuda0) and HCA 0000:3b:00.0 (ib0, mlx5_0); package 1 holds HCA
// 0000:86:00.0 (mlx5_1, ib1) and GPU 0000:af:00.0 (card2, cuda1); the machine holds the
// virtual interfaces lo and veth0), and this machine.
#include <gtest/gtest.h>
#include <net/if.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transports/host_locality.hpp"

namespace fb {
namespace {

LocalDevice nic(std::string name, std::string cpuset, std::string bus = "0000:01:00.0") {
  return LocalDevice{.kind = LocalDevice::Kind::nic,
                     .name = std::move(name),
                     .netdev = {},
                     .pci_bus_id = std::move(bus),
                     .numa_node = -1,
                     .cpuset = std::move(cpuset)};
}

std::string fixture() {
  return (std::filesystem::path(FB_SOURCE_DIR) / "tests/unit/data/host_locality_two_numa.xml")
      .string();
}

TEST(HostLocality, ClosestDeviceOverlapsTheBindingMost) {
  const std::vector<LocalDevice> devices = {nic("a", "0-7"), nic("b", "8-15"), nic("c", "4-11")};
  EXPECT_EQ(closest_device(devices, "8-15"), 1);
  EXPECT_EQ(closest_device(devices, "0-3"), 0);
  EXPECT_EQ(closest_device(devices, "6-11"), 2);  // 2, 4 and 6 CPUs in common
  EXPECT_EQ(closest_device(devices, "12,14"), 1);
}

TEST(HostLocality, ClosestDeviceTiesGoToTheLowestIndex) {
  const std::vector<LocalDevice> devices = {nic("a", "0-7"), nic("b", "8-15"), nic("c", "0-7")};
  EXPECT_EQ(closest_device(devices, "0-15"), 0);
  EXPECT_EQ(closest_device(devices, "4-11"), 0);
  EXPECT_EQ(closest_device(devices, "2"), 0);
  EXPECT_EQ(closest_device({nic("b", "8-15"), nic("a", "0-7")}, "0-15"), 0);
}

TEST(HostLocality, ClosestDeviceIsNoneWithoutDevicesOrOverlap) {
  EXPECT_EQ(closest_device({}, "0-15"), -1);
  const std::vector<LocalDevice> devices = {nic("a", "0-7"), nic("b", "8-15")};
  EXPECT_EQ(closest_device(devices, "16-31"), -1);
  EXPECT_EQ(closest_device(devices, ""), -1);
  EXPECT_EQ(closest_device(devices, "not a cpuset"), -1);
  // A device whose CPUs are unknown or unreadable is never chosen.
  EXPECT_EQ(closest_device({nic("a", ""), nic("b", "x"), nic("c", "3")}, "0-7"), 2);
}

TEST(HostLocality, ClosestDeviceTakesAVirtualOneOnlyWithoutAPciOne) {
  // A virtual interface is local to the whole machine, which says nothing about it.
  const std::vector<LocalDevice> devices = {nic("veth0", "0-15", ""), nic("a", "0-7"),
                                            nic("b", "8-15")};
  EXPECT_EQ(closest_device(devices, "0-15"), 1);
  EXPECT_EQ(closest_device(devices, "9"), 2);
  EXPECT_EQ(closest_device({nic("veth0", "0-15", ""), nic("a", "0-7")}, "8-15"), 0);
  EXPECT_EQ(closest_device({nic("veth0", "0-1", ""), nic("veth1", "0-1", "")}, "0-1"), 0);
}

TEST(HostLocality, DescribeNamesEverythingKnown) {
  LocalDevice hca = nic("mlx5_0", "0-15", "0000:3b:00.0");
  hca.netdev = "ib0";
  hca.numa_node = 0;
  EXPECT_EQ(describe(hca), "nic mlx5_0 (ib0) pci 0000:3b:00.0 numa 0 cpus 0-15");
  LocalDevice veth = nic("veth0", "0-1", "");
  veth.netdev = "veth0";
  EXPECT_EQ(describe(veth), "nic veth0 pci none numa none cpus 0-1");
  const LocalDevice gpu{.kind = LocalDevice::Kind::gpu,
                        .name = "cuda1",
                        .netdev = {},
                        .pci_bus_id = "0000:af:00.0",
                        .numa_node = 1,
                        .cpuset = "8-15"};
  EXPECT_EQ(describe(gpu), "gpu cuda1 pci 0000:af:00.0 numa 1 cpus 8-15");
  EXPECT_EQ(describe(LocalDevice{}), "nic unnamed pci none numa none cpus none");
}

TEST(HostLocality, XmlTopologyNicsMergeFabricAndInterface) {
  const HostLocality host = detect_host_locality_from_xml(fixture(), "8-15");
  ASSERT_EQ(host.error, "");
  ASSERT_EQ(host.nics.size(), 3U);  // lo is left out
  EXPECT_EQ(describe(host.nics[0]), "nic mlx5_0 (ib0) pci 0000:3b:00.0 numa 0 cpus 0-7");
  EXPECT_EQ(describe(host.nics[1]), "nic mlx5_1 (ib1) pci 0000:86:00.0 numa 1 cpus 8-15");
  EXPECT_EQ(describe(host.nics[2]), "nic veth0 pci none numa none cpus 0-15");
  EXPECT_EQ(host.nics[0].netdev, "ib0");
  EXPECT_EQ(host.nics[2].netdev, "veth0");
  EXPECT_EQ(host.nics[2].numa_node, -1);
  EXPECT_EQ(host.nics[2].pci_bus_id, "");
}

TEST(HostLocality, XmlTopologyGpusAreComputeDevicesByTheirCudaName) {
  const HostLocality host = detect_host_locality_from_xml(fixture(), "8-15");
  ASSERT_EQ(host.error, "");
  ASSERT_EQ(host.gpus.size(), 2U);  // the ASPEED display is not one
  EXPECT_EQ(describe(host.gpus[0]), "gpu cuda0 pci 0000:17:00.0 numa 0 cpus 0-7");
  EXPECT_EQ(describe(host.gpus[1]), "gpu cuda1 pci 0000:af:00.0 numa 1 cpus 8-15");
  EXPECT_EQ(host.gpus[1].kind, LocalDevice::Kind::gpu);
}

TEST(HostLocality, XmlTopologyClosestDevicesFollowTheBinding) {
  const HostLocality numa1 = detect_host_locality_from_xml(fixture(), "8-15");
  EXPECT_EQ(numa1.process_cpuset, "8-15");
  EXPECT_EQ(numa1.closest_nic, 1);
  EXPECT_EQ(numa1.closest_gpu, 1);
  const HostLocality numa0 = detect_host_locality_from_xml(fixture(), "2-3");
  EXPECT_EQ(numa0.closest_nic, 0);
  EXPECT_EQ(numa0.closest_gpu, 0);
  const HostLocality both = detect_host_locality_from_xml(fixture(), "0-15");
  EXPECT_EQ(both.closest_nic, 0);  // a tie between the HCAs; veth0 is virtual
  EXPECT_EQ(both.closest_gpu, 0);
  const HostLocality unbound = detect_host_locality_from_xml(fixture(), "");
  EXPECT_EQ(unbound.closest_nic, -1);
  EXPECT_EQ(unbound.closest_gpu, -1);
}

TEST(HostLocality, XmlTopologyThatDoesNotLoadIsAnError) {
  for (const std::string& path : {std::string(FB_SOURCE_DIR) + "/no/such/topology.xml",
                                  std::string(FB_SOURCE_DIR) + "/CMakeLists.txt", std::string()}) {
    const HostLocality host = detect_host_locality_from_xml(path, "0-15");
    EXPECT_NE(host.error, "") << path;
    EXPECT_TRUE(host.nics.empty() && host.gpus.empty()) << path;
    EXPECT_EQ(host.process_cpuset, "") << path;
    EXPECT_EQ(host.closest_nic, -1) << path;
    EXPECT_EQ(host.closest_gpu, -1) << path;
  }
}

TEST(HostLocality, ThisMachineListsItsInterfacesButLoopback) {
  const HostLocality host = detect_host_locality();
  ASSERT_EQ(host.error, "");
  EXPECT_NE(host.process_cpuset, "");
  struct Deleter {
    void operator()(struct if_nameindex* list) const { if_freenameindex(list); }
  };
  const std::unique_ptr<struct if_nameindex, Deleter> interfaces(if_nameindex());
  ASSERT_NE(interfaces, nullptr);
  for (const struct if_nameindex* entry = interfaces.get(); entry->if_index != 0; ++entry) {
    const std::string name = entry->if_name;
    bool listed = false;
    for (const auto& device : host.nics) {
      listed = listed || device.name == name || device.netdev == name;
    }
    EXPECT_EQ(listed, name != "lo") << name;
  }
  for (const auto& device : host.nics) {
    EXPECT_EQ(device.kind, LocalDevice::Kind::nic);
    EXPECT_NE(device.cpuset, "") << describe(device);
    if (device.pci_bus_id.empty()) {
      EXPECT_EQ(device.numa_node, -1) << describe(device);
    }
  }
  if (!host.nics.empty()) {
    EXPECT_GE(host.closest_nic, 0);
    EXPECT_LT(host.closest_nic, static_cast<int>(host.nics.size()));
  }
  // No GPU where there is no GPU driver.
  if (!std::filesystem::exists("/dev/nvidiactl") && !std::filesystem::exists("/dev/dri") &&
      !std::filesystem::exists("/dev/kfd")) {
    EXPECT_TRUE(host.gpus.empty());
    EXPECT_EQ(host.closest_gpu, -1);
  }
}

}  // namespace
}  // namespace fb
