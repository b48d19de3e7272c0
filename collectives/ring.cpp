// Ring reduce-scatter, all-gather, and all-reduce (the one followed by the other), pipelined
// in segments.
//
// The buffer is n blocks. In reduce-scatter step s (0..n-2) rank r sends one block to its
// right neighbour and receives the next lower block from its left, adding its own input to
// it; after n-1 steps it owns one fully reduced block. In all-gather step t (0..n-2) it
// sends the block it got last and receives the next one in place. n = 4, all-reduce's
// reduce-scatter step 0:
//
//     r0 --b0--> r1 --b1--> r2 --b2--> r3 --b3--> r0
//
// Each rank sends (n-1)/n of the buffer per phase, the bandwidth optimum. Every block is
// cut into S segments and the messages form one stream per link, numbered
// i = step * S + segment. Message i may leave as soon as message i - S (the same segment
// one step earlier) has arrived and been reduced, so later steps overlap the reduction of
// earlier ones; `slots` segments are in flight each way.
//
// Which block a step moves (mod n):          send at step s / t      receive
//   all-reduce      reduce-scatter          r - s                    r - s - 1   (owns r+1)
//                   all-gather              r + 1 - t                r - t
//   reduce-scatter                          r - s - 1                r - s - 2   (owns r)
//   all-gather                              r - t                    r - t - 1
#include "collectives/ring.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "collectives/reduce_kernels.hpp"
#include "topologies/ring.hpp"

namespace fb {

namespace {

enum class RingMode { allreduce, reducescatter, allgather };

class Ring final : public Algorithm {
 public:
  Ring(const AlgorithmContext& ctx, RingMode mode)
      : mode_(mode),
        transport_(*ctx.transport),
        segment_bytes_(ctx.options.ring_segment_bytes),
        slots_(static_cast<std::size_t>(ctx.options.ring_slots)),
        timeout_(ctx.options.timeout),
        scratch_(mode == RingMode::allgather ? 0 : segment_bytes_ * slots_),
        scratch_region_(transport_.register_memory(scratch_.span())),
        recv_reqs_(slots_),
        send_reqs_(slots_) {
    if (slots_ < 2) throw std::invalid_argument("ring: at least 2 segments must be in flight");
    if (segment_bytes_ < 64) throw std::invalid_argument("ring: segment size must be >= 64 bytes");
  }

  Parameters parameters() const override {
    return {{"segment_bytes", static_cast<std::int64_t>(segment_bytes_)},
            {"slots", static_cast<std::int64_t>(slots_)}};
  }

  void run(const CollArgs& args) override;

 private:
  struct Piece {
    std::size_t offset_bytes;  // from the start of the full n-block layout
    std::size_t bytes;
  };
  // Partial sums of a stand-alone reduce-scatter live here between steps (its output holds
  // one block only). Grows to the largest input seen, registered with the transport.
  Buffer work_buffer(std::size_t bytes);

  RingMode mode_;
  Transport& transport_;
  std::size_t segment_bytes_;
  std::size_t slots_;
  std::chrono::milliseconds timeout_;
  AlignedBuffer scratch_;
  std::unique_ptr<MemoryRegion> scratch_region_;
  AlignedBuffer work_;
  std::unique_ptr<MemoryRegion> work_region_;
  std::vector<Request> recv_reqs_;
  std::vector<Request> send_reqs_;
  std::uint64_t call_seq_ = 0;
};

Buffer Ring::work_buffer(std::size_t bytes) {
  if (work_.size() < bytes) {
    work_region_.reset();
    work_ = AlignedBuffer(bytes);
    work_region_ = transport_.register_memory(work_.span());
  }
  return {work_.span().first(bytes), work_region_.get()};
}

void Ring::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t esize = dtype_size(args.dtype);
  const auto counts = buffer_counts(mode_ == RingMode::allreduce   ? Collective::allreduce
                                    : mode_ == RingMode::allgather ? Collective::allgather
                                                                   : Collective::reducescatter,
                                    args.count, n);
  if (counts.send == 0 || counts.recv == 0) return;
  const bool reduces = mode_ != RingMode::allgather;
  const ReduceKernels kernels = reduces ? reduce_kernels(args.dtype, args.op) : ReduceKernels{};

  // Block geometry: all-reduce splits its buffer as evenly as it can; the block
  // collectives have blocks of exactly counts.block elements.
  auto block_of = [&](int b) -> topo::Block {
    if (mode_ == RingMode::allreduce) return topo::ring_block(args.count, n, b);
    return {static_cast<std::size_t>(b) * counts.block, counts.block};
  };
  const std::byte* input = args.send.bytes.data();
  auto input_offset = [&](std::size_t full_offset) {  // all-gather's input is one block
    return mode_ == RingMode::allgather ? full_offset - block_of(r).offset * esize : full_offset;
  };

  if (n == 1) {
    if (input != args.recv.bytes.data())
      std::memcpy(args.recv.bytes.data(), input, counts.recv * esize);
    return;
  }
  if (mode_ == RingMode::allgather &&
      input != args.recv.bytes.data() + block_of(r).offset * esize) {
    std::memcpy(args.recv.bytes.data() + block_of(r).offset * esize, input, counts.block * esize);
  }

  const Tag tag = make_tag(++call_seq_, 0);
  const auto [left, right] = topo::ring_neighbours(r, n);
  const std::size_t rs_steps = mode_ == RingMode::allgather ? 0 : static_cast<std::size_t>(n - 1);
  const std::size_t ag_steps =
      mode_ == RingMode::reducescatter ? 0 : static_cast<std::size_t>(n - 1);
  const long long rs_shift = mode_ == RingMode::reducescatter ? 1 : 0;
  const long long ag_shift = mode_ == RingMode::allreduce ? 1 : 0;
  const Buffer work =
      mode_ == RingMode::reducescatter ? work_buffer(counts.send * esize) : args.recv;

  // Segments: S per block, of at most segment_bytes, evened out over the largest block.
  const std::size_t max_block = block_of(0).count;
  const std::size_t cap = std::max<std::size_t>(1, segment_bytes_ / esize);
  const std::size_t S = std::max<std::size_t>(1, (max_block + cap - 1) / cap);
  const std::size_t seg_elems = (max_block + S - 1) / S;
  const std::size_t rs_items = rs_steps * S;
  const std::size_t total = (rs_steps + ag_steps) * S;

  auto piece = [&](std::size_t i, bool sending) {
    const std::size_t step = i / S;
    const std::size_t seg = i % S;
    long long block = 0;
    if (step < rs_steps) {
      block = r - static_cast<long long>(step) - rs_shift - (sending ? 0 : 1);
    } else {
      block = r + ag_shift - static_cast<long long>(step - rs_steps) - (sending ? 0 : 1);
    }
    const auto b = block_of(topo::wrap(block, n));
    const std::size_t start = std::min(seg * seg_elems, b.count);
    const std::size_t len = std::min(seg_elems, b.count - start);
    return Piece{(b.offset + start) * esize, len * esize};
  };
  // Where message i's bytes come from: the input at the first step, else the partial sums
  // (reduce-scatter) or the output (all-gather phases).
  auto send_source = [&](std::size_t i,
                         std::size_t full_offset) -> std::pair<const Buffer*, std::size_t> {
    if (i < S && (rs_steps > 0 || mode_ == RingMode::allgather)) {
      return {&args.send, input_offset(full_offset)};
    }
    if (i < rs_items) return {&work, full_offset};
    return {&args.recv, full_offset};
  };

  const Deadline deadline = Clock::now() + timeout_;
  std::size_t recv_posted = 0, recv_done = 0, send_posted = 0, send_done = 0;
  unsigned polls = 0;
  const std::size_t k = slots_;

  while (recv_done < total || send_done < total) {
    // Post receives: reduce-scatter ones land in scratch slots, all-gather ones in place;
    // in an all-reduce the latter only once the send that read the same bytes
    // (message i - rs_items) has finished.
    while (recv_posted < total && recv_posted - recv_done < k) {
      const std::size_t i = recv_posted;
      const Piece p = piece(i, false);
      if (i < rs_items) {
        recv_reqs_[i % k] =
            transport_.irecv(left, tag, *scratch_region_, (i % k) * segment_bytes_, p.bytes);
      } else {
        if (rs_items > 0 && send_done <= i - rs_items) break;
        recv_reqs_[i % k] = transport_.irecv(left, tag, *args.recv.region,
                                             args.recv.region_offset(p.offset_bytes), p.bytes);
      }
      ++recv_posted;
    }
    // Post sends, in order: message i needs message i - S to have been received and reduced.
    while (send_posted < total && send_posted - send_done < k &&
           (send_posted < S || send_posted - S < recv_done)) {
      const std::size_t i = send_posted;
      const Piece p = piece(i, true);
      const auto [src, offset] = send_source(i, p.offset_bytes);
      send_reqs_[i % k] =
          transport_.isend(right, tag, *src->region, src->region_offset(offset), p.bytes);
      ++send_posted;
    }
    transport_.progress();
    bool advanced = false;
    if (recv_done < recv_posted && transport_.test(recv_reqs_[recv_done % k])) {
      const std::size_t i = recv_done;
      if (i < rs_items) {
        const Piece p = piece(i, false);
        const bool last = i >= rs_items - S;
        const std::size_t elems = p.bytes / esize;
        std::byte* dst = nullptr;
        if (mode_ == RingMode::reducescatter) {
          dst = last ? args.recv.bytes.data() + (p.offset_bytes - block_of(r).offset * esize)
                     : work.bytes.data() + p.offset_bytes;
        } else {
          dst = args.recv.bytes.data() + p.offset_bytes;
        }
        kernels.combine(dst, input + p.offset_bytes, scratch_.data() + (i % k) * segment_bytes_,
                        elems);
        // After the last reduce-scatter step this block is complete: finish it (avg) once.
        if (last && kernels.finalize != nullptr) kernels.finalize(dst, elems, n);
      }
      ++recv_done;
      advanced = true;
    }
    while (send_done < send_posted && transport_.test(send_reqs_[send_done % k])) {
      ++send_done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      const char* what = mode_ == RingMode::allreduce       ? "ring allreduce"
                         : mode_ == RingMode::reducescatter ? "ring reducescatter"
                                                            : "ring allgather";
      const std::string during = std::string(what) + " (message " + std::to_string(recv_done) +
                                 " of " + std::to_string(total) + ")";
      if (recv_done < recv_posted) transport_.throw_timeout(recv_reqs_[recv_done % k], during);
      transport_.throw_timeout(send_reqs_[send_done % k], during);
    }
  }
}

std::unique_ptr<Algorithm> make_ring(const AlgorithmContext& ctx, RingMode mode) {
  if (ctx.transport == nullptr) throw std::invalid_argument("ring needs a transport");
  return std::make_unique<Ring>(ctx, mode);
}

}  // namespace

std::unique_ptr<Algorithm> make_ring_allreduce(const AlgorithmContext& ctx) {
  return make_ring(ctx, RingMode::allreduce);
}
std::unique_ptr<Algorithm> make_ring_reducescatter(const AlgorithmContext& ctx) {
  return make_ring(ctx, RingMode::reducescatter);
}
std::unique_ptr<Algorithm> make_ring_allgather(const AlgorithmContext& ctx) {
  return make_ring(ctx, RingMode::allgather);
}

}  // namespace fb
