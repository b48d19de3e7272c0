// Scatter + ring all-gather broadcast (van de Geijn).
//
// The buffer is n blocks (topologies/ring.hpp's split), numbered by the ranks' places
// rooted at the root (topologies/places.hpp; in rank order v = (rank - root) mod n).
// Scatter: down the binomial tree (topologies/knomial.hpp, radix 2) every rank receives
// from its parent the blocks of its whole subtree, [v, v + span), one run, and passes each
// child the run of the child's subtree. All-gather: a ring in relative order, n - 1 steps;
// at step t rank v sends block v - t to v + 1 and receives block v - t - 1 from v - 1, in
// place. n = 4, root 0 (in rank order):
//
//   scatter    0 --[2,3]--> 2 --[3]--> 3      0 --[1]--> 1
//   ring       0 -> 1 -> 2 -> 3 -> 0, 3 steps of one block
#include "collectives/scatter_allgather.hpp"

#include <cstring>
#include <stdexcept>

#include "collectives/exchange.hpp"
#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "topologies/knomial.hpp"
#include "topologies/places.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

class ScatterAllgatherBroadcast final : public Algorithm {
 public:
  explicit ScatterAllgatherBroadcast(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        places_(context_places(ctx)),
        timeout_(ctx.options.timeout),
        exchange_(transport_, "scatter-allgather broadcast") {}

  void run(const CollArgs& args) override {
    const std::size_t es = dtype_size(args.dtype);
    if (args.count == 0) return;
    const int n = transport_.size();
    const int root = args.root;
    if (root != root_) {
      node_ = topo::knomial_node(transport_.rank(), root, n, 2, places_);
      root_ = root;
    }
    const int v = node_.relative;
    auto absolute = [&](long long relative) {
      return places_.rank_at_rooted(topo::wrap(relative, n), root, n);
    };
    // Bytes of the relative blocks [first, first + blocks), as (offset, length).
    auto run_of = [&](long long first, int blocks) {
      const auto a = topo::ring_block(args.count, n, static_cast<int>(first));
      const auto b = topo::ring_block(args.count, n, static_cast<int>(first) + blocks - 1);
      return std::pair{a.offset * es, (b.offset + b.count - a.offset) * es};
    };
    if (node_.parent < 0 && args.send.bytes.data() != args.recv.bytes.data())
      copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), args.count * es);
    settle(args);  // before the root sends from its output
    if (n == 1) return;
    const Tag tag = make_tag(++call_seq_, 0);
    exchange_.begin(timeout_);

    if (node_.parent >= 0) {
      const auto [offset, bytes] = run_of(v, node_.span);
      exchange_.recv(node_.parent, tag, args.recv, offset, bytes);
      exchange_.wait("scatter from parent");
    }
    for (const auto& child : node_.children) {
      const auto [offset, bytes] = run_of(places_.rooted_place_of(child.rank, root, n), child.span);
      exchange_.send(child.rank, tag, args.recv, offset, bytes);
    }
    exchange_.wait("scatter to children");

    const Tag ring_tag = make_tag(call_seq_, 1);
    for (int t = 0; t < n - 1; ++t) {
      const auto [send_offset, send_bytes] = run_of(topo::wrap(v - t, n), 1);
      const auto [recv_offset, recv_bytes] = run_of(topo::wrap(v - t - 1, n), 1);
      exchange_.recv(absolute(v - 1), ring_tag, args.recv, recv_offset, recv_bytes);
      exchange_.send(absolute(v + 1), ring_tag, args.recv, send_offset, send_bytes);
      exchange_.wait("all-gather step", t);
    }
  }

 private:
  Transport& transport_;
  topo::Places places_;  // the tree and the ring in the layout's order
  std::chrono::milliseconds timeout_;
  Exchange exchange_;
  int root_ = -1;
  topo::KnomialNode node_;
  std::uint64_t call_seq_ = 0;
};

}  // namespace

std::unique_ptr<Algorithm> make_scatter_allgather_broadcast(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) {
    throw std::invalid_argument("scatter-allgather broadcast needs a transport");
  }
  return std::make_unique<ScatterAllgatherBroadcast>(ctx);
}

}  // namespace fb
