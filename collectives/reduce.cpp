// Pipelined tree reduce (binomial tree or chain, rooted at args.root).
//
// The buffer is cut into C chunks of at most tree_chunk_bytes. For every chunk, each rank
// receives its children's partial results into scratch, folds them into its own input and
// sends the result to its parent; a leaf sends its input as it is. The root folds into its
// receive buffer and applies finalize (avg) there, once per element. `slots` chunks are in
// flight on every link, so chunk c climbs the upper links while chunk c+1 leaves the leaves:
//
//   binomial, n = 4 (relative ranks)       chain, n = 4
//
//        0 <-- 2 <-- 3                       0 <-- 1 <-- 2 <-- 3
//        ^
//        |
//        1
//
// Scratch per rank, cached and grown on demand (never shrunk): one chunk per child and
// slot for the incoming partial results, plus, on non-root inner ranks, one accumulator per
// slot (the partial result that is waiting to leave). At most
// (children + 1) * tree_slots * tree_chunk_bytes: a binomial root has ceil(log2 n)
// children, a chain rank at most one.
#include "collectives/reduce.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/layout.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"
#include "topologies/places.hpp"
#include "topologies/tree.hpp"

namespace fb {

namespace {

class PipelinedReduce final : public Algorithm {
 public:
  PipelinedReduce(const AlgorithmContext& ctx, topo::TreeShape shape)
      : transport_(*ctx.transport),
        places_(context_places(ctx)),
        shape_(shape),
        name_(std::string(to_string(shape)) + " reduce"),
        pipe_(ctx.options, "reduce") {}

  Parameters parameters() const override { return pipe_.parameters(); }

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  topo::Places places_;  // the tree is numbered in the layout's order
  topo::TreeShape shape_;
  std::string name_;
  TreePipeline pipe_;
  RegisteredScratch scratch_{transport_};
  Stream from_children_{transport_, "from child"};
  Stream to_parent_{transport_, "to parent"};
  std::vector<const std::byte*> inputs_;
  std::uint64_t call_seq_ = 0;
};

// dst = own op in[0] op in[1] ..., two inputs per pass where there are two.
void fold(const ReduceStep& reduce, std::byte* dst, const std::byte* own,
          const std::vector<const std::byte*>& in, std::size_t elems) {
  std::size_t i = 0;
  const std::byte* first = own;
  if (in.size() >= 2) {
    reduce.combine3(dst, own, in[0], in[1], elems);
    i = 2;
    first = dst;
  }
  for (; i + 1 < in.size(); i += 2)
    reduce.combine3(dst, dst, in[i], in[i + 1], elems);
  if (i < in.size()) reduce.combine(dst, first, in[i], elems);
}

void PipelinedReduce::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t esize = dtype_size(args.dtype);
  if (args.count == 0) return;
  const ReduceStep reduce(args, n);
  if (n == 1) {
    copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    reduce.finalize(args.recv.bytes.data(), args.count);
    reduce.sync();
    return;
  }
  const auto tree = topo::rooted_tree(shape_, transport_.rank(), args.root, n, places_);
  const std::size_t n_children = tree.children.size();
  const bool is_root = tree.parent < 0;
  const auto chunks = Chunking::even(args.count, pipe_.chunk_bytes, esize);
  const std::size_t k = pipe_.slots;
  const std::size_t slot_bytes = chunks.chunk_elems * esize;
  // Scratch: [child][slot] incoming chunks, then [slot] accumulators (non-root inner ranks):
  // the partial result of chunk c waits in accumulator c % k until it has left.
  const bool leaf = n_children == 0;
  scratch_.reserve((n_children + (is_root || leaf ? 0 : 1)) * k * slot_bytes, args);
  auto in_slot = [&](std::size_t c, std::size_t ch) { return (ch * k + c % k) * slot_bytes; };
  auto acc_slot = [&](std::size_t c) { return (n_children * k + c % k) * slot_bytes; };
  inputs_.resize(n_children);

  const Tag tag = make_tag(++call_seq_, 0);
  from_children_.open(OpKind::recv, tree.children, tag, k, chunks.count);
  to_parent_.open(OpKind::send, is_root ? std::span<const int>{} : std::span(&tree.parent, 1), tag,
                  k, is_root ? 0 : chunks.count);
  Progress loop(transport_, pipe_.timeout, name_);
  loop.run(
      {&from_children_, &to_parent_},
      [&] {
        // Fold chunk c once every child's part is in and its accumulator's last chunk has left.
        const std::size_t fold_limit = is_root || leaf ? chunks.count : to_parent_.retired() + k;
        const bool moved = from_children_.retire_next(fold_limit, [&](std::size_t c) {
          if (leaf) return;  // a leaf's partial result is its input
          for (std::size_t ch = 0; ch < n_children; ++ch)
            inputs_[ch] = scratch_.data() + in_slot(c, ch);
          std::byte* dst = is_root ? args.recv.bytes.data() + chunks.offset(c) * esize
                                   : scratch_.data() + acc_slot(c);
          fold(reduce, dst, args.send.bytes.data() + chunks.offset(c) * esize, inputs_,
               chunks.size(c));
          if (is_root) reduce.finalize(dst, chunks.size(c));  // complete here: finish it once
          reduce.sync();
        });
        return to_parent_.retire_until(chunks.count) || moved;
      },
      [&] {
        from_children_.post_until(chunks.count, [&](std::size_t c, std::size_t ch) {
          return Place{&scratch_.region(), in_slot(c, ch), chunks.size(c) * esize};
        });
        to_parent_.post_until(from_children_.retired(), [&](std::size_t c, std::size_t) {
          if (leaf) return at(args.send, chunks.offset(c) * esize, chunks.size(c) * esize);
          return Place{&scratch_.region(), acc_slot(c), chunks.size(c) * esize};
        });
      });
}

std::unique_ptr<Algorithm> make_reduce(const AlgorithmContext& ctx, topo::TreeShape shape) {
  if (ctx.transport == nullptr) {
    throw std::invalid_argument(std::string(to_string(shape)) + " reduce needs a transport");
  }
  return std::make_unique<PipelinedReduce>(ctx, shape);
}

}  // namespace

std::unique_ptr<Algorithm> make_binomial_reduce(const AlgorithmContext& ctx) {
  return make_reduce(ctx, topo::TreeShape::binomial);
}

std::unique_ptr<Algorithm> make_chain_reduce(const AlgorithmContext& ctx) {
  return make_reduce(ctx, topo::TreeShape::chain);
}

}  // namespace fb
