#include "transports/verbs/verbs_connection.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "transports/verbs/verbs_resources.hpp"

namespace fb {

namespace {

constexpr std::size_t kFixedBytes = 1 + 1 + 2 + 4 + 16 + 8 + 4 + 2 + 1 + 1 + 1 + 8 + 4 + 4;
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
  put<std::uint8_t>(out, info.link_layer);
  put<std::uint8_t>(out, info.uses_grh);
  put<std::uint8_t>(out, info.gid_type);
  put<std::uint64_t>(out, info.subnet_prefix);
  put<std::uint32_t>(out, info.max_message_bytes);
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
  info.link_layer = in.get<std::uint8_t>();
  info.uses_grh = in.get<std::uint8_t>();
  info.gid_type = in.get<std::uint8_t>();
  info.subnet_prefix = in.get<std::uint64_t>();
  info.max_message_bytes = in.get<std::uint32_t>();
  const auto count = in.get<std::uint32_t>();
  if (blob.size() != kFixedBytes + 4 * std::size_t{count}) {
    malformed(std::to_string(blob.size()) + " bytes for " + std::to_string(count) +
              " queue pair numbers, expected " +
              std::to_string(kFixedBytes + 4 * std::size_t{count}));
  }
  if (info.mtu < IBV_MTU_256 || info.mtu > IBV_MTU_4096) {
    malformed("mtu code " + std::to_string(info.mtu) + " is not an IBV_MTU value");
  }
  if (info.link_layer != IBV_LINK_LAYER_INFINIBAND && info.link_layer != IBV_LINK_LAYER_ETHERNET) {
    malformed("link layer " + std::to_string(info.link_layer) +
              " is neither InfiniBand nor Ethernet");
  }
  if (info.uses_grh > 1 || info.gid_type > IBV_GID_TYPE_ROCE_V2) {
    malformed("GRH flag " + std::to_string(info.uses_grh) + " or GID type " +
              std::to_string(info.gid_type) + " out of range");
  }
  if (info.max_message_bytes == 0) malformed("max_msg_sz 0");
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

std::string gid_type_name(std::uint8_t gid_type) {
  switch (gid_type) {
    case IBV_GID_TYPE_ROCE_V1:
      return "RoCE v1";
    case IBV_GID_TYPE_ROCE_V2:
      return "RoCE v2";
    default:
      return "InfiniBand";
  }
}

std::optional<std::string> connection_mismatch(const VerbsConnectionInfo& mine,
                                               const VerbsConnectionInfo& peer) {
  const auto layer = [](std::uint8_t link_layer) {
    return link_layer == IBV_LINK_LAYER_ETHERNET ? std::string("Ethernet (RoCE)")
                                                 : std::string("InfiniBand");
  };
  if (mine.link_layer != peer.link_layer) {
    return "this rank's port is " + layer(mine.link_layer) + ", the peer's " +
           layer(peer.link_layer) + ": they are not on one fabric (choose devices with device=)";
  }
  if (mine.link_layer == IBV_LINK_LAYER_ETHERNET && mine.gid_type != peer.gid_type) {
    return "this rank uses a " + gid_type_name(mine.gid_type) + " GID, the peer a " +
           gid_type_name(peer.gid_type) +
           " GID: a fabric routes only one of them (give every rank a gid_index of the same "
           "type)";
  }
  if (mine.link_layer == IBV_LINK_LAYER_INFINIBAND && mine.uses_grh == 0 &&
      mine.subnet_prefix != peer.subnet_prefix) {
    char text[80];
    std::snprintf(text, sizeof(text), "0x%016llx, the peer on 0x%016llx",
                  static_cast<unsigned long long>(mine.subnet_prefix),
                  static_cast<unsigned long long>(peer.subnet_prefix));
    return std::string("this rank is on InfiniBand subnet ") + text +
           ": LID routing does not cross subnets (set gid_index to route with a GRH)";
  }
  return std::nullopt;
}

void qp_to_init(ibv_qp* qp, const QpSettings& settings, int peer) {
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_INIT;
  attr.pkey_index = settings.pkey_index;
  attr.port_num = settings.port;
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
  attr.ah_attr.sl = settings.service_level;
  attr.ah_attr.src_path_bits = 0;
  attr.ah_attr.port_num = settings.port;
  if (settings.gid_index) {
    attr.ah_attr.is_global = 1;
    std::copy(remote.gid.begin(), remote.gid.end(), attr.ah_attr.grh.dgid.raw);
    attr.ah_attr.grh.sgid_index = *settings.gid_index;
    attr.ah_attr.grh.hop_limit = 64;  // leaves room for routed RoCE; perftest uses 0xFF
    attr.ah_attr.grh.traffic_class = settings.traffic_class;
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
