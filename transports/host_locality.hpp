// Where the network devices and GPUs of this host sit (NUMA node, PCI bus id, the CPUs close
// to them), from hwloc, and which of them are closest to the CPUs this process is bound to.
// The harness records the answer in the results file and picks a NIC per local rank with it.
// The only code that includes hwloc.h.
#pragma once

#include <string>
#include <vector>

namespace fb {

struct LocalDevice {
  enum class Kind { nic, gpu };
  Kind kind = Kind::nic;
  // NICs: the OS device name, the openfabrics one ("mlx5_0") when the PCI device has both an
  // openfabrics device and a network interface, else the interface ("eth0", "ens1f0").
  // GPUs: the CUDA name ("cuda0"), else NVML, ROCm SMI, Level Zero, OpenCL, the DRM card, and
  // the PCI bus id when hwloc names none of these.
  std::string name;
  std::string netdev;      // NICs: the network interface, when there is one (may equal name)
  std::string pci_bus_id;  // "0000:3b:00.0"; empty for a virtual device
  int numa_node = -1;      // logical index of the nearest NUMA node; -1 unknown or virtual
  std::string cpuset;      // the CPUs local to it, hwloc list syntax ("0-15,32-47")
};

struct HostLocality {
  std::vector<LocalDevice> nics;
  std::vector<LocalDevice> gpus;
  std::string process_cpuset;  // the CPUs this process is bound to, list syntax
  int closest_nic = -1;        // index into nics (closest_device), -1 if none or unknown
  int closest_gpu = -1;        // index into gpus, likewise
  std::string error;           // why hwloc could not load; everything else empty then
};

// This host, as this process sees it: one hwloc topology load with the important I/O objects
// (bridges, PCI devices, OS devices). NICs are the network and openfabrics OS devices, one
// per openfabrics device with the interface of the same PCI function (in hwloc's order; an
// interface left over is a NIC of its own), without the loopback `lo`. The kernel's virtual
// interfaces (veth, bridges: no PCI device, which hwloc leaves out) are added from the
// interface list, with no bus id, NUMA node -1 and the machine's CPUs. GPUs are the GPU and
// co-processor OS devices, one per PCI device; a PCI device known only by its DRM nodes
// (card0, renderD128) counts when its vendor makes compute GPUs (NVIDIA, AMD, Intel), so a
// server's management display (ASPEED, Matrox) or a virtual machine's is not a GPU. Never
// throws: a failure is in `error`.
HostLocality detect_host_locality();

// The same from an hwloc XML topology (`lstopo --of xml`), for tests and for looking at
// another machine: no interfaces of this host are added, and the process is taken to be
// bound to `process_cpuset` (list syntax; empty: bound to nothing, so nothing is closest).
HostLocality detect_host_locality_from_xml(const std::string& xml_path,
                                           const std::string& process_cpuset);

// The device whose local CPUs overlap `process_cpuset` most (both in list syntax), ties to
// the lowest index; -1 when there are no devices, nothing overlaps or a set does not parse.
int closest_device(const std::vector<LocalDevice>& devices, const std::string& process_cpuset);
// Every device as close as the closest one (the ties closest_device breaks to the lowest
// index), ascending; empty when closest_device is -1.
std::vector<int> closest_devices(const std::vector<LocalDevice>& devices,
                                 const std::string& process_cpuset);

// One line for the results file's description:
// "nic mlx5_0 (ib0) pci 0000:3b:00.0 numa 0 cpus 0-15", "nic veth0 pci none numa none cpus 0-1".
std::string describe(const LocalDevice& device);

}  // namespace fb
