// Recursive doubling all-reduce and all-gather (the pattern: topologies/doubling.hpp).
//
// All-reduce: a folded-out rank sends its input to its partner and receives the result
// (both posted at once); every participant adds its partner's vector after each step, so
// after log2(p) steps it holds the full reduction, finishes it (avg) and hands it back to
// the rank folded into it. On 2 ranks a call is one send and one receive, posted together,
// and one reduction: no barrier, no registration, no allocation once the scratch has grown.
//
// All-gather: the fold hands the even rank's block to its partner; at step s a participant
// swaps the blocks of its group of 2^s participants (one run of real ranks) for its
// partner's group's run, in place in the output; the hand-back sends the whole output.
#include "collectives/recursive_doubling.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "collectives/exchange.hpp"
#include "collectives/pipeline.hpp"
#include "collectives/scratch.hpp"
#include "topologies/doubling.hpp"

namespace fb {

namespace {

constexpr std::uint32_t kUnfoldChannel = 255;

class RecursiveDoublingAllreduce final : public Algorithm {
 public:
  explicit RecursiveDoublingAllreduce(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        timeout_(ctx.options.timeout),
        fold_(topo::doubling_fold(transport_.rank(), transport_.size())),
        exchange_(transport_, "recursive-doubling allreduce"),
        scratch_(transport_) {}

  void run(const CollArgs& args) override {
    const std::size_t bytes = args.count * dtype_size(args.dtype);
    if (bytes == 0) return;
    const int n = transport_.size();
    if (n == 1) {
      copy_bytes(args, args.recv.bytes.data(), args.send.bytes.data(), bytes);
      settle(args);
      return;
    }
    const ReduceStep reduce(args, n);
    const std::uint64_t call = ++call_seq_;
    exchange_.begin(timeout_);
    if (fold_.folded_out()) {  // give the input, take the result
      exchange_.recv(fold_.fold_partner, make_tag(call, kUnfoldChannel), args.recv, 0, bytes);
      exchange_.send(fold_.fold_partner, make_tag(call, 0), args.send, 0, bytes);
      exchange_.wait("folded out: input to partner, result back");
      return;
    }
    const Buffer incoming = scratch_.reserve(bytes, args);
    std::byte* out = args.recv.bytes.data();
    const Buffer* current = &args.send;  // what this rank holds so far
    auto add_incoming = [&] {
      reduce.combine(out, current->bytes.data(), incoming.bytes.data(), args.count);
      reduce.sync();  // before the sum is sent and `incoming` takes the next message
      current = &args.recv;
    };
    if (fold_.fold_partner >= 0) {
      exchange_.recv(fold_.fold_partner, make_tag(call, 0), incoming, 0, bytes);
      exchange_.wait("fold-in");
      add_incoming();
    }
    for (int s = 0; s < fold_.steps; ++s) {
      const int peer = topo::doubling_real_rank(topo::doubling_partner(fold_.participant, s), n);
      const Tag tag = make_tag(call, static_cast<std::uint32_t>(s + 1));
      exchange_.recv(peer, tag, incoming, 0, bytes);
      exchange_.send(peer, tag, *current, 0, bytes);
      exchange_.wait("step", s);
      add_incoming();
    }
    reduce.finalize(out, args.count);
    reduce.sync();
    if (fold_.fold_partner >= 0) {
      exchange_.send(fold_.fold_partner, make_tag(call, kUnfoldChannel), args.recv, 0, bytes);
      exchange_.wait("result to the folded-out partner");
    }
  }

 private:
  Transport& transport_;
  std::chrono::milliseconds timeout_;
  topo::DoublingFold fold_;
  Exchange exchange_;
  RegisteredScratch scratch_;
  std::uint64_t call_seq_ = 0;
};

class RecursiveDoublingAllgather final : public Algorithm {
 public:
  explicit RecursiveDoublingAllgather(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        timeout_(ctx.options.timeout),
        fold_(topo::doubling_fold(transport_.rank(), transport_.size())),
        exchange_(transport_, "recursive-doubling allgather") {}

  void run(const CollArgs& args) override {
    const int n = transport_.size();
    const int r = transport_.rank();
    const auto counts = buffer_counts(Collective::allgather, args.count, n);
    const std::size_t block = counts.block * dtype_size(args.dtype);
    if (block == 0) return;
    auto at = [&](int real_rank) { return static_cast<std::size_t>(real_rank) * block; };
    std::byte* own = args.recv.bytes.data() + at(r);
    copy_bytes(args, own, args.send.bytes.data(), block);
    settle(args);  // before the block is sent
    if (n == 1) return;
    const std::uint64_t call = ++call_seq_;
    exchange_.begin(timeout_);
    const std::size_t all = at(n);
    if (fold_.folded_out()) {
      exchange_.send(fold_.fold_partner, make_tag(call, 0), args.recv, at(r), block);
      exchange_.recv(fold_.fold_partner, make_tag(call, kUnfoldChannel), args.recv, 0, all);
      exchange_.wait("folded out: block to partner, result back");
      return;
    }
    if (fold_.fold_partner >= 0) {
      exchange_.recv(fold_.fold_partner, make_tag(call, 0), args.recv, at(fold_.fold_partner),
                     block);
      exchange_.wait("fold-in");
    }
    // The real ranks participants [lo, hi) stand for, as a byte range of the output.
    auto run_of = [&](topo::ParticipantRange g) {
      const std::size_t first = at(topo::doubling_first_rank(g.lo, n));
      return std::pair{first, at(topo::doubling_first_rank(g.hi, n)) - first};
    };
    for (int s = 0; s < fold_.steps; ++s) {
      const int partner = topo::doubling_partner(fold_.participant, s);
      const int peer = topo::doubling_real_rank(partner, n);
      const Tag tag = make_tag(call, static_cast<std::uint32_t>(s + 1));
      const auto [mine_offset, mine_bytes] = run_of(topo::doubling_held(fold_.participant, s));
      const auto [theirs_offset, theirs_bytes] = run_of(topo::doubling_held(partner, s));
      exchange_.recv(peer, tag, args.recv, theirs_offset, theirs_bytes);
      exchange_.send(peer, tag, args.recv, mine_offset, mine_bytes);
      exchange_.wait("step", s);
    }
    if (fold_.fold_partner >= 0) {
      exchange_.send(fold_.fold_partner, make_tag(call, kUnfoldChannel), args.recv, 0, all);
      exchange_.wait("result to the folded-out partner");
    }
  }

 private:
  Transport& transport_;
  std::chrono::milliseconds timeout_;
  topo::DoublingFold fold_;
  Exchange exchange_;
  std::uint64_t call_seq_ = 0;
};

void require_transport(const AlgorithmContext& ctx, const char* what) {
  if (ctx.transport == nullptr)
    throw std::invalid_argument(std::string(what) + " needs a transport");
}

}  // namespace

std::unique_ptr<Algorithm> make_recursive_doubling_allreduce(const AlgorithmContext& ctx) {
  require_transport(ctx, "recursive-doubling allreduce");
  return std::make_unique<RecursiveDoublingAllreduce>(ctx);
}

std::unique_ptr<Algorithm> make_recursive_doubling_allgather(const AlgorithmContext& ctx) {
  require_transport(ctx, "recursive-doubling allgather");
  return std::make_unique<RecursiveDoublingAllgather>(ctx);
}

}  // namespace fb
