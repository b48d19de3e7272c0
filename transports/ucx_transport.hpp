// UCX transport: one UCP worker per rank, an endpoint to every peer, tagged messages.
// Worker addresses are exchanged through the bootstrap. UCX reads its usual UCX_*
// environment (UCX_TLS, UCX_NET_DEVICES, ...), which the harness records as provenance.
#pragma once

#include <ucp/api/ucp.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

// UCX library version in use, e.g. "1.13.1".
std::string ucx_library_version();

// What ucp_ep_print_info says about an endpoint (its lanes and their transports).
std::string ucx_endpoint_info(ucp_ep_h ep);
// The UCT transport names of the lanes in ucp_ep_print_info's text ("tcp", "posix", "cma").
std::set<std::string> ucx_lane_transports(std::string_view info);
// network when any transport crosses a network (tcp, rc, ud, dc, ...), shared_memory when
// every one stays in this machine's memory (self, posix, sysv, cma, xpmem, knem, cuda_ipc,
// ...), unknown when the set is empty.
TransportPath classify_ucx_path(const std::set<std::string>& transports);

class UcxTransport final : public Transport {
 public:
  explicit UcxTransport(Bootstrap& bootstrap);
  ~UcxTransport() override;
  UcxTransport(const UcxTransport&) = delete;
  UcxTransport& operator=(const UcxTransport&) = delete;

  std::string_view name() const override { return "ucx"; }
  // device_memory: UCX was built with CUDA support (its context lists the CUDA memory type,
  // what `ucx_info -d` shows as cuda transports).
  TransportCapabilities capabilities() const override { return {cuda_memory_, false}; }
  // The transports UCX chose for the endpoints to the other ranks, over every rank. When
  // some go over TCP, the transport asks UCX for its eager protocol at every size (unless
  // UCX_RNDV_THRESH is set), and the detail says so.
  TransportPath path() const override { return path_; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override;
  std::unique_ptr<MemoryRegion> register_device_memory(std::span<std::byte> bytes) override;
  Request isend(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  Request irecv(int peer, Tag tag, const MemoryRegion& region, std::size_t offset,
                std::size_t bytes) override;
  void progress() override;
  bool test(Request& req) override;

 private:
  // The source rank travels in the top bits of the UCP tag, since UCP receives match on
  // the tag alone, not on the sending endpoint.
  static constexpr int kRankBits = 20;
  static constexpr int kUserBits = 64 - kRankBits;
  static ucp_tag_t wire_tag(int source, Tag tag) {
    return (static_cast<ucp_tag_t>(source) << kUserBits) |
           (tag & ((ucp_tag_t{1} << kUserBits) - 1));
  }
  // This rank's UCP context and worker (no communication); throws when UCX refuses them.
  void start_worker(bool eager_only);
  void close_endpoints();
  // Creates the context (eager_only: rendezvous threshold inf), worker and endpoints.
  void connect(bool eager_only);
  // Collective: the union of every rank's endpoint transports, classified.
  TransportPath agree_path();
  // UCX calls this when the endpoint to a peer fails (peer error handling mode).
  static void on_endpoint_error(void* arg, ucp_ep_h ep, ucs_status_t status);
  // Throws TransportError naming the peer if its endpoint has failed.
  void throw_if_failed(int peer, const char* op) const;

  struct ContextDeleter {
    void operator()(ucp_context_h c) const { ucp_cleanup(c); }
  };
  struct WorkerDeleter {
    void operator()(ucp_worker_h w) const { ucp_worker_destroy(w); }
  };

  Bootstrap& bootstrap_;
  int rank_ = 0;
  int size_ = 1;
  std::unique_ptr<ucp_context, ContextDeleter> context_;
  std::unique_ptr<ucp_worker, WorkerDeleter> worker_;
  std::vector<ucp_ep_h> endpoints_;  // closed together, collectively, in close_endpoints()
  struct ErrorArg {
    UcxTransport* self;
    int peer;
  };
  std::vector<ErrorArg> error_args_;         // err_handler.arg of each endpoint
  std::vector<ucs_status_t> peer_failures_;  // UCS_OK, or why the endpoint to a peer failed
  static constexpr unsigned kIdlePollsBeforeYield = 32;
  bool oversubscribed_ = false;  // more ranks than cores here: yield when idle
  bool cuda_memory_ = false;     // the context accepts CUDA device memory
  unsigned idle_polls_ = 0;
  TransportPath path_;
};

}  // namespace fb
