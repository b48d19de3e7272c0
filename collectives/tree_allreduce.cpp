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

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/reduce_kernels.hpp"
#include "topologies/tree.hpp"

namespace fb {

namespace {

// One tree's share of one call: the chunked up and down streams of this rank.
struct TreeFlow {
  topo::TreeNode node;
  int n_children = 0;
  std::size_t first_elem = 0;  // this tree's half of the buffer
  std::size_t chunk_elems = 0;
  std::size_t chunks = 0;
  std::size_t elems = 0;
  Tag up_tag = 0;
  Tag down_tag = 0;
  // Progress counters; every stream completes in order.
  std::size_t up_posted = 0, up_done = 0;         // receives from children, reductions
  std::size_t up_sent = 0, up_sent_done = 0;      // partial sums to the parent
  std::size_t down_posted = 0, down_done = 0;     // final chunks from the parent
  std::size_t down_sent = 0, down_sent_done = 0;  // final chunks to the children

  std::size_t chunk_offset(std::size_t c) const { return first_elem + c * chunk_elems; }
  std::size_t chunk_len(std::size_t c) const {
    return std::min(chunk_elems, elems - c * chunk_elems);
  }
  std::size_t final_ready() const { return node.parent >= 0 ? down_done : up_done; }
  bool finished() const {
    return up_done == chunks && down_sent_done == chunks &&
           (node.parent < 0 || (up_sent_done == chunks && down_done == chunks));
  }
};

class TreeAllreduce final : public Algorithm {
 public:
  explicit TreeAllreduce(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        chunk_bytes_(ctx.options.tree_chunk_bytes),
        slots_(static_cast<std::size_t>(ctx.options.tree_slots)),
        timeout_(ctx.options.timeout),
        scratch_(std::size_t{2} * 2 * slots_ * chunk_bytes_),  // [tree][child][slot]
        scratch_region_(transport_.register_memory(scratch_.span())) {
    if (slots_ < 1) throw std::invalid_argument("tree: at least 1 chunk must be in flight");
    if (chunk_bytes_ < 64) throw std::invalid_argument("tree: chunk size must be >= 64 bytes");
    for (auto& per_tree : reqs_) {
      for (auto& stream : per_tree)
        stream.resize(slots_);
    }
  }

  Parameters parameters() const override {
    return {{"chunk_bytes", static_cast<std::int64_t>(chunk_bytes_)},
            {"slots", static_cast<std::int64_t>(slots_)}};
  }

  void run(const CollArgs& args) override;

 private:
  // Request rings per tree: child 0 / child 1 receives, up send, down receive, down sends.
  enum Stream { kChild0, kChild1, kUpSend, kDownRecv, kDownSend0, kDownSend1, kStreams };

  std::size_t scratch_offset(int tree, int child, std::size_t slot) const {
    return ((static_cast<std::size_t>(tree) * 2 + static_cast<std::size_t>(child)) * slots_ +
            slot) *
           chunk_bytes_;
  }
  bool step(int tree, TreeFlow& f, const CollArgs& args, const ReduceKernels& kernels, int n_ranks);
  [[noreturn]] void timeout(int tree, TreeFlow& f);

  Transport& transport_;
  std::size_t chunk_bytes_;
  std::size_t slots_;
  std::chrono::milliseconds timeout_;
  AlignedBuffer scratch_;
  std::unique_ptr<MemoryRegion> scratch_region_;
  std::array<std::array<std::vector<Request>, kStreams>, 2> reqs_;
  std::uint64_t call_seq_ = 0;
};

void TreeAllreduce::run(const CollArgs& args) {
  const int n = transport_.size();
  const std::size_t esize = dtype_size(args.dtype);
  if (args.count == 0) return;
  if (n == 1) {
    if (args.send.bytes.data() != args.recv.bytes.data()) {
      std::memcpy(args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    }
    return;
  }
  const auto kernels = reduce_kernels(args.dtype, args.op);
  ++call_seq_;
  const std::size_t cap = std::max<std::size_t>(1, chunk_bytes_ / esize);
  std::array<TreeFlow, 2> flows{};
  const std::size_t half = (args.count + 1) / 2;
  for (int t = 0; t < 2; ++t) {
    auto& f = flows[static_cast<std::size_t>(t)];
    f.node = topo::double_tree_node(t, transport_.rank(), n);
    f.n_children = f.node.n_children();
    f.first_elem = t == 0 ? 0 : half;
    f.elems = t == 0 ? half : args.count - half;
    f.chunks = f.elems == 0 ? 0 : (f.elems + cap - 1) / cap;
    f.chunk_elems = f.chunks == 0 ? 0 : (f.elems + f.chunks - 1) / f.chunks;
    f.up_tag = make_tag(call_seq_, static_cast<std::uint32_t>(2 * t));
    f.down_tag = make_tag(call_seq_, static_cast<std::uint32_t>(2 * t + 1));
    if (f.n_children == 0) f.up_done = f.up_posted = f.chunks;  // a leaf's input is its sum
  }

  const Deadline deadline = Clock::now() + timeout_;
  unsigned polls = 0;
  while (!flows[0].finished() || !flows[1].finished()) {
    transport_.progress();
    bool advanced = false;
    for (int t = 0; t < 2; ++t)
      advanced |= step(t, flows[static_cast<std::size_t>(t)], args, kernels, n);
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      timeout(flows[0].finished() ? 1 : 0, flows[flows[0].finished() ? 1 : 0]);
    }
  }
}

bool TreeAllreduce::step(int tree, TreeFlow& f, const CollArgs& args, const ReduceKernels& kernels,
                         int n_ranks) {
  if (f.finished()) return false;
  auto& rq = reqs_[static_cast<std::size_t>(tree)];
  const std::size_t k = slots_;
  const std::size_t esize = dtype_size(args.dtype);
  bool advanced = false;

  // Up: receive children's partial sums into scratch, fold them into our input.
  while (f.up_posted < f.chunks && f.up_posted - f.up_done < k) {
    const std::size_t c = f.up_posted;
    for (int ch = 0; ch < f.n_children; ++ch) {
      rq[kChild0 + ch][c % k] = transport_.irecv(
          f.node.children[static_cast<std::size_t>(ch)], f.up_tag, *scratch_region_,
          scratch_offset(tree, ch, c % k), f.chunk_len(c) * esize);
    }
    ++f.up_posted;
  }
  if (f.up_done < f.up_posted) {
    const std::size_t c = f.up_done;
    bool ready = true;
    for (int ch = 0; ch < f.n_children && ready; ++ch)
      ready = transport_.test(rq[kChild0 + ch][c % k]);
    if (ready) {
      const std::size_t off = f.chunk_offset(c) * esize;
      std::byte* dst = args.recv.bytes.data() + off;
      const std::byte* own = args.send.bytes.data() + off;
      const std::byte* s0 = scratch_.data() + scratch_offset(tree, 0, c % k);
      if (f.n_children == 2) {
        kernels.combine3(dst, own, s0, scratch_.data() + scratch_offset(tree, 1, c % k),
                         f.chunk_len(c));
      } else {
        kernels.combine(dst, own, s0, f.chunk_len(c));
      }
      // The root holds the complete reduction of this chunk: finish it (avg) once, here.
      if (f.node.parent < 0 && kernels.finalize != nullptr) {
        kernels.finalize(dst, f.chunk_len(c), n_ranks);
      }
      ++f.up_done;
      advanced = true;
    }
  }

  if (f.node.parent >= 0) {
    // Partial sums to the parent: a leaf sends its input, an inner node its reduced chunk.
    const Buffer& up_src = f.n_children == 0 ? args.send : args.recv;
    while (f.up_sent < f.up_done && f.up_sent - f.up_sent_done < k) {
      const std::size_t c = f.up_sent;
      rq[kUpSend][c % k] =
          transport_.isend(f.node.parent, f.up_tag, *up_src.region,
                           up_src.region_offset(f.chunk_offset(c) * esize), f.chunk_len(c) * esize);
      ++f.up_sent;
    }
    while (f.up_sent_done < f.up_sent && transport_.test(rq[kUpSend][f.up_sent_done % k])) {
      ++f.up_sent_done;
      advanced = true;
    }
    // Final chunks from the parent land in place, once our partial sum there has left.
    while (f.down_posted < f.up_sent_done && f.down_posted - f.down_done < k) {
      const std::size_t c = f.down_posted;
      rq[kDownRecv][c % k] = transport_.irecv(f.node.parent, f.down_tag, *args.recv.region,
                                              args.recv.region_offset(f.chunk_offset(c) * esize),
                                              f.chunk_len(c) * esize);
      ++f.down_posted;
    }
    while (f.down_done < f.down_posted && transport_.test(rq[kDownRecv][f.down_done % k])) {
      ++f.down_done;
      advanced = true;
    }
  }

  // Down: forward final chunks to the children.
  while (f.down_sent < f.final_ready() && f.down_sent - f.down_sent_done < k) {
    const std::size_t c = f.down_sent;
    for (int ch = 0; ch < f.n_children; ++ch) {
      rq[kDownSend0 + ch][c % k] = transport_.isend(
          f.node.children[static_cast<std::size_t>(ch)], f.down_tag, *args.recv.region,
          args.recv.region_offset(f.chunk_offset(c) * esize), f.chunk_len(c) * esize);
    }
    ++f.down_sent;
  }
  while (f.down_sent_done < f.down_sent) {
    const std::size_t c = f.down_sent_done;
    bool done = true;
    for (int ch = 0; ch < f.n_children && done; ++ch)
      done = transport_.test(rq[kDownSend0 + ch][c % k]);
    if (!done) break;
    ++f.down_sent_done;
    advanced = true;
  }
  return advanced;
}

void TreeAllreduce::timeout(int tree, TreeFlow& f) {
  auto& rq = reqs_[static_cast<std::size_t>(tree)];
  const std::size_t k = slots_;
  const std::string during = "tree allreduce (tree " + std::to_string(tree) + ")";
  for (int ch = 0; ch < f.n_children; ++ch) {
    if (f.up_done < f.up_posted && !rq[kChild0 + ch][f.up_done % k].done) {
      transport_.throw_timeout(rq[kChild0 + ch][f.up_done % k], during + " reduce from child");
    }
  }
  if (f.up_sent_done < f.up_sent) {
    transport_.throw_timeout(rq[kUpSend][f.up_sent_done % k], during + " send to parent");
  }
  if (f.down_done < f.down_posted) {
    transport_.throw_timeout(rq[kDownRecv][f.down_done % k], during + " broadcast from parent");
  }
  for (int ch = 0; ch < f.n_children; ++ch) {
    auto& req = rq[kDownSend0 + ch][f.down_sent_done % k];
    if (!req.done) transport_.throw_timeout(req, during + " broadcast to child");
  }
  throw std::logic_error("tree allreduce: stalled with nothing outstanding (" + during + ")");
}

}  // namespace

std::unique_ptr<Algorithm> make_tree_allreduce(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("tree allreduce needs a transport");
  return std::make_unique<TreeAllreduce>(ctx);
}

}  // namespace fb
