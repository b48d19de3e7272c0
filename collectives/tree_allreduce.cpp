// Double binary tree all-reduce (topologies/tree.hpp builds the trees).
//
// The buffer is split in two halves, one per tree. In each tree the data flows in chunks:
// up (every node adds its children's partial sums to its own input and passes the result
// to its parent) and, once the root holds the total, down (every node forwards the final
// chunk to its children). Chunks are pipelined: chunk c goes down while chunk c+1 is
// still going up, and `slots` chunks are in flight on each link.
//
//        up: partial sums               down: final result
//              root                          root
//             ^    ^                        |    |
//          inner   inner                    v    v
//          ^  ^    ^  ^                  inner   inner
//        leaf leaf leaf leaf             |  |    |  |
//                                        v  v    v  v
#include "collectives/tree_allreduce.hpp"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"
#include "topologies/places.hpp"
#include "topologies/tree.hpp"

namespace fb {

namespace {

// One tree's share of one call: its half of the buffer and this rank's four streams.
struct TreeFlow {
  TreeFlow(Transport& transport, int tree)
      : up_in(transport, tree == 0 ? "from child (tree 0)" : "from child (tree 1)"),
        up_out(transport, tree == 0 ? "to parent (tree 0)" : "to parent (tree 1)"),
        down_in(transport, tree == 0 ? "from parent (tree 0)" : "from parent (tree 1)"),
        down_out(transport, tree == 0 ? "to child (tree 0)" : "to child (tree 1)") {}
  topo::TreeNode node;
  std::size_t first_elem = 0;  // this tree's half of the buffer
  std::size_t esize = 0;       // bytes per element
  Chunking chunks;
  Stream up_in;     // partial sums from the children
  Stream up_out;    // our partial sum to the parent
  Stream down_in;   // the result from the parent
  Stream down_out;  // the result to the children
};

class TreeAllreduce final : public Algorithm {
 public:
  explicit TreeAllreduce(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        places_(context_places(ctx)),
        pipe_(ctx.options, "tree"),
        scratch_(transport_, std::size_t{2} * 2 * pipe_.slots * pipe_.chunk_bytes) {}

  Parameters parameters() const override { return pipe_.parameters(); }

  void run(const CollArgs& args) override;

 private:
  // Offset in scratch of [tree][child][slot].
  std::size_t scratch_offset(std::size_t tree, std::size_t child, std::size_t chunk) const {
    return ((tree * 2 + child) * pipe_.slots + chunk % pipe_.slots) * pipe_.chunk_bytes;
  }
  // One poll of tree `tree`'s four streams: retire (one arrived chunk reduced per poll), then
  // post what that unblocked.
  bool retire(std::size_t tree, const CollArgs& args, const ReduceStep& reduce);
  void post(std::size_t tree, const CollArgs& args);

  Transport& transport_;
  topo::Places places_;  // the trees are numbered in the layout's order
  TreePipeline pipe_;
  RegisteredScratch scratch_;
  std::array<TreeFlow, 2> flows_{TreeFlow{transport_, 0}, TreeFlow{transport_, 1}};
  std::uint64_t call_seq_ = 0;
};

void TreeAllreduce::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t esize = dtype_size(args.dtype);
  if (args.count == 0) return;
  if (n == 1) {
    copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    settle(args);
    return;
  }
  const ReduceStep reduce(args, n);
  scratch_.reserve(std::size_t{2} * 2 * pipe_.slots * pipe_.chunk_bytes, args);
  ++call_seq_;
  const std::size_t half = (args.count + 1) / 2;
  for (std::size_t t = 0; t < 2; ++t) {
    TreeFlow& f = flows_[t];
    f.node = topo::double_tree_node(static_cast<int>(t), transport_.rank(), n, places_);
    f.first_elem = t == 0 ? 0 : half;
    f.esize = esize;
    f.chunks = Chunking::even(t == 0 ? half : args.count - half, pipe_.chunk_bytes, esize);
    const std::span children(f.node.children.data(), static_cast<std::size_t>(f.node.n_children()));
    const std::span parent(&f.node.parent, f.node.parent < 0 ? 0 : 1);
    const std::size_t c = f.chunks.count;
    const Tag up = make_tag(call_seq_, static_cast<std::uint32_t>(2 * t));
    const Tag down = make_tag(call_seq_, static_cast<std::uint32_t>(2 * t + 1));
    f.up_in.open(OpKind::recv, children, up, pipe_.slots, c);
    f.up_out.open(OpKind::send, parent, up, pipe_.slots, parent.empty() ? 0 : c);
    f.down_in.open(OpKind::recv, parent, down, pipe_.slots, parent.empty() ? 0 : c);
    f.down_out.open(OpKind::send, children, down, pipe_.slots, children.empty() ? 0 : c);
  }
  auto& [t0, t1] = flows_;
  Progress loop(transport_, pipe_.timeout, "tree allreduce");
  loop.run(
      {&t0.up_in, &t0.up_out, &t0.down_in, &t0.down_out, &t1.up_in, &t1.up_out, &t1.down_in,
       &t1.down_out},
      [&] {
        const bool moved = retire(0, args, reduce);
        return retire(1, args, reduce) || moved;
      },
      [&] {
        post(0, args);
        post(1, args);
      });
}

// Up: fold the children's partial sums into our input and pass the result up. Down: the
// result comes from the parent (in place, once our partial sum there has left) and goes on
// to the children.
bool TreeAllreduce::retire(std::size_t tree, const CollArgs& args, const ReduceStep& reduce) {
  TreeFlow& f = flows_[tree];
  const std::size_t esize = f.esize;
  const std::size_t count = f.chunks.count;
  if (f.down_out.finished() && f.down_in.finished() && f.up_in.finished() && f.up_out.finished())
    return false;
  const bool leaf = f.node.is_leaf();
  const bool root = f.node.parent < 0;
  bool moved = f.up_in.retire_next(count, [&](std::size_t c) {
    if (leaf) return;  // a leaf's input is its partial sum
    const std::size_t off = (f.first_elem + f.chunks.offset(c)) * esize;
    std::byte* dst = args.recv.bytes.data() + off;
    const std::byte* own = args.send.bytes.data() + off;
    const std::byte* s0 = scratch_.data() + scratch_offset(tree, 0, c);
    if (f.node.n_children() == 2) {
      reduce.combine3(dst, own, s0, scratch_.data() + scratch_offset(tree, 1, c), f.chunks.size(c));
    } else {
      reduce.combine(dst, own, s0, f.chunks.size(c));
    }
    if (root) reduce.finalize(dst, f.chunks.size(c));  // complete here: finish it (avg) once
    reduce.sync();
  });
  moved |= f.up_out.retire_until(count);
  moved |= f.down_in.retire_until(count);
  moved |= f.down_out.retire_until(count);
  return moved;
}

void TreeAllreduce::post(std::size_t tree, const CollArgs& args) {
  TreeFlow& f = flows_[tree];
  const std::size_t esize = f.esize;
  const bool leaf = f.node.is_leaf();
  const bool root = f.node.parent < 0;
  auto chunk = [&](const Buffer& buffer, std::size_t c) {
    return at(buffer, (f.first_elem + f.chunks.offset(c)) * esize, f.chunks.size(c) * esize);
  };
  f.up_in.post_until(f.chunks.count, [&](std::size_t c, std::size_t ch) {
    return Place{&scratch_.region(), scratch_offset(tree, ch, c), f.chunks.size(c) * esize};
  });
  f.up_out.post_until(f.up_in.retired(), [&](std::size_t c, std::size_t) {
    return chunk(leaf ? args.send : args.recv, c);
  });
  f.down_in.post_until(f.up_out.retired(),
                       [&](std::size_t c, std::size_t) { return chunk(args.recv, c); });
  f.down_out.post_until(root ? f.up_in.retired() : f.down_in.retired(),
                        [&](std::size_t c, std::size_t) { return chunk(args.recv, c); });
}

}  // namespace

std::unique_ptr<Algorithm> make_tree_allreduce(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("tree allreduce needs a transport");
  return std::make_unique<TreeAllreduce>(ctx);
}

}  // namespace fb
