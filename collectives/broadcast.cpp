// Pipelined tree broadcast (binomial tree or chain; topologies/tree.hpp has the shapes).
//
// The buffer is cut into C chunks of at most tree_chunk_bytes. Every non-root rank
// receives chunk c from its parent straight into its receive buffer and, as soon as it is
// there, sends it on to each of its children; `slots` chunks are in flight on every link.
// So chunk c+1 crosses the first link while chunk c crosses the second:
//
//   time ->     t0        t1        t2        t3
//   root->1     c0        c1        c2
//   1->2                  c0        c1        c2
//   2->3                            c0        c1   ...
//
// A chain moves the whole buffer over every link once (best for large buffers: time ~
// (C + n - 2) chunk steps); the binomial tree has depth log2(n) but its inner ranks send
// the buffer to up to log2(n) children.
#include "collectives/broadcast.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "topologies/places.hpp"
#include "topologies/tree.hpp"

namespace fb {

namespace {

class PipelinedBroadcast final : public Algorithm {
 public:
  PipelinedBroadcast(const AlgorithmContext& ctx, topo::TreeShape shape)
      : transport_(*ctx.transport),
        places_(context_places(ctx)),
        shape_(shape),
        name_(std::string(to_string(shape)) + " broadcast"),
        pipe_(ctx.options, "broadcast") {}

  Parameters parameters() const override { return pipe_.parameters(); }

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  topo::Places places_;  // the tree is numbered in the layout's order
  topo::TreeShape shape_;
  std::string name_;
  TreePipeline pipe_;
  Stream from_parent_{transport_, "from parent"};
  Stream to_children_{transport_, "to child"};
  std::uint64_t call_seq_ = 0;
};

void PipelinedBroadcast::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t esize = dtype_size(args.dtype);
  const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
  if (args.count == 0) return;
  if (n == 1) {
    copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    settle(args);
    return;
  }
  const auto tree = topo::rooted_tree(shape_, transport_.rank(), args.root, n, places_);
  const bool is_root = tree.parent < 0;
  const Tag tag = make_tag(++call_seq_, 0);
  const auto chunks = Chunking::even(args.count, pipe_.chunk_bytes, esize);
  auto chunk = [&](const Buffer& buffer, std::size_t c) {
    return at(buffer, chunks.offset(c) * esize, chunks.size(c) * esize);
  };

  // The root holds every chunk; the others receive them in place, in order.
  const auto parents = is_root ? std::span<const int>{} : std::span(&tree.parent, 1);
  from_parent_.open(OpKind::recv, parents, tag, pipe_.slots, chunks.count);
  to_children_.open(OpKind::send, tree.children, tag, pipe_.slots, chunks.count);
  // The root forwards from its input, copying each chunk to its output behind the sends.
  const Buffer& source = is_root ? args.send : args.recv;
  Progress loop(transport_, pipe_.timeout, name_);
  loop.run(
      {&from_parent_, &to_children_},
      [&] {
        const bool moved = from_parent_.retire_until(chunks.count);
        return to_children_.retire_until(chunks.count) || moved;
      },
      [&] {
        from_parent_.post_until(chunks.count,
                                [&](std::size_t c, std::size_t) { return chunk(args.recv, c); });
        const std::size_t first_new = to_children_.posted();
        to_children_.post_until(from_parent_.retired(),
                                [&](std::size_t c, std::size_t) { return chunk(source, c); });
        for (std::size_t c = first_new; is_root && !in_place && c < to_children_.posted(); ++c) {
          const std::size_t offset = chunks.offset(c) * esize;
          copy_bytes(args, args.recv.bytes.data() + offset, args.send.bytes.data() + offset,
                     chunks.size(c) * esize);
        }
      });
  settle(args);
}

std::unique_ptr<Algorithm> make_broadcast(const AlgorithmContext& ctx, topo::TreeShape shape) {
  if (ctx.transport == nullptr) {
    throw std::invalid_argument(std::string(to_string(shape)) + " broadcast needs a transport");
  }
  return std::make_unique<PipelinedBroadcast>(ctx, shape);
}

}  // namespace

std::unique_ptr<Algorithm> make_binomial_broadcast(const AlgorithmContext& ctx) {
  return make_broadcast(ctx, topo::TreeShape::binomial);
}

std::unique_ptr<Algorithm> make_chain_broadcast(const AlgorithmContext& ctx) {
  return make_broadcast(ctx, topo::TreeShape::chain);
}

}  // namespace fb
