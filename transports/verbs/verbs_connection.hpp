// What two ranks must know about each other to connect RC queue pairs (perftest's
// out-of-band exchange), its byte encoding, and the INIT -> RTR -> RTS transitions.
#pragma once

#include <infiniband/verbs.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace fb {

// One rank's connection info, exchanged with every other rank through the bootstrap.
// Rendezvous data needs no static remote buffer (each clear-to-send carries the receiver's
// address and rkey); the per-rank control buffer is the target of the zero-length
// signalled RDMA writes that flush a moderated send queue (see send_queue_accounting.hpp).
struct VerbsConnectionInfo {
  static constexpr std::uint8_t kVersion = 1;
  std::uint16_t lid = 0;               // port LID (InfiniBand routing)
  std::array<std::uint8_t, 16> gid{};  // GID at the chosen index (RoCE / GRH routing)
  std::uint32_t psn = 0;               // first packet sequence number, 24 bits
  std::uint8_t mtu = 0;                // ibv_mtu of this rank's port: path MTU is the lower
  std::uint64_t control_address = 0;   // remote-writable control buffer of this rank
  std::uint32_t control_rkey = 0;
  std::uint16_t qps_per_peer = 0;
  // qpns[peer * qps_per_peer + i]: the number of this rank's i-th queue pair to `peer`
  // (0 for itself: the self path copies locally).
  std::vector<std::uint32_t> qpns;

  bool operator==(const VerbsConnectionInfo&) const = default;
};

// Fixed little-endian layout: version u8, mtu u8, lid u16, psn u32, gid[16],
// control_address u64, control_rkey u32, qps_per_peer u16, count u32, count x qpn u32.
std::vector<std::byte> encode(const VerbsConnectionInfo& info);
// Throws std::invalid_argument (one line) for a blob of the wrong version or size, or with
// values no port would send.
VerbsConnectionInfo decode_connection_info(std::span<const std::byte> blob);

// The connection settings a queue pair goes to RTR/RTS with.
struct QpSettings {
  std::uint8_t port = 1;
  std::optional<std::uint8_t> gid_index;  // nullopt: LID routing without a GRH
  ibv_mtu mtu = IBV_MTU_1024;
  std::uint8_t min_rnr_timer = 12;
  std::uint8_t timeout = 14;
  std::uint8_t retry_cnt = 7;
  std::uint8_t rnr_retry = 7;
};

// Each throws TransportError naming `peer` and the transition on failure.
void qp_to_init(ibv_qp* qp, std::uint8_t port, int peer);
void qp_to_rtr(ibv_qp* qp, const QpSettings& settings, const VerbsConnectionInfo& remote,
               std::uint32_t remote_qpn, int peer);
void qp_to_rts(ibv_qp* qp, const QpSettings& settings, std::uint32_t local_psn, int peer);

}  // namespace fb
