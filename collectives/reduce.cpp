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

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/broadcast.hpp"
#include "collectives/reduce_kernels.hpp"

namespace fb {

namespace {

class PipelinedReduce final : public Algorithm {
 public:
  PipelinedReduce(const AlgorithmContext& ctx, TreeShape shape)
      : transport_(*ctx.transport), shape_(shape), pipe_(ctx.options, "reduce") {}

  Parameters parameters() const override { return pipe_.parameters(); }

  void run(const CollArgs& args) override;

 private:
  void reserve_scratch(std::size_t bytes);
  [[noreturn]] void timeout(std::size_t folded, std::size_t chunks, std::size_t send_done,
                            std::size_t n_children);

  Transport& transport_;
  TreeShape shape_;
  TreePipeline pipe_;
  AlignedBuffer scratch_;
  std::unique_ptr<MemoryRegion> scratch_region_;
  std::vector<Request> recv_reqs_;  // [child * slots + slot]: partial results from children
  std::vector<Request> send_reqs_;  // [slot]: our partial result to the parent
  std::vector<const std::byte*> inputs_;
  std::uint64_t call_seq_ = 0;
};

void PipelinedReduce::reserve_scratch(std::size_t bytes) {
  if (scratch_.size() >= bytes) return;
  scratch_region_.reset();  // deregister before the memory goes
  scratch_ = AlignedBuffer(bytes);
  scratch_region_ = transport_.register_memory(scratch_.span());
}

// dst = own op in[0] op in[1] ..., two inputs per pass where there are two.
void fold(const ReduceKernels& kernels, std::byte* dst, const std::byte* own,
          const std::vector<const std::byte*>& in, std::size_t elems) {
  std::size_t i = 0;
  const std::byte* first = own;
  if (in.size() >= 2) {
    kernels.combine3(dst, own, in[0], in[1], elems);
    i = 2;
    first = dst;
  }
  for (; i + 1 < in.size(); i += 2)
    kernels.combine3(dst, dst, in[i], in[i + 1], elems);
  if (i < in.size()) kernels.combine(dst, first, in[i], elems);
}

void PipelinedReduce::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t esize = dtype_size(args.dtype);
  const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
  if (args.count == 0) return;
  const auto kernels = reduce_kernels(args.dtype, args.op);
  if (n == 1) {
    if (!in_place) std::memcpy(args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    if (kernels.finalize != nullptr) kernels.finalize(args.recv.bytes.data(), args.count, n);
    return;
  }
  const RootedTree tree = rooted_tree(shape_, r, args.root, n);
  const std::size_t n_children = tree.children.size();
  const bool is_root = tree.parent < 0;
  const Tag tag = make_tag(++call_seq_, 0);

  const std::size_t cap = std::max<std::size_t>(1, pipe_.chunk_bytes / esize);
  const std::size_t chunks = (args.count + cap - 1) / cap;
  const std::size_t chunk_elems = (args.count + chunks - 1) / chunks;
  const std::size_t slot_bytes = chunk_elems * esize;
  const std::size_t k = pipe_.slots;
  auto offset = [&](std::size_t c) { return c * chunk_elems * esize; };
  auto elems = [&](std::size_t c) { return std::min(chunk_elems, args.count - c * chunk_elems); };

  // Scratch: [child][slot] incoming chunks, then [slot] accumulators (non-root inner ranks).
  const bool has_acc = !is_root && n_children > 0;
  auto in_offset = [&](std::size_t ch, std::size_t slot) { return (ch * k + slot) * slot_bytes; };
  auto acc_offset = [&](std::size_t slot) { return (n_children * k + slot) * slot_bytes; };
  reserve_scratch((n_children + (has_acc ? 1 : 0)) * k * slot_bytes);
  recv_reqs_.assign(n_children * k, Request{});
  send_reqs_.assign(k, Request{});
  inputs_.resize(n_children);

  // Counters, each stream in chunk order. A leaf's partial result is its input: all folded.
  std::size_t recv_posted = 0;                        // chunks requested from every child
  std::size_t folded = n_children == 0 ? chunks : 0;  // chunks whose partial result is ready
  std::size_t sent = 0, send_done = 0;                // chunks to the parent
  const std::size_t send_total = is_root ? 0 : chunks;
  // A leaf sends straight from its input, an inner rank from its accumulators.
  const MemoryRegion* up_region = n_children == 0 ? args.send.region : scratch_region_.get();

  const Deadline deadline = Clock::now() + pipe_.timeout;
  unsigned polls = 0;
  while (folded < chunks || send_done < send_total) {
    // An incoming slot is free once the chunk that used it has been folded.
    while (n_children > 0 && recv_posted < chunks && recv_posted < folded + k) {
      const std::size_t c = recv_posted;
      for (std::size_t ch = 0; ch < n_children; ++ch) {
        recv_reqs_[ch * k + c % k] = transport_.irecv(tree.children[ch], tag, *scratch_region_,
                                                      in_offset(ch, c % k), elems(c) * esize);
      }
      ++recv_posted;
    }
    while (sent < std::min(folded, send_total) && sent - send_done < k) {
      const std::size_t c = sent;
      const std::size_t off =
          n_children == 0 ? args.send.region_offset(offset(c)) : acc_offset(c % k);
      send_reqs_[c % k] = transport_.isend(tree.parent, tag, *up_region, off, elems(c) * esize);
      ++sent;
    }
    transport_.progress();
    bool advanced = false;
    // Fold the oldest chunk once every child's part is in and (off the root) its
    // accumulator's previous chunk has left.
    while (folded < recv_posted && (is_root || folded < send_done + k)) {
      const std::size_t c = folded;
      bool ready = true;
      for (std::size_t ch = 0; ch < n_children && ready; ++ch)
        ready = transport_.test(recv_reqs_[ch * k + c % k]);
      if (!ready) break;
      for (std::size_t ch = 0; ch < n_children; ++ch)
        inputs_[ch] = scratch_.data() + in_offset(ch, c % k);
      std::byte* dst =
          is_root ? args.recv.bytes.data() + offset(c) : scratch_.data() + acc_offset(c % k);
      fold(kernels, dst, args.send.bytes.data() + offset(c), inputs_, elems(c));
      // The root holds the complete reduction of this chunk: finish it (avg) once, here.
      if (is_root && kernels.finalize != nullptr) kernels.finalize(dst, elems(c), n);
      ++folded;
      advanced = true;
    }
    while (send_done < sent && transport_.test(send_reqs_[send_done % k])) {
      ++send_done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      timeout(folded, chunks, send_done, n_children);
    }
  }
}

void PipelinedReduce::timeout(std::size_t folded, std::size_t chunks, std::size_t send_done,
                              std::size_t n_children) {
  const std::size_t k = pipe_.slots;
  if (folded < chunks) {
    for (std::size_t ch = 0; ch < n_children; ++ch) {
      const Request& req = recv_reqs_[ch * k + folded % k];
      if (!req.done) {
        transport_.throw_timeout(req,
                                 chunk_context(shape_, "reduce", folded, chunks, "from child"));
      }
    }
  }
  const Request& up = send_reqs_[send_done % k];
  if (!up.done) {
    transport_.throw_timeout(up, chunk_context(shape_, "reduce", send_done, chunks, "to parent"));
  }
  throw std::logic_error("reduce pipeline stalled with nothing outstanding");
}

std::unique_ptr<Algorithm> make_reduce(const AlgorithmContext& ctx, TreeShape shape) {
  if (ctx.transport == nullptr) {
    throw std::invalid_argument(std::string(to_string(shape)) + " reduce needs a transport");
  }
  return std::make_unique<PipelinedReduce>(ctx, shape);
}

}  // namespace

std::unique_ptr<Algorithm> make_binomial_reduce(const AlgorithmContext& ctx) {
  return make_reduce(ctx, TreeShape::binomial);
}

std::unique_ptr<Algorithm> make_chain_reduce(const AlgorithmContext& ctx) {
  return make_reduce(ctx, TreeShape::chain);
}

}  // namespace fb
