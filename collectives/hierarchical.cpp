// Hierarchical all-reduce, reduce-scatter and all-gather: the work inside each host apart
// from the work across hosts, so that every local rank drives its own NIC (rail) across.
// With H hosts of L ranks each (the context's layout):
//
// All-reduce
//   1. inside a host, a ring reduce-scatter over its L ranks: local rank l ends holding
//      block (l + 1) mod L of the host's sum (the ring all-reduce's first half);
//   2. the L ranks holding the same block, one per host, all-reduce it over a ring of H
//      hosts: L such rings run at once, each on its own local rank and so, with one NIC per
//      local rank (--topology), on its own rail;
//   3. inside a host, a ring all-gather of the L reduced blocks (the all-reduce's second
//      half).
//   Each host sends 2 (H - 1) / H of the buffer over the fabric in total, spread over its L
//   ranks, where a flat ring sends it through whichever NIC its ring edge uses.
//
// Reduce-scatter (rank r's result is block r of the sum) and all-gather (every rank ends
// with block r from rank r) work on the buffer in local-rank-major order: super-block l
// holds, host by host, the blocks of the ranks with local rank l,
//
//   hosts A = {0, 2}, B = {1, 3} (L = 2, H = 2):   rank order    [ b0 | b1 | b2 | b3 ]
//                                                  local-major   [ b0   b1 | b2   b3 ]
//                                                                 local 0    local 1
//                                                                 A    B     A    B
//   Reduce-scatter: one copy of the input into that order; inside a host, a ring
//   reduce-scatter of the L super-blocks (local rank l keeps super-block l, summed over
//   the host); across hosts, per local rank, a ring reduce-scatter of its super-block (host
//   h keeps block h, its own rank's): H - 1 blocks per rank cross the fabric.
//   All-gather: the reverse: across hosts, per local rank, a ring all-gather of the H
//   blocks into super-block l; inside a host, a ring all-gather of the L super-blocks; one
//   copy out of local-major order into rank order.
//
// The steps inside a host move data between its ranks over the fastest path the transport
// has between them (UCX: shared memory).
#include "collectives/hierarchical.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/ring.hpp"
#include "collectives/scratch.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

using Mode = RingEngine::Mode;

// This rank's host and place in the layout, which must give every host as many ranks.
struct HostGroups {
  std::vector<std::vector<int>> hosts;  // the layout's hosts, each in local order
  std::vector<int> host;                // this host's ranks, in local order
  int host_index = 0;                   // this host's place among the hosts
  int local = 0;                        // this rank's place among its host's ranks
  std::vector<int> across;              // the rank of the same place on every host

  HostGroups(const AlgorithmContext& ctx, const char* what) {
    const auto layout = context_layout(ctx);
    if (!layout.uniform()) {
      std::string sizes;
      for (const auto& h : layout.hosts)
        sizes.append(sizes.empty() ? "" : ", ").append(std::to_string(h.size()));
      throw std::invalid_argument(std::string(what) +
                                  " needs the same number of ranks on every host (hosts have " +
                                  sizes + ")");
    }
    hosts = layout.hosts;
    const int rank = ctx.transport->rank();
    for (std::size_t h = 0; h < hosts.size(); ++h) {
      const auto it = std::find(hosts[h].begin(), hosts[h].end(), rank);
      if (it == hosts[h].end()) continue;
      host = hosts[h];
      host_index = static_cast<int>(h);
      local = static_cast<int>(it - hosts[h].begin());
    }
    for (const auto& h : hosts)
      across.push_back(h[static_cast<std::size_t>(local)]);
  }
  int n_hosts() const { return static_cast<int>(hosts.size()); }
  int local_size() const { return static_cast<int>(host.size()); }

  Parameters parameters(const RingEngine& engine) const {
    auto p = engine.parameters();
    p.emplace_back("hosts", static_cast<std::int64_t>(hosts.size()));
    p.emplace_back("ranks_per_host", static_cast<std::int64_t>(host.size()));
    return p;
  }

  // Copies the n blocks of `block_bytes` between rank order and local-rank-major order
  // (super-block l: the blocks of hosts[0][l], hosts[1][l], ...), in the call's memory,
  // settled when they return.
  void to_local_major(const CollArgs& args, std::byte* dst, const std::byte* src,
                      std::size_t block_bytes) const {
    permute(args, dst, src, block_bytes, true);
  }
  void to_rank_order(const CollArgs& args, std::byte* dst, const std::byte* src,
                     std::size_t block_bytes) const {
    permute(args, dst, src, block_bytes, false);
  }

 private:
  void permute(const CollArgs& args, std::byte* dst, const std::byte* src, std::size_t block_bytes,
               bool into_local_major) const {
    const std::size_t n_h = hosts.size();
    for (std::size_t h = 0; h < n_h; ++h) {
      for (std::size_t l = 0; l < hosts[h].size(); ++l) {
        const std::size_t major = (l * n_h + h) * block_bytes;
        const std::size_t by_rank = static_cast<std::size_t>(hosts[h][l]) * block_bytes;
        if (into_local_major)
          copy_bytes(args, dst + major, src + by_rank, block_bytes);
        else
          copy_bytes(args, dst + by_rank, src + major, block_bytes);
      }
    }
    settle(args);
  }
};

RingEngine ring(const AlgorithmContext& ctx, Mode mode, int channel) {
  return {*ctx.transport,
          mode,
          ctx.options.ring_segment_bytes.value,
          ctx.options.ring_slots.value,
          ctx.options.timeout,
          channel,
          RingEngine::Blocks::by_place};
}

class HierarchicalAllreduce final : public Algorithm {
 public:
  explicit HierarchicalAllreduce(const AlgorithmContext& ctx)
      : groups_(ctx, "hierarchical all-reduce"),
        intra_(ring(ctx, Mode::allreduce, 1)),
        inter_(ring(ctx, Mode::allreduce, 2)),
        world_(ctx.transport->size()) {}

  Parameters parameters() const override { return groups_.parameters(intra_); }

  void run(const CollArgs& args) override {
    if (args.count == 0) return;
    const int local_size = groups_.local_size();
    // 1. The host's sum, block (local + 1) mod L of it here.
    intra_.run(args, groups_.host, {.reduce_scatter = true, .all_gather = false}, 0);
    // 2. That block, summed over the hosts (avg divides by every rank once, here).
    const auto block = topo::ring_block(args.count, local_size, (groups_.local + 1) % local_size);
    const std::size_t esize = dtype_size(args.dtype);
    const Buffer part{args.recv.bytes.subspan(block.offset * esize, block.count * esize),
                      args.recv.region};
    inter_.run({part, part, block.count, args.dtype, args.op, 0, args.memory}, groups_.across, {},
               world_);
    // 3. Every block to every rank of the host.
    const CollArgs whole{args.recv, args.recv, args.count, args.dtype, args.op, 0, args.memory};
    intra_.run(whole, groups_.host, {.reduce_scatter = false, .all_gather = true}, 0);
  }

 private:
  HostGroups groups_;
  RingEngine intra_;
  RingEngine inter_;
  int world_;
};

// Reduce-scatter and all-gather: the same groups, rings and scratch, run in opposite orders.
class HierarchicalBlocks final : public Algorithm {
 public:
  HierarchicalBlocks(const AlgorithmContext& ctx, Mode mode)
      : mode_(mode),
        groups_(ctx, mode == Mode::reducescatter ? "hierarchical reduce-scatter"
                                                 : "hierarchical all-gather"),
        intra_(ring(ctx, mode, 1)),
        inter_(ring(ctx, mode, 2)),
        world_(ctx.transport->size()),
        scratch_(*ctx.transport) {}

  Parameters parameters() const override { return groups_.parameters(intra_); }

  void run(const CollArgs& args) override {
    const std::size_t esize = dtype_size(args.dtype);
    const auto n = static_cast<std::size_t>(world_);
    const std::size_t block = args.count / n;  // elements of each rank's block
    if (block == 0) return;
    const std::size_t all = n * block;
    const std::size_t super = block * static_cast<std::size_t>(groups_.n_hosts());
    // [ every block, local-rank-major | this local rank's super-block ]
    const Buffer scratch = scratch_.reserve((all + super) * esize, args);
    const Buffer major{scratch.bytes.first(all * esize), scratch.region};
    const Buffer mine{scratch.bytes.subspan(all * esize), scratch.region};
    auto pass = [&](RingEngine& engine, const Buffer& in, const Buffer& out, std::size_t count,
                    const std::vector<int>& members, int divisor) {
      engine.run({in, out, count, args.dtype, args.op, 0, args.memory}, members, {}, divisor);
    };
    if (mode_ == Mode::reducescatter) {
      // The input reordered; the host's sum of this local rank's super-block; its block of it
      // summed over the hosts.
      groups_.to_local_major(args, major.bytes.data(), args.send.bytes.data(), block * esize);
      pass(intra_, major, mine, all, groups_.host, 0);
      pass(inter_, mine, args.recv, super, groups_.across, world_);
    } else {
      // This local rank's blocks from every host; every super-block of the host; reordered.
      pass(inter_, args.send, mine, super, groups_.across, 0);
      pass(intra_, mine, major, all, groups_.host, 0);
      groups_.to_rank_order(args, args.recv.bytes.data(), major.bytes.data(), block * esize);
    }
  }

 private:
  Mode mode_;
  HostGroups groups_;
  RingEngine intra_;
  RingEngine inter_;
  int world_;
  RegisteredScratch scratch_;
};

void need_transport(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("hierarchical needs a transport");
}

}  // namespace

std::unique_ptr<Algorithm> make_hierarchical_allreduce(const AlgorithmContext& ctx) {
  need_transport(ctx);
  return std::make_unique<HierarchicalAllreduce>(ctx);
}
std::unique_ptr<Algorithm> make_hierarchical_reducescatter(const AlgorithmContext& ctx) {
  need_transport(ctx);
  return std::make_unique<HierarchicalBlocks>(ctx, Mode::reducescatter);
}
std::unique_ptr<Algorithm> make_hierarchical_allgather(const AlgorithmContext& ctx) {
  need_transport(ctx);
  return std::make_unique<HierarchicalBlocks>(ctx, Mode::allgather);
}

}  // namespace fb
