// What two ranks must know about each other to connect RC queue pairs (perftest's
// out-of-band exchange), its byte encoding, and the INIT -> RTR -> RTS transitions.
#pragma once

#include <infiniband/verbs.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fb {

// One rank's connection info, exchanged with every other rank through the bootstrap.
// Rendezvous data needs no static remote buffer (each clear-to-send carries the receiver's
// address and rkey); the per-rank control buffer is the target of the zero-length
// signalled RDMA writes that flush a moderated send queue (see send_queue_accounting.hpp).
struct VerbsConnectionInfo {
  static constexpr std::uint8_t kVersion = 2;
  std::uint16_t lid = 0;               // port LID (InfiniBand routing)
  std::array<std::uint8_t, 16> gid{};  // GID at the chosen index (RoCE / GRH routing)
  std::uint32_t psn = 0;               // first packet sequence number, 24 bits
  std::uint8_t mtu = 0;                // ibv_mtu of this rank's port: path MTU is the lower
  std::uint64_t control_address = 0;   // remote-writable control buffer of this rank
  std::uint32_t control_rkey = 0;
  std::uint16_t qps_per_peer = 0;
  // What the two ends must agree on to reach each other at all (checked by
  // connection_mismatch): the port's link layer, whether packets carry a GRH and the type of
  // the GID it names, and the InfiniBand subnet prefix (GID index 0's upper half).
  std::uint8_t link_layer = IBV_LINK_LAYER_INFINIBAND;
  std::uint8_t uses_grh = 0;
  std::uint8_t gid_type = IBV_GID_TYPE_IB;  // ibv_gid_type of the GID above, when uses_grh
  std::uint64_t subnet_prefix = 0;
  // The port's max_msg_sz: a rendezvous write is split into writes of at most the smaller
  // of the two ends' values.
  std::uint32_t max_message_bytes = 0;
  // qpns[peer * qps_per_peer + i]: the number of this rank's i-th queue pair to `peer`
  // (0 for itself: the self path copies locally).
  std::vector<std::uint32_t> qpns;

  bool operator==(const VerbsConnectionInfo&) const = default;
};

// Fixed little-endian layout: version u8, mtu u8, lid u16, psn u32, gid[16],
// control_address u64, control_rkey u32, qps_per_peer u16, link_layer u8, uses_grh u8,
// gid_type u8, subnet_prefix u64, max_message_bytes u32, count u32, count x qpn u32.
std::vector<std::byte> encode(const VerbsConnectionInfo& info);
// Throws std::invalid_argument (one line) for a blob of the wrong version or size, or with
// values no port would send.
VerbsConnectionInfo decode_connection_info(std::span<const std::byte> blob);

// Why this rank's queue pairs cannot reach the peer's (one line), or nullopt: different link
// layers (an InfiniBand and an Ethernet port are on different fabrics), RoCE GIDs of
// different types (a RoCE v2 fabric drops RoCE v1 packets, and the reverse), InfiniBand
// subnets that differ while routing by LID alone (a LID means nothing across a router).
std::optional<std::string> connection_mismatch(const VerbsConnectionInfo& mine,
                                               const VerbsConnectionInfo& peer);

// "RoCE v2", "RoCE v1" or "InfiniBand" for a GID type.
std::string gid_type_name(std::uint8_t gid_type);

// The connection settings a queue pair goes to RTR/RTS with.
struct QpSettings {
  std::uint8_t port = 1;
  std::optional<std::uint8_t> gid_index;  // nullopt: LID routing without a GRH
  ibv_mtu mtu = IBV_MTU_1024;
  std::uint8_t min_rnr_timer = 12;
  std::uint8_t timeout = 14;
  std::uint8_t retry_cnt = 7;
  std::uint8_t rnr_retry = 7;
  std::uint8_t traffic_class = 0;  // GRH traffic class (RoCE: DSCP << 2 | ECN)
  std::uint8_t service_level = 0;  // InfiniBand SL (RoCE: mapped to the priority)
  std::uint16_t pkey_index = 0;
};

// Each throws TransportError naming `peer` and the transition on failure.
void qp_to_init(ibv_qp* qp, const QpSettings& settings, int peer);
void qp_to_rtr(ibv_qp* qp, const QpSettings& settings, const VerbsConnectionInfo& remote,
               std::uint32_t remote_qpn, int peer);
void qp_to_rts(ibv_qp* qp, const QpSettings& settings, std::uint32_t local_psn, int peer);

}  // namespace fb
