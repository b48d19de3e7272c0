#include "transports/verbs/verbs_connection.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "transports/verbs/verbs_resources.hpp"

namespace fb {

namespace {

constexpr std::size_t kFixedBytes = 1 + 1 + 2 + 4 + 16 + 8 + 4 + 2 + 4;
constexpr std::uint32_t kMax24Bits = (1U << 24) - 1;  // PSNs and QPNs are 24-bit on the wire

template <typename T>
void put(std::vector<std::byte>& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xFFU));
  }
}

// Reads little-endian fields in order; the caller checked the total size first.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value |= static_cast<std::uint64_t>(bytes_[pos_ + i]) << (8 * i);
    }
    pos_ += sizeof(T);
    return static_cast<T>(value);
  }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
};

[[noreturn]] void malformed(const std::string& why) {
  throw std::invalid_argument("verbs connection info: " + why);
}

}  // namespace

std::vector<std::byte> encode(const VerbsConnectionInfo& info) {
  std::vector<std::byte> out;
  out.reserve(kFixedBytes + 4 * info.qpns.size());
  put<std::uint8_t>(out, VerbsConnectionInfo::kVersion);
  put<std::uint8_t>(out, info.mtu);
  put<std::uint16_t>(out, info.lid);
  put<std::uint32_t>(out, info.psn);
  for (const auto byte : info.gid)
    put<std::uint8_t>(out, byte);
  put<std::uint64_t>(out, info.control_address);
  put<std::uint32_t>(out, info.control_rkey);
  put<std::uint16_t>(out, info.qps_per_peer);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(info.qpns.size()));
  for (const auto qpn : info.qpns)
    put<std::uint32_t>(out, qpn);
  return out;
}

VerbsConnectionInfo decode_connection_info(std::span<const std::byte> blob) {
  if (blob.size() < kFixedBytes) {
    malformed(std::to_string(blob.size()) + " bytes, shorter than the " +
              std::to_string(kFixedBytes) + "-byte header");
  }
  Reader in(blob);
  const auto version = in.get<std::uint8_t>();
  if (version != VerbsConnectionInfo::kVersion) {
    malformed("version " + std::to_string(version) + ", expected " +
              std::to_string(VerbsConnectionInfo::kVersion) +
              " (ranks built from different sources?)");
  }
  VerbsConnectionInfo info;
  info.mtu = in.get<std::uint8_t>();
  info.lid = in.get<std::uint16_t>();
  info.psn = in.get<std::uint32_t>();
  for (auto& byte : info.gid)
    byte = in.get<std::uint8_t>();
  info.control_address = in.get<std::uint64_t>();
  info.control_rkey = in.get<std::uint32_t>();
  info.qps_per_peer = in.get<std::uint16_t>();
  const auto count = in.get<std::uint32_t>();
  if (blob.size() != kFixedBytes + 4 * std::size_t{count}) {
    malformed(std::to_string(blob.size()) + " bytes for " + std::to_string(count) +
              " queue pair numbers, expected " +
              std::to_string(kFixedBytes + 4 * std::size_t{count}));
  }
  if (info.mtu < IBV_MTU_256 || info.mtu > IBV_MTU_4096) {
    malformed("mtu code " + std::to_string(info.mtu) + " is not an IBV_MTU value");
  }
  if (info.psn > kMax24Bits) malformed("psn " + std::to_string(info.psn) + " exceeds 24 bits");
  if (info.qps_per_peer == 0 || count % info.qps_per_peer != 0) {
    malformed(std::to_string(count) + " queue pair numbers do not divide into " +
              std::to_string(info.qps_per_peer) + " per peer");
  }
  info.qpns.resize(count);
  for (auto& qpn : info.qpns) {
    qpn = in.get<std::uint32_t>();
    if (qpn > kMax24Bits) malformed("qpn " + std::to_string(qpn) + " exceeds 24 bits");
  }
  return info;
}

void qp_to_init(ibv_qp* qp, std::uint8_t port, int peer) {
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_INIT;
  attr.pkey_index = 0;
  attr.port_num = port;
  // The rendezvous writes land in receive buffers; reads are allowed for future one-sided use.
  attr.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
  check(ibv_modify_qp(qp, &attr,
                      IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS),
        peer, "move queue pair to INIT (ibv_modify_qp)");
}

void qp_to_rtr(ibv_qp* qp, const QpSettings& settings, const VerbsConnectionInfo& remote,
               std::uint32_t remote_qpn, int peer) {
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_RTR;
  attr.path_mtu = settings.mtu;
  attr.dest_qp_num = remote_qpn;
  attr.rq_psn = remote.psn;
  attr.max_dest_rd_atomic = 1;
  attr.min_rnr_timer = settings.min_rnr_timer;
  attr.ah_attr.dlid = remote.lid;
  attr.ah_attr.sl = 0;
  attr.ah_attr.src_path_bits = 0;
  attr.ah_attr.port_num = settings.port;
  if (settings.gid_index) {
    attr.ah_attr.is_global = 1;
    std::copy(remote.gid.begin(), remote.gid.end(), attr.ah_attr.grh.dgid.raw);
    attr.ah_attr.grh.sgid_index = *settings.gid_index;
    attr.ah_attr.grh.hop_limit = 64;  // leaves room for routed RoCE; perftest uses 0xFF
  }
  check(ibv_modify_qp(qp, &attr,
                      IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
                          IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER),
        peer, "move queue pair to RTR (ibv_modify_qp)");
}

void qp_to_rts(ibv_qp* qp, const QpSettings& settings, std::uint32_t local_psn, int peer) {
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_RTS;
  attr.timeout = settings.timeout;
  attr.retry_cnt = settings.retry_cnt;
  attr.rnr_retry = settings.rnr_retry;
  attr.sq_psn = local_psn;
  attr.max_rd_atomic = 1;
  check(ibv_modify_qp(qp, &attr,
                      IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
                          IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC),
        peer, "move queue pair to RTS (ibv_modify_qp)");
}

}  // namespace fb
