#include "transports/verbs/verbs_transport.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>

#include "transports/verbs/verbs_gid.hpp"
#include "transports/verbs/verbs_line_rate.hpp"

namespace fb {

namespace {

constexpr int kAccess = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;

// The region handed to callers; native() is the ibv_mr* covering it (shared, cached). It
// holds the domain, so the registration's PD and device stay open as long as it lives.
class VerbsMemoryRegion final : public MemoryRegion {
 public:
  VerbsMemoryRegion(std::span<std::byte> bytes, std::shared_ptr<VerbsDomain> domain)
      : MemoryRegion(bytes),
        domain_(std::move(domain)),
        lease_(domain_->registrations.acquire(bytes)) {
    set_native(lease_.handle());
  }

 private:
  std::shared_ptr<VerbsDomain> domain_;  // declared first: released after the lease
  RegistrationCache::Lease lease_;
};

// Device memory registered for GPUDirect RDMA, outside the registration cache (device stores
// and scratch are registered once each, whole). `how` says which way it went.
class VerbsDeviceRegion final : public MemoryRegion {
 public:
  VerbsDeviceRegion(std::span<std::byte> bytes, std::shared_ptr<VerbsDomain> domain,
                    const DmaBufExporter& exporter)
      : MemoryRegion(bytes), domain_(std::move(domain)) {
    if (bytes.empty()) return;
    std::string why = "no dma-buf exporter (built without CUDA)";
    if (exporter) {
      if (const auto buf = exporter(bytes, why)) {
        errno = 0;
        mr_ = ibv_reg_dmabuf_mr(domain_->pd.get(), buf->offset, bytes.size(),
                                reinterpret_cast<std::uintptr_t>(bytes.data()), buf->fd,
                                domain_->access);
        const int error = errno;
        ::close(buf->fd);
        if (mr_ == nullptr) why = "ibv_reg_dmabuf_mr: " + std::system_category().message(error);
      }
    }
    if (mr_ == nullptr) {
      errno = 0;
      mr_ = ibv_reg_mr(domain_->pd.get(), bytes.data(), bytes.size(), domain_->access);
      if (mr_ == nullptr) {
        throw TransportError(
            "verbs", -1, "register " + std::to_string(bytes.size()) + " bytes of device memory",
            "no GPUDirect RDMA here: dma-buf: " + why + "; ibv_reg_mr on the device pointer: " +
                std::system_category().message(errno) + " (it needs the nvidia-peermem module)");
      }
    }
    set_native(mr_);
  }
  ~VerbsDeviceRegion() override {
    if (mr_ != nullptr) ibv_dereg_mr(mr_);
  }
  VerbsDeviceRegion(const VerbsDeviceRegion&) = delete;
  VerbsDeviceRegion& operator=(const VerbsDeviceRegion&) = delete;

 private:
  std::shared_ptr<VerbsDomain> domain_;  // declared first: released after the registration
  ibv_mr* mr_ = nullptr;
};

std::uint8_t to_u8(int value) {
  return static_cast<std::uint8_t>(value);
}

int access_flags(const VerbsOptions& options) {
  // An optional flag (IBV_ACCESS_OPTIONAL_RANGE): devices that do not support it ignore it.
  return kAccess | (options.relaxed_ordering ? IBV_ACCESS_RELAXED_ORDERING : 0);
}

}  // namespace

VerbsTransport::VerbsTransport(Bootstrap& bootstrap, const VerbsOptions& options)
    : bootstrap_(bootstrap),
      options_(options),
      rank_(bootstrap.rank()),
      size_(bootstrap.size()),
      lanes_(static_cast<std::uint32_t>(options.qps_per_peer)),
      placement_(local_placement(bootstrap)),
      domain_(std::make_shared<VerbsDomain>(open_verbs_port(options, placement_.local_rank),
                                            access_flags(options))),
      port_(domain_->port) {
  validate(options_);
  if (static_cast<std::uint64_t>(size_) * lanes_ > verbs_protocol::kMaxChannels) {
    throw TransportError("verbs", -1, "init",
                         std::to_string(size_) + " ranks x " + std::to_string(lanes_) +
                             " queue pairs exceed the 2^15 channels a work request id can name");
  }
  if (options_.pkey_index >= port_.attr.pkey_tbl_len) {
    throw TransportError("verbs", -1, "init",
                         "pkey_index=" + std::to_string(options_.pkey_index) + " is outside " +
                             port_.device + " port " + std::to_string(port_.port) +
                             "'s partition key table of " +
                             std::to_string(port_.attr.pkey_tbl_len) + " entries");
  }
  choose_gid();
  // A path MTU above the port's active MTU is refused by the device when the queue pair moves
  // to RTR: a user's mtu= is an upper bound, clamped to what the port carries (and the
  // lower of the two ends' values is taken when connecting).
  mtu_ = port_.attr.active_mtu;
  if (options_.mtu != 0) mtu_ = std::min(verbs_mtu_from_bytes(options_.mtu), mtu_);
  max_message_bytes_ = port_.attr.max_msg_sz;
  std::random_device random;
  psn_ = random() & 0xFFFFFFU;  // 24-bit, random like perftest so stale packets do not match
  // The async queue is read without blocking (device_events) when a wait times out.
  const int flags = fcntl(port_.context->async_fd, F_GETFL);
  if (flags >= 0) fcntl(port_.context->async_fd, F_SETFL, flags | O_NONBLOCK);

  create_resources();
  const auto blobs = bootstrap_.allgather_variable(encode(local_connection_info()));
  connect(blobs);
  describe_path();
  // Nobody sends before every queue pair it sends to is ready to receive.
  bootstrap_.barrier();
}

VerbsTransport::~VerbsTransport() {
  // A peer may still need this rank's progress (a cts, a reposted receive buffer) to finish
  // its last operations; keep progressing until everyone is here, as UcxTransport does.
  // Unwinding after an error, peers may be gone: the barrier would wait forever.
  if (std::uncaught_exceptions() > 0) return;
  try {
    bootstrap_.barrier_progressing([this] { progress(); });
  } catch (...) {
    // Tearing down after a failure: the peers may be gone; nothing more to do.
  }
}

// Every rank reports the same path (the link layer is agreed: connect refuses a mismatch):
// the devices the ranks use, the receive queue, and how many ranks yield their core.
void VerbsTransport::describe_path() {
  const auto ports =
      bootstrap_.allgather_strings(port_.device + " port " + std::to_string(port_.port));
  const std::set<std::string> distinct(ports.begin(), ports.end());
  std::string devices;
  for (const auto& port : distinct)
    devices += (devices.empty() ? "" : ", ") + port;
  std::array<std::int64_t, 1> yielding{placement_.oversubscribed() ? 1 : 0};
  bootstrap_.allreduce_sum(yielding);
  path_.kind = TransportPath::Kind::network;
  path_.detail = std::string("verbs RC over ") +
                 (port_.attr.link_layer == IBV_LINK_LAYER_ETHERNET
                      ? "RoCE " + gid_type_name(gid_type_).substr(5)
                      : std::string("InfiniBand")) +
                 " on " + devices +
                 (srq_ ? ", shared receive queue" : ", receive rings per queue pair") + "; " +
                 std::to_string(yielding[0]) + " of " + std::to_string(size_) +
                 " ranks yield when idle (more ranks than cores)";
}

void VerbsTransport::choose_gid() {
  const bool roce = port_.attr.link_layer == IBV_LINK_LAYER_ETHERNET;
  int gid = options_.gid_index.value_or(-1);
  const auto table = query_gid_table(port_.context.get(), port_.port, port_.attr.gid_tbl_len);
  if (roce && !options_.gid_index) {
    // Index 0 on mlx5 is link-local RoCE v1, which routed RoCE v2 fabrics drop.
    const auto chosen = choose_roce_gid_index(table);
    if (!chosen) {
      throw TransportError("verbs", -1, "init",
                           port_.device + " port " + std::to_string(port_.port) +
                               " is RoCE and has no RoCE v2 GID (set gid_index to choose one)");
    }
    gid = *chosen;
  }
  if (roce && gid < 0) {
    throw TransportError("verbs", -1, "init",
                         port_.device + " port " + std::to_string(port_.port) +
                             " is RoCE: it needs a GID index (gid_index >= 0)");
  }
  if (gid < 0) return;
  const auto entry = std::find_if(table.begin(), table.end(),
                                  [gid](const GidCandidate& c) { return c.index == gid; });
  if (entry == table.end()) {
    throw TransportError("verbs", -1, "init",
                         "gid_index=" + std::to_string(gid) +
                             " is empty or outside the GID table of " + port_.device + " port " +
                             std::to_string(port_.port));
  }
  gid_index_ = to_u8(gid);
  gid_type_ = static_cast<std::uint8_t>(entry->type);
}

void VerbsTransport::create_resources() {
  ibv_device_attr device_attr{};
  check(ibv_query_device(port_.context.get(), &device_attr), -1, "query device");

  const auto tx_depth = static_cast<std::uint32_t>(options_.tx_depth);
  const auto rx_depth = static_cast<std::uint32_t>(options_.rx_depth);
  const auto channels = static_cast<std::size_t>(size_) * lanes_;
  const auto remote_channels = static_cast<std::size_t>(size_ - 1) * lanes_;
  if (tx_depth > static_cast<std::uint32_t>(device_attr.max_qp_wr) ||
      rx_depth > static_cast<std::uint32_t>(device_attr.max_qp_wr)) {
    throw TransportError("verbs", -1, "init",
                         "tx_depth/rx_depth exceed the device's max_qp_wr of " +
                             std::to_string(device_attr.max_qp_wr));
  }
  receive_buffer_bytes_ = sizeof(WireHeader) + static_cast<std::size_t>(options_.eager_threshold);
  if (receive_buffer_bytes_ > max_message_bytes_) {
    throw TransportError("verbs", -1, "init",
                         "eager_threshold=" + std::to_string(options_.eager_threshold) +
                             " plus a header exceeds the port's max_msg_sz of " +
                             std::to_string(max_message_bytes_));
  }
  create_receive_queue(device_attr);
  const auto receive_entries = srq_ ? receive_buffer_count_ : remote_channels * rx_depth;
  const auto cq_entries = std::max<std::size_t>(1, remote_channels * tx_depth + receive_entries);
  if (cq_entries > static_cast<std::size_t>(device_attr.max_cqe)) {
    throw TransportError("verbs", -1, "create completion queue",
                         std::to_string(cq_entries) + " entries needed, the device allows " +
                             std::to_string(device_attr.max_cqe) +
                             " (lower tx_depth, rx_depth or qps_per_peer)");
  }
  cq_.reset(
      check(ibv_create_cq(port_.context.get(), static_cast<int>(cq_entries), nullptr, nullptr, 0),
            -1, "create completion queue (ibv_create_cq)"));

  auto* pd = domain_->pd.get();
  header_ring_.resize(channels * tx_depth);
  header_ring_mr_.reset(register_verbs_memory(pd, header_ring_.data(),
                                              header_ring_.size() * sizeof(WireHeader),
                                              domain_->access, "register send headers"));
  if (!srq_) receive_buffer_count_ = channels * rx_depth;
  receive_buffers_.resize(receive_buffer_count_ * receive_buffer_bytes_);
  receive_buffers_mr_.reset(register_verbs_memory(pd, receive_buffers_.data(),
                                                  receive_buffers_.size(), domain_->access,
                                                  "register receive buffers"));
  control_buffer_mr_.reset(register_verbs_memory(pd, control_buffer_.data(),
                                                 sizeof(control_buffer_), domain_->access,
                                                 "register control buffer"));
  if (srq_) {
    for (std::uint64_t buffer = 0; buffer < receive_buffer_count_; ++buffer)
      post_receive(buffer);
  }

  channels_.reserve(channels);
  inline_limit_ = static_cast<std::size_t>(options_.inline_threshold);
  for (int peer = 0; peer < size_; ++peer) {
    for (std::uint32_t lane = 0; lane < lanes_; ++lane) {
      auto& channel = channels_.emplace_back(peer, tx_depth,
                                             static_cast<std::uint32_t>(options_.cq_moderation));
      if (peer == rank_) continue;  // the self path copies locally
      ibv_qp_init_attr init{};
      init.send_cq = cq_.get();
      init.recv_cq = cq_.get();
      init.srq = srq_.get();
      init.qp_type = IBV_QPT_RC;
      init.sq_sig_all = 0;  // moderation: each work request says whether it is signalled
      init.cap.max_send_wr = tx_depth;
      init.cap.max_recv_wr = srq_ ? 0 : rx_depth;
      init.cap.max_send_sge = 2;  // header + payload
      init.cap.max_recv_sge = srq_ ? 0 : 1;
      init.cap.max_inline_data = static_cast<std::uint32_t>(inline_limit_);
      channel.qp.reset(create_qp(init, peer));
      // The device may grant less inline space than asked: clamp to what it granted.
      inline_limit_ = std::min<std::size_t>(inline_limit_, init.cap.max_inline_data);
      const auto channel_id = static_cast<std::uint32_t>(channels_.size() - 1);
      channel_of_qpn_[channel.qp->qp_num] = channel_id;
      QpSettings settings;
      settings.port = to_u8(port_.port);
      settings.pkey_index = static_cast<std::uint16_t>(options_.pkey_index);
      qp_to_init(channel.qp.get(), settings, peer);
      if (!srq_) {
        const auto first = std::uint64_t{channel_id} * rx_depth;
        for (auto buffer = first; buffer < first + rx_depth; ++buffer)
          post_receive(buffer);
      }
    }
  }
}

// One shared receive queue for every peer when the device has them: the eager buffers no
// longer grow with the rank count (rx_depth per queue pair would pin about 35 GB per node
// at 128 ranks per node and 1,024 ranks).
void VerbsTransport::create_receive_queue(const ibv_device_attr& device_attr) {
  if (!options_.srq || size_ == 1 || device_attr.max_srq <= 0) return;
  const auto depth = static_cast<std::uint32_t>(options_.srq_depth);
  if (depth > static_cast<std::uint32_t>(device_attr.max_srq_wr)) {
    throw TransportError("verbs", -1, "create shared receive queue",
                         "srq_depth=" + std::to_string(depth) +
                             " exceeds the device's max_srq_wr of " +
                             std::to_string(device_attr.max_srq_wr));
  }
  ibv_srq_init_attr init{};
  init.attr.max_wr = depth;
  init.attr.max_sge = 1;
  srq_.reset(check(ibv_create_srq(domain_->pd.get(), &init), -1,
                   "create shared receive queue (ibv_create_srq)"));
  receive_buffer_count_ = depth;
}

// mlx5 refuses a queue pair whose max_inline_data it cannot grant instead of granting less:
// ask again with half as much, down to none, before giving up.
ibv_qp* VerbsTransport::create_qp(ibv_qp_init_attr& init, int peer) {
  while (true) {
    errno = 0;
    ibv_qp_init_attr attempt = init;
    if (ibv_qp* qp = ibv_create_qp(domain_->pd.get(), &attempt)) {
      init = attempt;
      return qp;
    }
    const int error = errno;
    if (init.cap.max_inline_data == 0 || (error != EINVAL && error != ENOMEM)) {
      throw_verbs_error(peer, "create queue pair (ibv_create_qp)", error);
    }
    init.cap.max_inline_data /= 2;
  }
}

VerbsConnectionInfo VerbsTransport::local_connection_info() const {
  VerbsConnectionInfo info;
  info.lid = port_.attr.lid;
  if (gid_index_) {
    ibv_gid gid{};
    check(ibv_query_gid(port_.context.get(), to_u8(port_.port), *gid_index_, &gid), -1,
          "query GID (ibv_query_gid)");
    std::copy(std::begin(gid.raw), std::end(gid.raw), info.gid.begin());
  }
  info.psn = psn_;
  info.mtu = to_u8(mtu_);
  info.control_address = reinterpret_cast<std::uintptr_t>(control_buffer_.data());
  info.control_rkey = control_buffer_mr_->rkey;
  info.qps_per_peer = static_cast<std::uint16_t>(lanes_);
  info.link_layer = port_.attr.link_layer == IBV_LINK_LAYER_ETHERNET ? IBV_LINK_LAYER_ETHERNET
                                                                     : IBV_LINK_LAYER_INFINIBAND;
  info.uses_grh = gid_index_ ? 1 : 0;
  info.gid_type = gid_type_;
  info.max_message_bytes = static_cast<std::uint32_t>(max_message_bytes_);
  if (info.link_layer == IBV_LINK_LAYER_INFINIBAND) {
    // The subnet prefix is the upper half of the port GID (index 0).
    ibv_gid port_gid{};
    if (ibv_query_gid(port_.context.get(), to_u8(port_.port), 0, &port_gid) == 0) {
      for (int i = 0; i < 8; ++i)
        info.subnet_prefix = (info.subnet_prefix << 8) | port_gid.raw[i];
    }
  }
  for (const auto& channel : channels_)
    info.qpns.push_back(channel.qp ? channel.qp->qp_num : 0);
  return info;
}

void VerbsTransport::connect(const std::vector<std::vector<std::byte>>& blobs) {
  peer_control_address_.assign(static_cast<std::size_t>(size_), 0);
  peer_control_rkey_.assign(static_cast<std::size_t>(size_), 0);
  peer_write_bytes_.assign(static_cast<std::size_t>(size_), max_message_bytes_);
  const auto mine = local_connection_info();
  for (int peer = 0; peer < size_; ++peer) {
    if (peer == rank_) continue;
    VerbsConnectionInfo remote;
    try {
      remote = decode_connection_info(blobs.at(static_cast<std::size_t>(peer)));
    } catch (const std::invalid_argument& e) {
      throw TransportError("verbs", peer, "connect", e.what());
    }
    if (remote.qps_per_peer != lanes_ || remote.qpns.size() != channels_.size()) {
      throw TransportError("verbs", peer, "connect",
                           "the peer uses different qps_per_peer or rank count "
                           "(FB_VERBS_OPTIONS must match on every rank)");
    }
    if (const auto why = connection_mismatch(mine, remote)) {
      throw TransportError("verbs", peer, "connect", *why);
    }
    peer_control_address_[static_cast<std::size_t>(peer)] = remote.control_address;
    peer_control_rkey_[static_cast<std::size_t>(peer)] = remote.control_rkey;
    peer_write_bytes_[static_cast<std::size_t>(peer)] =
        std::min<std::uint64_t>(max_message_bytes_, remote.max_message_bytes);
    QpSettings settings;
    settings.port = to_u8(port_.port);
    settings.gid_index = gid_index_;
    settings.mtu = std::min(mtu_, static_cast<ibv_mtu>(remote.mtu));
    settings.min_rnr_timer = to_u8(options_.min_rnr_timer);
    settings.timeout = to_u8(options_.timeout);
    settings.retry_cnt = to_u8(options_.retry_cnt);
    settings.rnr_retry = to_u8(options_.rnr_retry);
    settings.traffic_class = to_u8(options_.tclass);
    settings.service_level = to_u8(options_.sl);
    settings.pkey_index = static_cast<std::uint16_t>(options_.pkey_index);
    for (std::uint32_t lane = 0; lane < lanes_; ++lane) {
      auto& channel = channels_[static_cast<std::size_t>(peer) * lanes_ + lane];
      const auto remote_qpn = remote.qpns[static_cast<std::size_t>(rank_) * lanes_ + lane];
      qp_to_rtr(channel.qp.get(), settings, remote, remote_qpn, peer);
      qp_to_rts(channel.qp.get(), settings, psn_, peer);
    }
  }
}

void VerbsTransport::post_receive(std::uint64_t buffer_index) {
  ibv_sge sge{};
  sge.addr = reinterpret_cast<std::uintptr_t>(receive_buffers_.data()) +
             buffer_index * receive_buffer_bytes_;
  sge.length = static_cast<std::uint32_t>(receive_buffer_bytes_);
  sge.lkey = receive_buffers_mr_->lkey;
  ibv_recv_wr wr{};
  wr.wr_id = verbs_protocol::receive_wr_id(buffer_index);
  wr.sg_list = &sge;
  wr.num_sge = 1;
  ibv_recv_wr* bad = nullptr;
  if (srq_) {
    check(ibv_post_srq_recv(srq_.get(), &wr, &bad), -1,
          "post shared receive buffer (ibv_post_srq_recv)");
    return;
  }
  auto& channel = channels_[buffer_index / static_cast<std::uint64_t>(options_.rx_depth)];
  check(ibv_post_recv(channel.qp.get(), &wr, &bad), channel.peer,
        "post receive buffer (ibv_post_recv)");
}

std::unique_ptr<MemoryRegion> VerbsTransport::register_memory(std::span<std::byte> bytes) {
  return std::make_unique<VerbsMemoryRegion>(bytes, domain_);
}

std::unique_ptr<MemoryRegion> VerbsTransport::register_device_memory(std::span<std::byte> bytes) {
  return std::make_unique<VerbsDeviceRegion>(bytes, domain_, dmabuf_exporter_);
}

void VerbsTransport::check_args(int peer, const MemoryRegion& region, std::size_t offset,
                                std::size_t bytes, const char* operation) const {
  check_post(peer, region, offset, bytes, operation);
  if (bytes > 0 && region.native() == nullptr) {
    throw TransportError("verbs", peer, operation,
                         "the region was not registered by the verbs transport");
  }
}

std::optional<double> VerbsTransport::line_rate_Gbps() const {
  const auto rate = link_rate(port_.speed, port_.attr.active_width, port_.attr.link_layer);
  if (!rate) return std::nullopt;
  return rate->data_Gbps;
}

std::unique_ptr<Transport> make_verbs_transport(Bootstrap& bootstrap) {
  if (const auto reason = verbs_unavailable_reason()) {
    throw TransportError("verbs", -1, "init", *reason);
  }
  VerbsOptions options;
  try {
    options = verbs_options_from_environment();
  } catch (const std::invalid_argument& e) {
    throw TransportError("verbs", -1, "read FB_VERBS_OPTIONS", e.what());
  }
  return std::make_unique<VerbsTransport>(bootstrap, options);
}

}  // namespace fb
