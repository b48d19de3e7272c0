// Which RDMA device and port a rank uses. Pure: it decides from a description of what the
// host has, so every rule is unit-tested without a device (verbs_resources.cpp gathers the
// description and opens the choice).
//
//   - A device list (FB_VERBS_OPTIONS device=mlx5_0:1+mlx5_1:1): local rank i takes entry
//     i mod count, so an 8-rail node puts each local rank on its own NIC.
//   - No list, but the fabric's description names this rank's NIC (VerbsOptions::
//     topology_nic) and it is an RDMA device with a usable port: that one.
//   - Otherwise: every device whose transport is InfiniBand (InfiniBand or RoCE ports; iWARP,
//     EFA and other devices are skipped: their RC semantics differ) with an active port. If
//     any of them has an InfiniBand link layer, only those (an Ethernet management NIC is not
//     the fabric); local ranks are spread over them the same way.
#pragma once

#include <infiniband/verbs.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transports/verbs/verbs_options.hpp"

namespace fb {

struct VerbsPortInfo {
  int port = 0;
  ibv_port_state state = IBV_PORT_NOP;
  std::uint8_t link_layer = IBV_LINK_LAYER_UNSPECIFIED;
};

struct VerbsDeviceInfo {
  std::string name;
  ibv_transport_type transport = IBV_TRANSPORT_IB;
  std::vector<VerbsPortInfo> ports;
  std::string error;  // why it could not be opened or queried; empty when it could
};

// nullopt with `why_not` saying, in one line, why no device fits.
std::optional<VerbsDeviceChoice> choose_verbs_port(const std::vector<VerbsDeviceInfo>& found,
                                                   const VerbsOptions& options, int local_rank,
                                                   std::string& why_not);

// "InfiniBand", "iWARP", ... for messages.
std::string verbs_transport_name(ibv_transport_type transport);
std::string verbs_link_layer_name(std::uint8_t link_layer);

}  // namespace fb
