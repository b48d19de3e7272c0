#include "transports/verbs/verbs_device_choice.hpp"

#include <algorithm>

namespace fb {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : "; ") + item;
  return out;
}

const VerbsPortInfo* find_port(const VerbsDeviceInfo& device, int port) {
  const auto it = std::find_if(device.ports.begin(), device.ports.end(),
                               [port](const VerbsPortInfo& p) { return p.port == port; });
  return it == device.ports.end() ? nullptr : &*it;
}

// The port to use on `device` (`port` 0: its first active one), or why there is none.
std::optional<int> usable_port(const VerbsDeviceInfo& device, int port, std::string& why_not) {
  if (!device.error.empty()) {
    why_not = device.error;
    return std::nullopt;
  }
  if (device.transport != IBV_TRANSPORT_IB) {
    why_not = device.name + " is an " + verbs_transport_name(device.transport) +
              " device (the verbs transport needs the InfiniBand transport: InfiniBand or RoCE)";
    return std::nullopt;
  }
  if (port != 0) {
    const auto* info = find_port(device, port);
    if (info == nullptr) {
      why_not = device.name + " has no port " + std::to_string(port) + " (it has " +
                std::to_string(device.ports.size()) + ")";
      return std::nullopt;
    }
    if (info->state != IBV_PORT_ACTIVE) {
      why_not = "port " + std::to_string(port) + " of " + device.name + " is not active (state " +
                ibv_port_state_str(info->state) + ")";
      return std::nullopt;
    }
    return port;
  }
  for (const auto& info : device.ports) {
    if (info.state == IBV_PORT_ACTIVE) return info.port;
  }
  why_not = "no active port on " + device.name;
  return std::nullopt;
}

}  // namespace

std::string verbs_transport_name(ibv_transport_type transport) {
  switch (transport) {
    case IBV_TRANSPORT_IB:
      return "InfiniBand-transport";
    case IBV_TRANSPORT_IWARP:
      return "iWARP";
    case IBV_TRANSPORT_USNIC:
    case IBV_TRANSPORT_USNIC_UDP:
      return "usNIC";
    default:
      return "unspecified-transport (EFA or similar)";
  }
}

std::string verbs_link_layer_name(std::uint8_t link_layer) {
  switch (link_layer) {
    case IBV_LINK_LAYER_INFINIBAND:
      return "InfiniBand";
    case IBV_LINK_LAYER_ETHERNET:
      return "Ethernet (RoCE)";
    default:
      return "unspecified";
  }
}

std::optional<VerbsDeviceChoice> choose_verbs_port(const std::vector<VerbsDeviceInfo>& found,
                                                   const VerbsOptions& options, int local_rank,
                                                   std::string& why_not) {
  std::vector<std::string> names;
  names.reserve(found.size());
  for (const auto& device : found)
    names.push_back(device.name);
  if (found.empty()) {
    why_not = "no RDMA device found (ibv_get_device_list returned 0 devices)";
    return std::nullopt;
  }
  const auto slot = static_cast<std::size_t>(std::max(local_rank, 0));
  if (!options.devices.empty()) {
    const auto& wanted = options.devices[slot % options.devices.size()];
    const auto it = std::find_if(found.begin(), found.end(),
                                 [&](const VerbsDeviceInfo& d) { return d.name == wanted.name; });
    if (it == found.end()) {
      std::string all;
      for (const auto& name : names)
        all += (all.empty() ? "" : ", ") + name;
      why_not = "no RDMA device named '" + wanted.name + "' (found: " + all + ")";
      return std::nullopt;
    }
    const auto port = usable_port(*it, wanted.port != 0 ? wanted.port : options.port, why_not);
    if (!port) return std::nullopt;
    return VerbsDeviceChoice{it->name, *port};
  }
  // The description's NIC for this rank, when it is an RDMA device with a usable port.
  if (options.topology_nic) {
    const auto& wanted = *options.topology_nic;
    const auto it = std::find_if(found.begin(), found.end(),
                                 [&](const VerbsDeviceInfo& d) { return d.name == wanted.name; });
    std::string ignored;
    const auto port =
        it == found.end()
            ? std::nullopt
            : usable_port(*it, wanted.port != 0 ? wanted.port : options.port, ignored);
    if (port) return VerbsDeviceChoice{it->name, *port};
  }
  std::vector<VerbsDeviceChoice> infiniband;
  std::vector<VerbsDeviceChoice> ethernet;
  std::vector<std::string> reasons;
  for (const auto& device : found) {
    std::string reason;
    const auto port = usable_port(device, options.port, reason);
    if (!port) {
      reasons.push_back(reason);
      continue;
    }
    const auto* info = find_port(device, *port);
    auto& list = info->link_layer == IBV_LINK_LAYER_ETHERNET ? ethernet : infiniband;
    list.push_back({device.name, *port});
  }
  const auto& usable = infiniband.empty() ? ethernet : infiniband;
  if (usable.empty()) {
    why_not = join(reasons);
    return std::nullopt;
  }
  return usable[slot % usable.size()];
}

}  // namespace fb
