#include "transports/ucx_transport.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "transports/error.hpp"
#include "transports/local_placement.hpp"

namespace fb {

namespace {

void check_ucs(ucs_status_t status, int peer, const char* what) {
  if (status != UCS_OK) throw TransportError("ucx", peer, what, ucs_status_string(status));
}

// Registration with ucp_mem_map lets rendezvous protocols skip registering per message.
class UcxMemoryRegion final : public MemoryRegion {
 public:
  // `cuda`: the bytes are CUDA device memory, mapped as such and named so on every request.
  UcxMemoryRegion(ucp_context_h context, std::span<std::byte> bytes, bool cuda = false)
      : MemoryRegion(bytes), context_(context), cuda_(cuda) {
    if (bytes.empty()) return;
    ucp_mem_map_params_t params{};
    params.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH;
    params.address = bytes.data();
    params.length = bytes.size();
    if (cuda) {
      params.field_mask |= UCP_MEM_MAP_PARAM_FIELD_MEMORY_TYPE;
      params.memory_type = UCS_MEMORY_TYPE_CUDA;
    }
    check_ucs(ucp_mem_map(context_, &params, &memh_), -1, "register memory (ucp_mem_map)");
    set_native(memh_);
  }
  ~UcxMemoryRegion() override {
    if (memh_ != nullptr) ucp_mem_unmap(context_, memh_);
  }
  UcxMemoryRegion(const UcxMemoryRegion&) = delete;
  UcxMemoryRegion& operator=(const UcxMemoryRegion&) = delete;
  ucp_mem_h memh() const { return memh_; }
  bool cuda() const { return cuda_; }

 private:
  ucp_context_h context_;
  bool cuda_;
  ucp_mem_h memh_ = nullptr;
};

ucp_request_param_t make_param(const MemoryRegion& region) {
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_DATATYPE;
  param.datatype = ucp_dt_make_contig(1);
  if (region.native() != nullptr) {  // only UcxMemoryRegion sets it: a ucp_mem_h
    param.op_attr_mask |= UCP_OP_ATTR_FIELD_MEMH;
    param.memh = static_cast<ucp_mem_h>(region.native());
    // Device memory: say so, rather than have UCX look the pointer up per request.
    if (static_cast<const UcxMemoryRegion&>(region).cuda()) {
      param.op_attr_mask |= UCP_OP_ATTR_FIELD_MEMORY_TYPE;
      param.memory_type = UCS_MEMORY_TYPE_CUDA;
    }
  }
  return param;
}

constexpr auto kCloseTimeout = std::chrono::seconds(10);

// This machine's host name (endpoints to other hosts get peer error handling).
std::string this_host() {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  return host.data();
}

// FB_UCX_ERROR_MODE: which endpoints use UCX's peer error handling.
//   auto (default)  endpoints to other hosts: a lost peer fails requests with an error;
//                   endpoints on the same host keep the shared-memory transports, which
//                   UCX 1.13 does not offer in peer mode (they would fall back to TCP).
//   peer            every endpoint (same-host traffic then goes over TCP: slower);
//   none            no endpoint (UCX's default: a lost peer may abort the process).
enum class ErrorMode { automatic, peer, none };
ErrorMode error_mode_from_env() {
  const char* value = std::getenv("FB_UCX_ERROR_MODE");
  if (value == nullptr || std::string_view(value).empty() || std::string_view(value) == "auto") {
    return ErrorMode::automatic;
  }
  if (std::string_view(value) == "peer") return ErrorMode::peer;
  if (std::string_view(value) == "none") return ErrorMode::none;
  throw TransportError(
      "ucx", -1, "init",
      "FB_UCX_ERROR_MODE must be auto, peer or none, not '" + std::string(value) + "'");
}

}  // namespace

std::string ucx_endpoint_info(ucp_ep_h ep) {
  // ucp_ep_print_info writes to a FILE; open_memstream collects it in a malloc'ed buffer,
  // complete once the stream is closed.
  char* text = nullptr;
  std::size_t length = 0;
  std::FILE* out = open_memstream(&text, &length);
  if (out == nullptr) return {};
  ucp_ep_print_info(ep, out);
  std::fclose(out);  // NOLINT(cppcoreguidelines-owning-memory): a C stream, closed here
  std::string info(text, length);
  std::free(text);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
  return info;
}

std::set<std::string> ucx_lane_transports(std::string_view info) {
  // Lines such as
  //   "#   lane[0]:  1:tcp/fbf0.0 md[1]   -> md[1]/tcp/sysdev[255] am am_bw#0 keepalive wireup":
  // the transport is the word between "N:" and "/", what the lane carries follows the last
  // "]". A lane used only to connect (wireup) or to check on the peer (keepalive) carries no
  // data and does not count.
  std::set<std::string> names;
  std::size_t line_start = 0;
  while (line_start < info.size()) {
    const std::size_t line_end = std::min(info.find('\n', line_start), info.size());
    const std::string_view line = info.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    const std::size_t lane = line.find("lane[");
    if (lane == std::string_view::npos) continue;
    const std::size_t colon = line.find("]:", lane);
    if (colon == std::string_view::npos) continue;
    std::size_t i = line.find_first_not_of(' ', colon + 2);
    if (i == std::string_view::npos) continue;
    const std::size_t digits_end = line.find_first_not_of("0123456789", i);
    if (digits_end == std::string_view::npos || digits_end == i || line[digits_end] != ':')
      continue;
    i = digits_end + 1;
    const std::size_t slash = line.find('/', i);
    if (slash == std::string_view::npos || slash == i) continue;
    bool carries_data = false;
    std::string_view uses = line.substr(std::min(line.rfind(']') + 1, line.size()));
    while (!uses.empty()) {
      const std::size_t word_start = uses.find_first_not_of(' ');
      if (word_start == std::string_view::npos) break;
      uses.remove_prefix(word_start);
      const std::string_view word = uses.substr(0, uses.find(' '));
      uses.remove_prefix(word.size());
      carries_data = carries_data || (word != "wireup" && word != "keepalive");
    }
    if (carries_data) names.emplace(line.substr(i, slash - i));
  }
  return names;
}

TransportPath classify_ucx_path(const std::set<std::string>& transports) {
  // UCT transports that stay inside one machine's memory; everything else crosses a network.
  static const std::set<std::string, std::less<>> local = {
      "self",     "posix",     "sysv",     "xpmem",    "cma",      "knem",
      "cuda_ipc", "cuda_copy", "gdr_copy", "rocm_ipc", "rocm_copy"};
  TransportPath path;
  std::string network, memory;
  for (const auto& name : transports) {
    auto& list = local.count(name) != 0 ? memory : network;
    list += (list.empty() ? "" : ", ") + name;
    path.tcp = path.tcp || name == "tcp";
  }
  if (!network.empty()) {
    path.kind = TransportPath::Kind::network;
    path.detail = network;
  } else if (!memory.empty()) {
    path.kind = TransportPath::Kind::shared_memory;
    path.detail = memory;
  }
  return path;
}

std::string ucx_library_version() {
  return ucp_get_version_string();
}

void UcxTransport::start_worker(bool eager_only) {
  ucp_config_t* config = nullptr;
  check_ucs(ucp_config_read(nullptr, nullptr, &config), -1, "read UCX configuration");
  if (eager_only) {
    const auto status = ucp_config_modify(config, "RNDV_THRESH", "inf");
    if (status != UCS_OK) ucp_config_release(config);
    check_ucs(status, -1, "set the rendezvous threshold (ucp_config_modify RNDV_THRESH)");
  }
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_ESTIMATED_NUM_EPS;
  params.features = UCP_FEATURE_TAG;
  params.estimated_num_eps = static_cast<std::size_t>(size_);
  ucp_context_h context = nullptr;
  const auto init_status = ucp_init(&params, config, &context);
  ucp_config_release(config);
  check_ucs(init_status, -1, "init (ucp_init)");
  context_.reset(context);
  ucp_context_attr_t attr{};
  attr.field_mask = UCP_ATTR_FIELD_MEMORY_TYPES;
  if (ucp_context_query(context_.get(), &attr) == UCS_OK) {
    cuda_memory_ = (attr.memory_types & UCS_BIT(UCS_MEMORY_TYPE_CUDA)) != 0;
  }

  ucp_worker_params_t worker_params{};
  worker_params.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  worker_params.thread_mode = UCS_THREAD_MODE_SINGLE;
  ucp_worker_h worker = nullptr;
  check_ucs(ucp_worker_create(context_.get(), &worker_params, &worker), -1,
            "create worker (ucp_worker_create)");
  worker_.reset(worker);
}

UcxTransport::UcxTransport(Bootstrap& bootstrap)
    : bootstrap_(bootstrap), rank_(bootstrap.rank()), size_(bootstrap.size()) {
  if (size_ >= (1 << kRankBits)) {
    throw TransportError("ucx", -1, "init", "more than 2^20 ranks are not supported");
  }
  connect(false);
  path_ = agree_path();
  // Over TCP, UCX's rendezvous protocol puts a handshake before every large message whose
  // reply waits in the same switch and socket queues as the bulk data, so the link idles
  // between messages (docs/FABRIC.md, "Rendezvous over TCP"). Eager messages need no reply.
  // A rendezvous threshold the user set is kept.
  std::vector<std::int64_t> user_threshold{std::getenv("UCX_RNDV_THRESH") != nullptr ? 1 : 0};
  bootstrap_.allreduce_sum(user_threshold);
  if (path_.tcp && user_threshold[0] == 0) {
    close_endpoints();
    worker_.reset();
    context_.reset();
    connect(true);
    path_.detail += "; eager protocol over tcp, rendezvous threshold inf";
  } else if (path_.tcp) {
    path_.detail += "; UCX_RNDV_THRESH as set";
  }
}

void UcxTransport::connect(bool eager_only) {
  // The local part first (context and worker). Whether it worked is agreed among the ranks
  // before any of them exchanges addresses, so a configuration UCX rejects (UCX_TLS naming
  // transports this machine lacks) ends the transport on every rank alike, as
  // TransportUnavailable, instead of leaving the others waiting in the exchange.
  std::string local_failure;
  try {
    start_worker(eager_only);
  } catch (const std::exception& e) {
    local_failure = e.what();
    if (local_failure.rfind("ucx: ", 0) == 0) local_failure.erase(0, 5);
    worker_.reset();
    context_.reset();
  }
  std::vector<std::int64_t> failed{local_failure.empty() ? 0 : 1};
  bootstrap_.allreduce_sum(failed);
  if (failed[0] != 0) {
    throw TransportUnavailable(
        "ucx", !local_failure.empty() ? local_failure
                                      : "could not start on " + std::to_string(failed[0]) + " of " +
                                            std::to_string(size_) + " ranks (rank 0 started)");
  }

  const auto host = this_host();
  const auto hosts = bootstrap_.allgather_strings(host);
  oversubscribed_ = local_placement(bootstrap_).oversubscribed();
  const auto error_mode = error_mode_from_env();

  ucp_address_t* address = nullptr;
  std::size_t address_len = 0;
  check_ucs(ucp_worker_get_address(worker_.get(), &address, &address_len), -1,
            "get worker address");
  const auto mine = std::as_bytes(std::span(reinterpret_cast<const char*>(address), address_len));
  std::vector<std::vector<std::byte>> addresses;
  try {
    addresses = bootstrap_.allgather_variable(mine);
  } catch (...) {
    ucp_worker_release_address(worker_.get(), address);
    throw;
  }
  ucp_worker_release_address(worker_.get(), address);

  endpoints_.assign(static_cast<std::size_t>(size_), nullptr);
  peer_failures_.assign(static_cast<std::size_t>(size_), UCS_OK);
  error_args_.resize(static_cast<std::size_t>(size_));
  for (int peer = 0; peer < size_; ++peer) {
    error_args_[static_cast<std::size_t>(peer)] = {this, peer};
    ucp_ep_params_t ep_params{};
    ep_params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
    // Peer error handling: a peer that dies or becomes unreachable fails this endpoint's
    // requests with an error (reported through on_endpoint_error) instead of aborting the
    // process inside UCX, so the harness can name the lost peer and exit cleanly.
    const bool remote = hosts[static_cast<std::size_t>(peer)] != host;
    if (error_mode == ErrorMode::peer || (error_mode == ErrorMode::automatic && remote)) {
      ep_params.field_mask |= UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER;
      ep_params.err_mode = UCP_ERR_HANDLING_MODE_PEER;
      ep_params.err_handler.cb = &UcxTransport::on_endpoint_error;
      ep_params.err_handler.arg = &error_args_[static_cast<std::size_t>(peer)];
    }
    ep_params.address =
        reinterpret_cast<const ucp_address_t*>(addresses[static_cast<std::size_t>(peer)].data());
    const auto status =
        ucp_ep_create(worker_.get(), &ep_params, &endpoints_[static_cast<std::size_t>(peer)]);
    if (status != UCS_OK) {
      close_endpoints();
      check_ucs(status, peer, "create endpoint (ucp_ep_create)");
    }
  }
}

TransportPath UcxTransport::agree_path() {
  std::set<std::string> names;
  for (int peer = 0; peer < size_; ++peer) {
    if (peer == rank_) continue;
    const auto info = ucx_endpoint_info(endpoints_[static_cast<std::size_t>(peer)]);
    const auto lanes = ucx_lane_transports(info);
    names.insert(lanes.begin(), lanes.end());
  }
  std::string mine;
  for (const auto& name : names)
    mine += (mine.empty() ? "" : ",") + name;
  std::set<std::string> all;
  for (const auto& list : bootstrap_.allgather_strings(mine)) {
    std::size_t start = 0;
    while (start < list.size()) {
      const auto end = std::min(list.find(',', start), list.size());
      all.insert(list.substr(start, end - start));
      start = end + 1;
    }
  }
  return classify_ucx_path(all);
}

UcxTransport::~UcxTransport() {
  if (std::uncaught_exceptions() > 0) {
    // Unwinding after an error, on the way to exiting: peers may be gone and requests are
    // still posted, so leave the endpoints, worker and context to the process exit rather
    // than tear them down (UCX would wait on dead peers and warn about live requests).
    static_cast<void>(worker_.release());
    static_cast<void>(context_.release());
    return;
  }
  try {
    close_endpoints();
  } catch (...) {
    // Tearing down after a failure: the peers may be gone; nothing more to do.
  }
}

void UcxTransport::on_endpoint_error(void* arg, ucp_ep_h /*ep*/, ucs_status_t status) {
  const auto* error = static_cast<const ErrorArg*>(arg);
  error->self->peer_failures_[static_cast<std::size_t>(error->peer)] = status;
}

void UcxTransport::throw_if_failed(int peer, const char* op) const {
  const auto status = peer_failures_[static_cast<std::size_t>(peer)];
  if (status != UCS_OK) {
    throw TransportError(
        "ucx", peer, op,
        std::string("connection to the peer failed: ") + ucs_status_string(status));
  }
}

void UcxTransport::close_endpoints() {
  // Unwinding after an error: peers may be gone, so close without flushing and skip the
  // closing barrier (it would wait forever for a dead rank).
  const bool failing = std::uncaught_exceptions() > 0;
  std::vector<ucs_status_ptr_t> pending;
  for (std::size_t peer = 0; peer < endpoints_.size(); ++peer) {
    auto& ep = endpoints_[peer];
    if (ep == nullptr) continue;
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    // Flush (finish what is outstanding, then disconnect); a failed endpoint can only be
    // closed by force.
    const bool force = failing || peer_failures_[peer] != UCS_OK;
    param.flags = force ? static_cast<std::uint32_t>(UCP_EP_CLOSE_FLAG_FORCE) : 0U;
    auto* req = ucp_ep_close_nbx(ep, &param);
    if (UCS_PTR_IS_PTR(req)) pending.push_back(req);
    ep = nullptr;
  }
  const auto deadline = Clock::now() + kCloseTimeout;
  for (auto* req : pending) {
    while (ucp_request_check_status(req) == UCS_INPROGRESS && Clock::now() < deadline) {
      ucp_worker_progress(worker_.get());
    }
    ucp_request_free(req);
  }
  // Peers may still need our progress to finish closing their endpoints to us.
  if (failing) return;
  bootstrap_.barrier_progressing([this] { ucp_worker_progress(worker_.get()); });
}

std::unique_ptr<MemoryRegion> UcxTransport::register_memory(std::span<std::byte> bytes) {
  return std::make_unique<UcxMemoryRegion>(context_.get(), bytes);
}

std::unique_ptr<MemoryRegion> UcxTransport::register_device_memory(std::span<std::byte> bytes) {
  if (!cuda_memory_) {
    throw TransportError("ucx", -1,
                         "register " + std::to_string(bytes.size()) + " bytes of device memory",
                         "this UCX reports no CUDA memory support (ucp_context_query: no "
                         "UCS_MEMORY_TYPE_CUDA; UCX built without CUDA, or UCX_TLS leaves out "
                         "cuda_copy/cuda_ipc)");
  }
  return std::make_unique<UcxMemoryRegion>(context_.get(), bytes, true);
}

Request UcxTransport::isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                            std::size_t bytes) {
  check_post(peer, region, offset, bytes, "send");
  throw_if_failed(peer, "send");
  const auto param = make_param(region);
  auto* req = ucp_tag_send_nbx(endpoints_[static_cast<std::size_t>(peer)],
                               region.bytes().data() + offset, bytes, wire_tag(rank_, tag), &param);
  if (UCS_PTR_IS_ERR(req)) check_ucs(UCS_PTR_STATUS(req), peer, "send (ucp_tag_send_nbx)");
  return Request{reinterpret_cast<std::uintptr_t>(req), bytes, peer, OpKind::send, req == nullptr};
}

Request UcxTransport::irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                            std::size_t bytes) {
  check_post(peer, region, offset, bytes, "receive");
  throw_if_failed(peer, "receive");
  auto param = make_param(region);
  // Always get a request back: UCX 1.13 does not reliably fill recv_info when a receive
  // completes inside the call, and the received length must be checked.
  param.op_attr_mask |= UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
  auto* req = ucp_tag_recv_nbx(worker_.get(), region.bytes().data() + offset, bytes,
                               wire_tag(peer, tag), ~ucp_tag_t{0}, &param);
  if (UCS_PTR_IS_ERR(req)) check_ucs(UCS_PTR_STATUS(req), peer, "receive (ucp_tag_recv_nbx)");
  return Request{reinterpret_cast<std::uintptr_t>(req), bytes, peer, OpKind::recv, req == nullptr};
}

void UcxTransport::progress() {
  const unsigned events = ucp_worker_progress(worker_.get());
  // More ranks than cores on this host: a rank spinning on an empty worker steals the core
  // its peer needs to make progress, so give it up after a short idle spell.
  if (oversubscribed_) {
    idle_polls_ = events != 0 ? 0 : idle_polls_ + 1;
    if (idle_polls_ >= kIdlePollsBeforeYield) {
      idle_polls_ = 0;
      sched_yield();
    }
  }
}

bool UcxTransport::test(Request& req) {
  if (req.done) return true;
  // The request handle is the UCP request pointer, kept as an opaque integer in Request.
  auto* handle = reinterpret_cast<void*>(req.handle);  // NOLINT(performance-no-int-to-ptr)
  const auto status = ucp_request_check_status(handle);
  if (status == UCS_INPROGRESS) {
    // A receive is posted on the worker, not on the endpoint, so a failed peer does not
    // fail it: check the peer here.
    if (peer_failures_[static_cast<std::size_t>(req.peer)] == UCS_OK) return false;
    if (req.kind == OpKind::recv) ucp_request_cancel(worker_.get(), handle);
    ucp_request_free(handle);  // released by UCX once it completes
    req.done = true;
    throw_if_failed(req.peer, req.kind == OpKind::send ? "send" : "receive");
  }
  std::size_t received = req.bytes;
  if (status == UCS_OK && req.kind == OpKind::recv) {
    ucp_tag_recv_info_t info{};
    ucp_tag_recv_request_test(handle, &info);
    received = info.length;
  }
  ucp_request_free(handle);
  req.done = true;
  const char* op = req.kind == OpKind::send ? "send" : "receive";
  check_ucs(status, req.peer, op);
  if (received != req.bytes) {
    throw TransportError(
        "ucx", req.peer, op,
        "expected " + std::to_string(req.bytes) + " bytes, got " + std::to_string(received));
  }
  return true;
}

}  // namespace fb
