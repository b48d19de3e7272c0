#include "transports/host_locality.hpp"

#include <hwloc.h>
#include <net/if.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

namespace fb {
namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology_t topology) const { hwloc_topology_destroy(topology); }
};
using Topology = std::unique_ptr<hwloc_topology, TopologyDeleter>;

struct BitmapDeleter {
  void operator()(hwloc_bitmap_t set) const { hwloc_bitmap_free(set); }
};
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapDeleter>;

struct InterfaceListDeleter {
  void operator()(struct if_nameindex* list) const { if_freenameindex(list); }
};

std::string list_string(hwloc_const_bitmap_t set) {
  if (set == nullptr) return {};
  const int length = hwloc_bitmap_list_snprintf(nullptr, 0, set);
  if (length <= 0) return {};
  std::string text(static_cast<std::size_t>(length), '\0');
  // Writes the terminator into the string's own.
  hwloc_bitmap_list_snprintf(text.data(), text.size() + 1, set);
  return text;
}

Bitmap parse_list(const std::string& text) {
  Bitmap set(hwloc_bitmap_alloc());
  if (set == nullptr || hwloc_bitmap_list_sscanf(set.get(), text.c_str()) != 0) return nullptr;
  return set;
}

std::string bus_id(const hwloc_obj* pci) {
  const auto& attr = pci->attr->pcidev;
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%04x:%02x:%02x.%01x", attr.domain, attr.bus, attr.dev,
                attr.func);
  return text.data();
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view subtype_of(const hwloc_obj* os) {
  return os->subtype != nullptr ? std::string_view(os->subtype) : std::string_view{};
}

std::string_view name_of(const hwloc_obj* os) {
  return os->name != nullptr ? std::string_view(os->name) : std::string_view{};
}

// A DRM node or an X display: says a PCI device drives a screen, not that it computes.
bool display_only(const hwloc_obj* os) {
  const std::string_view name = name_of(os);
  return starts_with(name, "card") || starts_with(name, "renderD") ||
         starts_with(name, "controlD") || subtype_of(os) == "Display";
}

// Which of a GPU's OS devices names it: lower is better.
int gpu_name_rank(const hwloc_obj* os) {
  const std::string_view subtype = subtype_of(os);
  if (subtype == "CUDA") return 0;
  if (subtype == "NVML" || subtype == "RSMI") return 1;
  if (subtype == "LevelZero") return 2;
  if (subtype == "OpenCL") return 3;
  if (!display_only(os)) return 4;
  return starts_with(name_of(os), "card") ? 5 : 6;
}

bool compute_vendor(const hwloc_obj* pci) {
  const unsigned vendor = pci->attr->pcidev.vendor_id;
  return vendor == 0x10de || vendor == 0x1002 || vendor == 0x8086;  // NVIDIA, AMD, Intel
}

// The PCI device an OS device belongs to, nullptr for a virtual one.
hwloc_obj_t pci_parent(hwloc_obj_t os) {
  for (hwloc_obj_t up = os->parent; up != nullptr; up = up->parent) {
    if (up->type == HWLOC_OBJ_PCI_DEVICE) return up;
    if (up->type != HWLOC_OBJ_OS_DEVICE && up->type != HWLOC_OBJ_BRIDGE) return nullptr;
  }
  return nullptr;
}

// The logical index of the one NUMA node of the object's locality, -1 when there are several.
int numa_node_of(hwloc_topology_t topology, const hwloc_obj* near) {
  if (near->nodeset == nullptr || hwloc_bitmap_weight(near->nodeset) != 1) return -1;
  const hwloc_obj_t node =
      hwloc_get_numanode_obj_by_os_index(topology, hwloc_bitmap_first(near->nodeset));
  return node != nullptr ? static_cast<int>(node->logical_index) : -1;
}

LocalDevice located(hwloc_topology_t topology, LocalDevice::Kind kind, hwloc_obj_t os,
                    hwloc_obj_t pci) {
  LocalDevice device;
  device.kind = kind;
  const hwloc_obj_t near = hwloc_get_non_io_ancestor_obj(topology, os);
  device.cpuset = list_string(near->cpuset);
  if (pci != nullptr) {
    device.pci_bus_id = bus_id(pci);
    device.numa_node = numa_node_of(topology, near);
  }
  return device;
}

// The OS devices of one PCI device (or one virtual OS device on its own), in hwloc's order.
struct DeviceGroup {
  hwloc_obj_t pci = nullptr;
  std::vector<hwloc_obj_t> fabrics;     // openfabrics: mlx5_0
  std::vector<hwloc_obj_t> interfaces;  // network: ib0, eth0
  std::vector<hwloc_obj_t> gpus;        // GPU and co-processor: cuda0, nvml0, card1
};

std::vector<DeviceGroup> group_os_devices(hwloc_topology_t topology) {
  std::vector<DeviceGroup> groups;
  for (hwloc_obj_t os = hwloc_get_next_osdev(topology, nullptr); os != nullptr;
       os = hwloc_get_next_osdev(topology, os)) {
    const auto type = os->attr->osdev.type;
    const bool network = type == HWLOC_OBJ_OSDEV_NETWORK;
    const bool fabric = type == HWLOC_OBJ_OSDEV_OPENFABRICS;
    const bool gpu = type == HWLOC_OBJ_OSDEV_GPU || type == HWLOC_OBJ_OSDEV_COPROC;
    if (!network && !fabric && !gpu) continue;
    if (os->name == nullptr || (network && name_of(os) == "lo")) continue;
    const hwloc_obj_t pci = pci_parent(os);
    DeviceGroup* group = nullptr;
    for (auto& g : groups) {
      if (pci != nullptr && g.pci == pci) group = &g;
    }
    if (group == nullptr) {
      group = &groups.emplace_back();
      group->pci = pci;
    }
    (network ? group->interfaces : fabric ? group->fabrics : group->gpus).push_back(os);
  }
  return groups;
}

void add_nics(hwloc_topology_t topology, const DeviceGroup& group, HostLocality& host) {
  // Each openfabrics device takes the interface of the same rank; the rest stand alone.
  const std::size_t count = std::max(group.fabrics.size(), group.interfaces.size());
  for (std::size_t i = 0; i < count; ++i) {
    const hwloc_obj_t fabric = i < group.fabrics.size() ? group.fabrics[i] : nullptr;
    const hwloc_obj_t interface = i < group.interfaces.size() ? group.interfaces[i] : nullptr;
    LocalDevice nic = located(topology, LocalDevice::Kind::nic,
                              fabric != nullptr ? fabric : interface, group.pci);
    nic.name = fabric != nullptr ? fabric->name : interface->name;
    if (interface != nullptr) nic.netdev = interface->name;
    host.nics.push_back(std::move(nic));
  }
}

void add_gpu(hwloc_topology_t topology, const DeviceGroup& group, HostLocality& host) {
  if (group.gpus.empty()) return;
  bool displays_only = true;
  hwloc_obj_t best = group.gpus.front();
  for (const hwloc_obj_t os : group.gpus) {
    displays_only = displays_only && display_only(os);
    if (gpu_name_rank(os) < gpu_name_rank(best)) best = os;
  }
  if (displays_only && (group.pci == nullptr || !compute_vendor(group.pci))) return;
  LocalDevice gpu = located(topology, LocalDevice::Kind::gpu, best, group.pci);
  gpu.name = name_of(best).empty() ? gpu.pci_bus_id : best->name;
  host.gpus.push_back(std::move(gpu));
}

// The kernel's interfaces that hwloc leaves out (virtual ones: veth, bridges, tunnels).
void add_virtual_interfaces(hwloc_topology_t topology, HostLocality& host) {
  const std::unique_ptr<struct if_nameindex, InterfaceListDeleter> list(if_nameindex());
  if (list == nullptr) return;
  std::set<std::string, std::less<>> known;
  for (const auto& nic : host.nics) {
    known.insert(nic.name);
    known.insert(nic.netdev);
  }
  const std::string machine_cpus = list_string(hwloc_get_root_obj(topology)->cpuset);
  for (const struct if_nameindex* entry = list.get(); entry->if_index != 0; ++entry) {
    const std::string name = entry->if_name;
    if (name == "lo" || known.contains(name)) continue;
    host.nics.push_back(LocalDevice{.kind = LocalDevice::Kind::nic,
                                    .name = name,
                                    .netdev = name,
                                    .pci_bus_id = {},
                                    .numa_node = -1,
                                    .cpuset = machine_cpus});
    known.insert(name);
  }
}

// ": <reason>" from errno, empty when the call that failed did not set it.
std::string because(int error) {
  return error != 0 ? std::string(": ") + std::strerror(error) : "";
}

HostLocality failure(std::string why) {
  HostLocality host;
  host.error = std::move(why);
  return host;
}

// One topology load with the important I/O objects. `xml_path` empty: this machine.
HostLocality detect(const std::string& xml_path, const std::string* process_cpuset) {
  if ((hwloc_get_api_version() >> 16) != (HWLOC_API_VERSION >> 16)) {
    return failure("hwloc: the library's API version does not match the headers'");
  }
  hwloc_topology_t raw = nullptr;
  errno = 0;
  if (hwloc_topology_init(&raw) != 0) {
    return failure("hwloc: cannot initialise a topology" + because(errno));
  }
  const Topology topology(raw);
  errno = 0;
  if (!xml_path.empty() && hwloc_topology_set_xml(raw, xml_path.c_str()) != 0) {
    return failure("hwloc: cannot read the XML topology " + xml_path + because(errno));
  }
  // PCI devices come from the Linux backend's own sysfs reading: the libpciaccess component
  // adds nothing used here but device names, and its name cache is lost (a leak report under
  // LeakSanitizer) when hwloc unloads the plugin with the last topology. No X displays.
  if (xml_path.empty()) {
    hwloc_topology_set_components(raw, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
    hwloc_topology_set_components(raw, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "gl");
  }
  errno = 0;
  if (hwloc_topology_set_io_types_filter(raw, HWLOC_TYPE_FILTER_KEEP_IMPORTANT) != 0 ||
      hwloc_topology_load(raw) != 0) {
    return failure(std::string("hwloc: cannot load the topology") +
                   (xml_path.empty() ? "" : " " + xml_path) + because(errno));
  }
  HostLocality host;
  for (const auto& group : group_os_devices(raw)) {
    add_nics(raw, group, host);
    add_gpu(raw, group, host);
  }
  if (process_cpuset != nullptr) {
    host.process_cpuset = *process_cpuset;
  } else {
    add_virtual_interfaces(raw, host);
    const Bitmap bound(hwloc_bitmap_alloc());
    if (bound != nullptr && hwloc_get_cpubind(raw, bound.get(), HWLOC_CPUBIND_PROCESS) == 0) {
      host.process_cpuset = list_string(bound.get());
    }
  }
  host.closest_nic = closest_device(host.nics, host.process_cpuset);
  host.closest_gpu = closest_device(host.gpus, host.process_cpuset);
  return host;
}

HostLocality detect_or_fail(const std::string& xml_path, const std::string* process_cpuset) {
  try {
    return detect(xml_path, process_cpuset);
  } catch (const std::exception& e) {
    return failure(std::string("host locality: ") + e.what());
  } catch (...) {
    return failure("host locality: unknown error");
  }
}

}  // namespace

HostLocality detect_host_locality() {
  return detect_or_fail({}, nullptr);
}

HostLocality detect_host_locality_from_xml(const std::string& xml_path,
                                           const std::string& process_cpuset) {
  if (xml_path.empty()) return failure("hwloc: no XML topology given");
  return detect_or_fail(xml_path, &process_cpuset);
}

std::vector<int> closest_devices(const std::vector<LocalDevice>& devices,
                                 const std::string& process_cpuset) {
  std::vector<int> best;
  const Bitmap process = parse_list(process_cpuset);
  const Bitmap overlap(hwloc_bitmap_alloc());
  if (process == nullptr || overlap == nullptr) return best;
  // A virtual device's CPUs (the whole machine) say nothing about where it is: it is chosen
  // only when no PCI device overlaps the binding.
  int best_overlap = 0;
  bool best_virtual = false;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const Bitmap local = parse_list(devices[i].cpuset);
    if (local == nullptr) continue;
    hwloc_bitmap_and(overlap.get(), local.get(), process.get());
    const int weight = hwloc_bitmap_weight(overlap.get());
    const int cpus = weight < 0 ? INT_MAX : weight;  // -1: an infinite set
    if (cpus == 0) continue;
    const bool is_virtual = devices[i].pci_bus_id.empty();
    const bool better = best.empty() || (best_virtual && !is_virtual) ||
                        (best_virtual == is_virtual && cpus > best_overlap);
    const bool tie = !best.empty() && best_virtual == is_virtual && cpus == best_overlap;
    if (better) {
      best.assign(1, static_cast<int>(i));
      best_overlap = cpus;
      best_virtual = is_virtual;
    } else if (tie) {
      best.push_back(static_cast<int>(i));
    }
  }
  return best;
}

int closest_device(const std::vector<LocalDevice>& devices, const std::string& process_cpuset) {
  const auto best = closest_devices(devices, process_cpuset);
  return best.empty() ? -1 : best.front();
}

std::string describe(const LocalDevice& device) {
  std::string line = device.kind == LocalDevice::Kind::nic ? "nic " : "gpu ";
  line += device.name.empty() ? "unnamed" : device.name;
  if (!device.netdev.empty() && device.netdev != device.name) line += " (" + device.netdev + ")";
  line += " pci " + (device.pci_bus_id.empty() ? std::string("none") : device.pci_bus_id);
  line +=
      " numa " + (device.numa_node < 0 ? std::string("none") : std::to_string(device.numa_node));
  line += " cpus " + (device.cpuset.empty() ? std::string("none") : device.cpuset);
  return line;
}

}  // namespace fb
