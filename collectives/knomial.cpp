// k-nomial broadcast and reduce over whole-buffer messages.
//
// Broadcast: a rank receives the buffer from its parent, then sends it to all its children
// at once, largest subtree first. Reduce: a rank receives every child's partial result at
// once into scratch (one buffer per child), folds them into its own input and sends the
// result to its parent; the root folds into its output and finishes it (avg). A larger
// radix makes the tree shallower and the inner ranks busier: k = 2 is the binomial tree.
#include "collectives/knomial.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "collectives/exchange.hpp"
#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"
#include "topologies/knomial.hpp"
#include "topologies/places.hpp"

namespace fb {

namespace {

// The tree for a root, numbered in the layout's order, kept while calls use the same root
// (no allocation per call).
class NodeCache {
 public:
  explicit NodeCache(topo::Places places) : places_(std::move(places)) {}
  const topo::KnomialNode& get(const Transport& t, int root, int radix) {
    if (root != root_) {
      node_ = topo::knomial_node(t.rank(), root, t.size(), radix, places_);
      root_ = root;
    }
    return node_;
  }

 private:
  topo::Places places_;
  int root_ = -1;
  topo::KnomialNode node_;
};

int checked_radix(const AlgorithmOptions& options) {
  if (options.knomial_radix < 2 || options.knomial_radix > 64) {
    throw std::invalid_argument("knomial: radix must be 2..64, got " +
                                std::to_string(options.knomial_radix));
  }
  return options.knomial_radix;
}

class KnomialBroadcast final : public Algorithm {
 public:
  explicit KnomialBroadcast(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        tree_(context_places(ctx)),
        radix_(checked_radix(ctx.options)),
        timeout_(ctx.options.timeout),
        exchange_(transport_, "knomial broadcast") {}

  Parameters parameters() const override { return {{"radix", radix_}}; }

  void run(const CollArgs& args) override {
    const std::size_t bytes = args.count * dtype_size(args.dtype);
    if (bytes == 0) return;
    const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
    const auto& node = tree_.get(transport_, args.root, radix_);
    const Tag tag = make_tag(++call_seq_, 0);
    exchange_.begin(timeout_);
    if (node.parent >= 0) {
      exchange_.recv(node.parent, tag, args.recv, 0, bytes);
      exchange_.wait("from parent");
    }
    const Buffer& source = node.parent < 0 ? args.send : args.recv;
    for (const auto& child : node.children)
      exchange_.send(child.rank, tag, source, 0, bytes);
    if (node.parent < 0 && !in_place)  // the root's own copy, while the sends go out
      copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), bytes);
    exchange_.wait("to children");
    settle(args);
  }

 private:
  Transport& transport_;
  NodeCache tree_;
  int radix_;
  std::chrono::milliseconds timeout_;
  Exchange exchange_;
  std::uint64_t call_seq_ = 0;
};

class KnomialReduce final : public Algorithm {
 public:
  explicit KnomialReduce(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        tree_(context_places(ctx)),
        radix_(checked_radix(ctx.options)),
        timeout_(ctx.options.timeout),
        exchange_(transport_, "knomial reduce"),
        scratch_(transport_) {}

  Parameters parameters() const override { return {{"radix", radix_}}; }

  void run(const CollArgs& args) override {
    const std::size_t bytes = args.count * dtype_size(args.dtype);
    if (bytes == 0) return;
    const int n = transport_.size();
    const ReduceStep reduce(args, n);
    const auto& node = tree_.get(transport_, args.root, radix_);
    const bool is_root = node.parent < 0;
    const std::size_t n_children = node.children.size();
    const Tag tag = make_tag(++call_seq_, 0);
    exchange_.begin(timeout_);
    // Scratch: one buffer per child, then (off the root) the partial result going up.
    const Buffer scratch = scratch_.reserve((n_children + (is_root ? 0 : 1)) * bytes, args);
    for (std::size_t c = 0; c < n_children; ++c)
      exchange_.recv(node.children[c].rank, tag, scratch, c * bytes, bytes);
    exchange_.wait("from children");
    const Buffer& result = is_root ? args.recv : scratch;
    const std::size_t result_offset = is_root ? 0 : n_children * bytes;
    std::byte* dst = result.bytes.data() + result_offset;
    const std::byte* own = args.send.bytes.data();
    if (n_children == 0 && is_root) copy_bytes(args, dst, own, bytes);  // one rank
    for (std::size_t c = 0; c < n_children; ++c)
      reduce.combine(dst, c == 0 ? own : dst, scratch.bytes.data() + c * bytes, args.count);
    if (is_root) reduce.finalize(dst, args.count);
    reduce.sync();  // before the result leaves, or the call returns
    if (is_root) return;
    // A leaf sends its input as it is.
    if (n_children == 0) {
      exchange_.send(node.parent, tag, args.send, 0, bytes);
    } else {
      exchange_.send(node.parent, tag, scratch, result_offset, bytes);
    }
    exchange_.wait("to parent");
  }

 private:
  Transport& transport_;
  NodeCache tree_;
  int radix_;
  std::chrono::milliseconds timeout_;
  Exchange exchange_;
  RegisteredScratch scratch_;
  std::uint64_t call_seq_ = 0;
};

void require_transport(const AlgorithmContext& ctx, const char* what) {
  if (ctx.transport == nullptr)
    throw std::invalid_argument(std::string(what) + " needs a transport");
}

}  // namespace

std::unique_ptr<Algorithm> make_knomial_broadcast(const AlgorithmContext& ctx) {
  require_transport(ctx, "knomial broadcast");
  return std::make_unique<KnomialBroadcast>(ctx);
}

std::unique_ptr<Algorithm> make_knomial_reduce(const AlgorithmContext& ctx) {
  require_transport(ctx, "knomial reduce");
  return std::make_unique<KnomialReduce>(ctx);
}

}  // namespace fb
