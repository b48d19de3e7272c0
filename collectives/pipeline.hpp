// The building blocks between an Algorithm and the Transport: streams of chunks, the loop
// that drives them to the deadline, the chunking of a buffer, and the reduce step.
//
//   Stream     one direction of traffic under one tag to one peer, or to several peers in
//              lockstep (a fan: the children of a tree node). Chunks are numbered 0..chunks-1
//              and are posted and retired in that order, at most `slots` in flight: chunk c
//              reuses the request slot of chunk c - slots, so no request outlives its slot.
//              post_until(limit, place) posts every chunk below `limit` that has a slot;
//              retire_until(limit, done) retires every chunk below `limit` that completed at
//              every peer, calling done(c) for each. `limit` is how an algorithm states a
//              dependency between streams ("send c once receive c - S is reduced"). A fan of
//              no peers (a leaf's children) posts and retires as soon as the limit allows.
//   Progress   the polling loop of one collective call. run(streams, retire, post) posts,
//              then drives transport.progress(), retire() and post() until every listed
//              stream has finished. retire() retires what completed and returns whether
//              anything did; post() posts what that unblocked, and runs only after a poll that
//              retired something: every limit an algorithm gives post_until must therefore be
//              a function of what its streams have retired. Retiring comes first so that a
//              slot or a chunk freed by this poll is back on the wire before the transport is
//              driven again; a stream whose chunks cost work on arrival (a reduction) retires
//              one chunk per poll with retire_next(), so the send that chunk unblocks leaves
//              before the next one is reduced. Both orders measured 10-25% faster at 16 MiB
//              than posting first and reducing every arrived chunk at once
//              (docs/PERFORMANCE.md). The loop owns the deadline and reads the clock once
//              every kPollsPerClockRead idle polls (the rate Transport::wait uses; the first
//              read starts the deadline, so a call that never idles never reads it); past the
//              deadline it throws TimeoutError naming the first listed stream with an
//              outstanding chunk: its peer, and in the operation
//              "<collective> chunk <c> of <chunks> <stream>".
//   Chunking   a buffer of `elems` elements cut into chunks: even() (at most max_bytes each,
//              sizes evened out so the last is no sliver) or fixed() (max_bytes each, the last
//              one shorter).
//   ReduceStep what happens to a chunk that arrives for reduction: combine / combine3 /
//              finalize, and sync() before a reduced chunk is sent on. Host memory: the CPU
//              kernels (collectives/reduce_kernels.hpp), synchronous, sync() is a no-op.
//              Device memory (CollArgs::memory, core/memory_steps.hpp): the same calls
//              enqueued on the device's stream, sync() waits for them; the algorithm code
//              stays as it is. copy_bytes() and settle() do the same for the algorithm's own
//              copies (a root's input to its output, a one-rank call).
//
// Example: a pipelined chain broadcast (rank `parent` -> this rank -> `child`):
//
//   const Chunking chunks = Chunking::even(args.count, pipe.chunk_bytes, esize);
//   from_parent_.open(OpKind::recv, parent, tag, slots, chunks.count);
//   to_child_.open(OpKind::send, child, tag, slots, chunks.count);
//   Progress loop(transport_, timeout_, "chain broadcast");
//   loop.run(
//       {&from_parent_, &to_child_},
//       [&] {
//         const bool moved = from_parent_.retire_until(chunks.count);
//         return to_child_.retire_until(chunks.count) || moved;
//       },
//       [&] {
//         from_parent_.post_until(chunks.count, [&](std::size_t c, std::size_t) {
//           return at(args.recv, chunks.offset(c) * esize, chunks.size(c) * esize);
//         });
//         to_child_.post_until(from_parent_.retired(), [&](std::size_t c, std::size_t) {
//           return at(args.recv, chunks.offset(c) * esize, chunks.size(c) * esize);
//         });
//       });
//
// Streams are members of the algorithm: open() reuses their request storage, so a call
// allocates nothing once the first has sized it, and the hot loop has no virtual call
// beyond the transport's own.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "collectives/algorithm.hpp"
#include "collectives/idle_deadline.hpp"
#include "collectives/reduce_kernels.hpp"
#include "transports/transport.hpp"

namespace fb {

// Where one chunk of one peer goes (a receive) or comes from (a send).
struct Place {
  const MemoryRegion* region = nullptr;
  std::size_t offset = 0;  // in the region
  std::size_t bytes = 0;
  int peer = -1;  // a stream opened with kPeerPerChunk: this chunk's peer
};

// The peer of a stream whose every chunk names its own (pairwise exchanges, Bruck rounds).
inline constexpr int kPeerPerChunk = -1;

// Byte `offset` of a caller's buffer, `bytes` long.
inline Place at(const Buffer& buffer, std::size_t offset, std::size_t bytes, int peer = -1) {
  return {buffer.region, buffer.region_offset(offset), bytes, peer};
}

class Stream {
 public:
  // `what` names the stream in timeouts ("from left", "to children"): a string literal.
  Stream(Transport& transport, const char* what) : transport_(transport), what_(what) {}

  // Starts a stream of `chunks` chunks under `tag`: sends to or receives from each of
  // `peers` (none, one, or a fan), `slots` (>= 1) chunks in flight. A peer of kPeerPerChunk
  // takes each chunk's peer from its Place.
  void open(OpKind kind, std::span<const int> peers, Tag tag, std::size_t slots,
            std::size_t chunks);
  void open(OpKind kind, int peer, Tag tag, std::size_t slots, std::size_t chunks) {
    open(kind, std::span<const int>(&peer, 1), tag, slots, chunks);
  }

  // Posts chunks posted()..limit-1 while a slot is free. place(c, i) says where chunk c of
  // the i-th peer goes or comes from.
  template <class PlaceFn>
  void post_until(std::size_t limit, PlaceFn&& place) {
    limit = std::min(limit, chunks_);
    const std::size_t fan = peers_.size();
    while (posted_ < limit && (fan == 0 || posted_ - retired_ < slots_)) {
      Request* reqs = reqs_.data() + post_slot_ * fan;
      for (std::size_t i = 0; i < fan; ++i) {
        const Place p = place(posted_, i);
        const int peer = peers_[i] == kPeerPerChunk ? p.peer : peers_[i];
        reqs[i] = kind_ == OpKind::send
                      ? transport_.isend(peer, tag_, *p.region, p.offset, p.bytes)
                      : transport_.irecv(peer, tag_, *p.region, p.offset, p.bytes);
      }
      ++posted_;
      if (++post_slot_ == slots_) post_slot_ = 0;
    }
  }

  // Retires chunks retired()..limit-1 that completed at every peer, in order, calling
  // done(c) for each. True when any was retired.
  template <class DoneFn>
  bool retire_until(std::size_t limit, DoneFn&& done) {
    bool moved = false;
    limit = std::min(limit, posted_);
    while (retired_ < limit && complete(retire_slot_)) {
      done(retired_);
      ++retired_;
      if (++retire_slot_ == slots_) retire_slot_ = 0;
      moved = true;
    }
    return moved;
  }
  bool retire_until(std::size_t limit) {
    return retire_until(limit, [](std::size_t) {});
  }
  // Retires chunk retired() if it is below `limit` and completed at every peer, calling
  // done(c): one chunk per poll, for chunks that cost work on arrival.
  template <class DoneFn>
  bool retire_next(std::size_t limit, DoneFn&& done) {
    return retire_until(std::min(limit, retired_ + 1), done);
  }

  std::size_t posted() const { return posted_; }
  std::size_t retired() const { return retired_; }
  std::size_t chunks() const { return chunks_; }
  bool finished() const { return retired_ == chunks_; }
  const char* what() const { return what_; }
  std::span<const int> peers() const { return peers_; }

  // The oldest request not yet complete (its chunk is retired()), tested afresh; null when
  // none is out.
  const Request* stalled();

 private:
  // The hot path runs every poll: slot indices wrap instead of taking a remainder, and a
  // chunk's requests (one per peer) sit side by side.
  bool complete(std::size_t slot) {
    const std::size_t fan = peers_.size();
    Request* reqs = reqs_.data() + slot * fan;
    for (std::size_t i = 0; i < fan; ++i) {
      if (!transport_.test(reqs[i])) return false;
    }
    return true;
  }

  Transport& transport_;
  const char* what_;
  OpKind kind_ = OpKind::none;
  Tag tag_ = 0;
  std::size_t slots_ = 1;
  std::size_t chunks_ = 0;
  std::size_t posted_ = 0;
  std::size_t retired_ = 0;
  std::size_t post_slot_ = 0;    // posted_ % slots_
  std::size_t retire_slot_ = 0;  // retired_ % slots_
  std::vector<int> peers_;
  std::vector<Request> reqs_;  // [slot * fan + peer]
};

class Progress {
 public:
  // `collective` names the call in timeouts ("ring allreduce"): a string literal or a string
  // that outlives the loop.
  // `early_clock`: start the deadline right after the first posts, before the transport is
  // first driven (IdleDeadline::start); measured faster at 8 bytes for the ring and slower
  // for the reduce trees (docs/PERFORMANCE.md), so the ring engine asks for it.
  Progress(Transport& transport, std::chrono::milliseconds timeout, std::string_view collective,
           bool early_clock = false)
      : transport_(transport),
        deadline_(timeout),
        collective_(collective),
        early_clock_(early_clock) {}

  // Posts, then drives the transport, retire() and post() until every stream in `streams`
  // has finished. retire() returns true when anything was retired; post() runs only then,
  // for every limit of a stream is a function of what has been retired.
  template <class RetireFn, class PostFn>
  void run(std::initializer_list<Stream*> streams, RetireFn&& retire, PostFn&& post) {
    post();  // the first posts go out before the transport is driven
    if (all_finished(streams)) return;
    if (early_clock_) deadline_.start();
    for (;;) {
      transport_.progress();
      if (retire()) {
        post();
        if (all_finished(streams)) return;
      } else {
        idle(streams);
      }
    }
  }

  // Counts an idle pass; past the deadline throws TimeoutError for the first of `streams`
  // with an outstanding chunk.
  void idle(std::initializer_list<Stream*> streams) {
    if (deadline_.idle_poll_expired()) timeout(streams);
  }

  [[noreturn]] void timeout(std::initializer_list<Stream*> streams) const;

 private:
  static bool all_finished(std::initializer_list<Stream*> streams) {
    return std::all_of(streams.begin(), streams.end(),
                       [](const Stream* s) { return s->finished(); });
  }

  Transport& transport_;
  IdleDeadline deadline_;
  std::string_view collective_;
  bool early_clock_;
};

// A buffer of `elems` elements cut into `count` chunks of `chunk_elems` (the last shorter).
struct Chunking {
  std::size_t elems = 0;
  std::size_t count = 0;
  std::size_t chunk_elems = 0;

  // At most max_bytes per chunk (at least one element), sizes evened out.
  static Chunking even(std::size_t elems, std::size_t max_bytes, std::size_t esize) {
    const std::size_t cap = std::max<std::size_t>(1, max_bytes / esize);
    const std::size_t n = elems == 0 ? 0 : (elems + cap - 1) / cap;
    return {elems, n, n == 0 ? 0 : (elems + n - 1) / n};
  }
  // Exactly max_bytes per chunk (at least one element) but the last.
  static Chunking fixed(std::size_t elems, std::size_t max_bytes, std::size_t esize) {
    const std::size_t cap = std::max<std::size_t>(1, max_bytes / esize);
    return {elems, elems == 0 ? 0 : (elems + cap - 1) / cap, cap};
  }
  std::size_t offset(std::size_t c) const { return std::min(c * chunk_elems, elems); }
  std::size_t size(std::size_t c) const { return std::min(chunk_elems, elems - offset(c)); }
};

// The pipelining of a tree collective (broadcast, reduce, tree all-reduce), checked once from
// the options: chunks of tree_chunk_bytes (>= 64), tree_slots (>= 1) of them in flight per
// link. Throws std::invalid_argument naming `collective`.
struct TreePipeline {
  TreePipeline(const AlgorithmOptions& options, const char* collective);
  std::size_t chunk_bytes;
  std::size_t slots;
  std::chrono::milliseconds timeout;
  // chunk_bytes and slots, for the results file.
  Parameters parameters() const;
};

// A copy an algorithm makes itself, by whoever holds the call's memory (CollArgs::memory:
// std::memcpy on the host). Nothing when the ranges are the same or empty.
inline void copy_bytes(const CollArgs& args, std::byte* dst, const std::byte* src,
                       std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  if (args.memory != nullptr)
    args.memory->copy(dst, src, bytes);
  else
    std::memcpy(dst, src, bytes);
}
// Waits for the copies and reductions issued so far (host memory: they are done): before a
// transport reads bytes the call wrote itself, and before run() returns.
inline void settle(const CollArgs& args) {
  if (args.memory != nullptr) args.memory->sync();
}

class ReduceStep {
 public:
  // The kernels for (dtype, op) on the call's memory: the CPU kernels, synchronous, for host
  // memory; the call's MemorySteps (enqueued, complete at sync()) for device memory.
  // `n_ranks` is what avg divides by.
  ReduceStep(const CollArgs& args, int n_ranks)
      : kernels_(reduce_kernels(args.dtype, args.op)),
        device_(args.memory),
        dtype_(args.dtype),
        op_(args.op),
        n_ranks_(n_ranks) {}

  // dst = a op b; dst may alias a or b.
  void combine(std::byte* dst, const std::byte* a, const std::byte* b, std::size_t elems) const {
    if (device_ != nullptr)
      device_->combine(dtype_, op_, dst, a, b, elems);
    else
      kernels_.combine(dst, a, b, elems);
  }
  // dst = (a op b) op c.
  void combine3(std::byte* dst, const std::byte* a, const std::byte* b, const std::byte* c,
                std::size_t elems) const {
    if (device_ != nullptr)
      device_->combine3(dtype_, op_, dst, a, b, c, elems);
    else
      kernels_.combine3(dst, a, b, c, elems);
  }
  // Applied once to every fully reduced element (avg divides by the rank count).
  void finalize(std::byte* data, std::size_t elems) const {
    if (device_ != nullptr)
      device_->finalize(dtype_, op_, data, elems, n_ranks_);
    else if (kernels_.finalize != nullptr)
      kernels_.finalize(data, elems, n_ranks_);
  }
  // Returns once every combine and finalize issued so far is in memory (host: at once).
  void sync() const {
    if (device_ != nullptr) device_->sync();
  }

 private:
  ReduceKernels kernels_;
  MemorySteps* device_;
  DType dtype_;
  ReduceOp op_;
  int n_ranks_;
};

}  // namespace fb
