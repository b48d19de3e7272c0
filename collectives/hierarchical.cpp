// Hierarchical all-reduce: a reduce-scatter inside each host, an all-reduce across hosts per
// local rank, an all-gather inside each host. With H hosts of L ranks each:
//
//   1. inside a host, a ring reduce-scatter over its L ranks: local rank l ends holding
//      block (l + 1) mod L of the host's sum (the ring all-reduce's first half);
//   2. the L ranks holding the same block, one per host, all-reduce it over a ring of H
//      hosts: L such rings run at once, each on its own local rank and so, with one NIC per
//      local rank (--topology), on its own rail;
//   3. inside a host, a ring all-gather of the L reduced blocks (the all-reduce's second
//      half).
//
// Each host sends 2 (H - 1) / H of the buffer over the fabric in total, spread over its L
// ranks, where a flat ring sends it through whichever NIC its ring edge uses. Steps 1 and 3
// move data between the ranks of one host, over the fastest path the transport has between
// them (UCX: shared memory). The hosts and their ranks come from the context's layout.
#include "collectives/hierarchical.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "collectives/ring.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

class Hierarchical final : public Algorithm {
 public:
  explicit Hierarchical(const AlgorithmContext& ctx)
      : intra_(*ctx.transport, RingEngine::Mode::allreduce, ctx.options.ring_segment_bytes.value,
               ctx.options.ring_slots.value, ctx.options.timeout, 1),
        inter_(*ctx.transport, RingEngine::Mode::allreduce, ctx.options.ring_segment_bytes.value,
               ctx.options.ring_slots.value, ctx.options.timeout, 2),
        world_(ctx.transport->size()) {
    const auto layout = context_layout(ctx);
    if (!layout.uniform()) {
      std::string sizes;
      for (const auto& host : layout.hosts)
        sizes += (sizes.empty() ? "" : ", ") + std::to_string(host.size());
      throw std::invalid_argument(
          "hierarchical all-reduce needs the same number of ranks on every host (hosts have " +
          sizes + ")");
    }
    const int rank = ctx.transport->rank();
    for (const auto& host : layout.hosts) {
      const auto it = std::find(host.begin(), host.end(), rank);
      if (it != host.end()) {
        host_ = host;
        local_ = static_cast<int>(it - host.begin());
      }
    }
    for (const auto& host : layout.hosts)
      across_.push_back(host[static_cast<std::size_t>(local_)]);
  }

  Parameters parameters() const override {
    auto p = intra_.parameters();
    p.emplace_back("hosts", static_cast<std::int64_t>(across_.size()));
    p.emplace_back("ranks_per_host", static_cast<std::int64_t>(host_.size()));
    return p;
  }

  void run(const CollArgs& args) override {
    if (args.count == 0) return;
    const int local_size = static_cast<int>(host_.size());
    // 1. The host's sum, block (local + 1) mod L of it here.
    intra_.run(args, host_, {.reduce_scatter = true, .all_gather = false}, 0);
    // 2. That block, summed over the hosts (avg divides by every rank once, here).
    const auto block = topo::ring_block(args.count, local_size, (local_ + 1) % local_size);
    const std::size_t esize = dtype_size(args.dtype);
    const Buffer part{args.recv.bytes.subspan(block.offset * esize, block.count * esize),
                      args.recv.region};
    inter_.run({part, part, block.count, args.dtype, args.op, 0}, across_, {}, world_);
    // 3. Every block to every rank of the host.
    const CollArgs whole{args.recv, args.recv, args.count, args.dtype, args.op, 0};
    intra_.run(whole, host_, {.reduce_scatter = false, .all_gather = true}, 0);
  }

 private:
  RingEngine intra_;
  RingEngine inter_;
  int world_;
  std::vector<int> host_;    // this host's ranks, in local order
  int local_ = 0;            // this rank's place among them
  std::vector<int> across_;  // the rank of the same place on every host, in host order
};

}  // namespace

std::unique_ptr<Algorithm> make_hierarchical_allreduce(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("hierarchical needs a transport");
  return std::make_unique<Hierarchical>(ctx);
}

}  // namespace fb
