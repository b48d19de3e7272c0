// Recursive halving / doubling all-reduce (Rabenseifner), for any rank count.
//
// With p the largest power of two <= n and rem = n - p, the first 2*rem ranks fold in
// pairs first: even rank 2i sends its whole input to 2i+1, which adds it and represents
// both from then on ("new rank" i); the other ranks r >= 2*rem become new rank r - rem.
// The p participants then
//   reduce-scatter by recursive halving: at distance d = p/2, p/4, ..., 1 a rank swaps
//     half of its current range with new rank ^ d (keeping the lower half when bit d is
//     clear) and adds what it receives, so after log2(p) steps it owns block `new rank`;
//   all-gather by recursive doubling: at d = 1, 2, ..., p/2 it swaps its whole range with
//     new rank ^ d, doubling the range each time.
// Finally each folded odd rank hands the result back to its even partner. n = 6 (p = 4):
//
//   fold:     0 -> 1    2 -> 3    4     5          (new ranks 0, 1, 2, 3 = real 1, 3, 4, 5)
//   halving:  d=2: 1 <-> 4, 3 <-> 5    d=1: 1 <-> 3, 4 <-> 5
//   doubling: d=1: 1 <-> 3, 4 <-> 5    d=2: 1 <-> 4, 3 <-> 5
//   unfold:   1 -> 0    3 -> 2
//
// Each exchange is cut into segments with `slots` in flight, received into scratch and
// reduced segment by segment, so the scratch stays slots x segment whatever the size.
#include "collectives/halving_doubling.hpp"

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

class HalvingDoubling final : public Algorithm {
 public:
  explicit HalvingDoubling(const AlgorithmContext& ctx)
      : transport_(*ctx.transport),
        segment_bytes_(ctx.options.ring_segment_bytes),
        slots_(static_cast<std::size_t>(ctx.options.ring_slots)),
        timeout_(ctx.options.timeout),
        scratch_(segment_bytes_ * slots_),
        scratch_region_(transport_.register_memory(scratch_.span())),
        recv_reqs_(slots_),
        send_reqs_(slots_) {
    if (slots_ < 2) throw std::invalid_argument("halving-doubling: at least 2 segments in flight");
    if (segment_bytes_ < 64)
      throw std::invalid_argument("halving-doubling: segment must be >= 64 bytes");
  }

  Parameters parameters() const override {
    return {{"segment_bytes", static_cast<std::int64_t>(segment_bytes_)},
            {"slots", static_cast<std::int64_t>(slots_)}};
  }

  void run(const CollArgs& args) override;

 private:
  // One segmented exchange with `peer`: send `send_bytes` from `src` at `src_offset`
  // (possibly 0 bytes); receive `recv_bytes` and either reduce them into
  // dst = own op incoming (reduce != nullptr), or land them in `dst_buffer` at `dst_offset`.
  struct Incoming {
    const Buffer* dst_buffer = nullptr;  // copy mode: received in place here
    std::size_t dst_offset = 0;
    std::byte* reduce_dst = nullptr;  // reduce mode: dst = own op incoming
    const std::byte* reduce_own = nullptr;
    std::size_t bytes = 0;
  };
  void exchange(int peer, Tag tag, const Buffer& src, std::size_t src_offset,
                std::size_t send_bytes, const Incoming& in, const ReduceKernels& kernels,
                std::size_t esize, const char* phase);

  Transport& transport_;
  std::size_t segment_bytes_;
  std::size_t slots_;
  std::chrono::milliseconds timeout_;
  AlignedBuffer scratch_;
  std::unique_ptr<MemoryRegion> scratch_region_;
  std::vector<Request> recv_reqs_;
  std::vector<Request> send_reqs_;
  std::uint64_t call_seq_ = 0;
};

void HalvingDoubling::exchange(int peer, Tag tag, const Buffer& src, std::size_t src_offset,
                               std::size_t send_bytes, const Incoming& in,
                               const ReduceKernels& kernels, std::size_t esize, const char* phase) {
  // Segment boundaries fall on whole elements.
  const std::size_t seg = std::max<std::size_t>(esize, segment_bytes_ / esize * esize);
  const std::size_t n_send = send_bytes == 0 ? 0 : (send_bytes + seg - 1) / seg;
  const std::size_t n_recv = in.bytes == 0 ? 0 : (in.bytes + seg - 1) / seg;
  const std::size_t k = slots_;
  const bool reducing = in.reduce_dst != nullptr;
  std::size_t recv_posted = 0, recv_done = 0, send_posted = 0, send_done = 0;
  const Deadline deadline = Clock::now() + timeout_;
  unsigned polls = 0;
  auto length = [&](std::size_t j, std::size_t total) { return std::min(seg, total - j * seg); };
  while (recv_done < n_recv || send_done < n_send) {
    while (recv_posted < n_recv && recv_posted - recv_done < k) {
      const std::size_t j = recv_posted++;
      if (reducing) {
        recv_reqs_[j % k] = transport_.irecv(peer, tag, *scratch_region_, (j % k) * segment_bytes_,
                                             length(j, in.bytes));
      } else {
        recv_reqs_[j % k] = transport_.irecv(peer, tag, *in.dst_buffer->region,
                                             in.dst_buffer->region_offset(in.dst_offset + j * seg),
                                             length(j, in.bytes));
      }
    }
    while (send_posted < n_send && send_posted - send_done < k) {
      const std::size_t j = send_posted++;
      send_reqs_[j % k] = transport_.isend(
          peer, tag, *src.region, src.region_offset(src_offset + j * seg), length(j, send_bytes));
    }
    transport_.progress();
    bool advanced = false;
    while (recv_done < recv_posted && transport_.test(recv_reqs_[recv_done % k])) {
      const std::size_t j = recv_done++;
      if (reducing) {
        kernels.combine(in.reduce_dst + j * seg, in.reduce_own + j * seg,
                        scratch_.data() + (j % k) * segment_bytes_, length(j, in.bytes) / esize);
      }
      advanced = true;
    }
    while (send_done < send_posted && transport_.test(send_reqs_[send_done % k])) {
      ++send_done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      const std::string during = std::string("halving-doubling allreduce (") + phase + ")";
      if (recv_done < recv_posted) transport_.throw_timeout(recv_reqs_[recv_done % k], during);
      transport_.throw_timeout(send_reqs_[send_done % k], during);
    }
  }
}

void HalvingDoubling::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t es = dtype_size(args.dtype);
  const std::size_t bytes = args.count * es;
  if (args.count == 0) return;
  if (n == 1) {
    if (args.send.bytes.data() != args.recv.bytes.data()) {
      std::memcpy(args.recv.bytes.data(), args.send.bytes.data(), bytes);
    }
    return;
  }
  const auto kernels = reduce_kernels(args.dtype, args.op);
  ++call_seq_;
  std::uint32_t step = 0;
  auto next_tag = [&] { return make_tag(call_seq_, step++); };

  int p = 1;
  while (p * 2 <= n)
    p *= 2;
  const int rem = n - p;
  std::byte* out = args.recv.bytes.data();
  const std::byte* in = args.send.bytes.data();

  // Fold: even ranks below 2*rem hand everything to their odd neighbour and wait.
  const Tag fold_tag = next_tag();
  if (r < 2 * rem && r % 2 == 0) {
    exchange(r + 1, fold_tag, args.send, 0, bytes, {}, kernels, es, "fold-in send");
    const Tag unfold = make_tag(call_seq_, 255);
    exchange(r + 1, unfold, args.send, 0, 0, {&args.recv, 0, nullptr, nullptr, bytes}, kernels, es,
             "result from partner");
    return;
  }
  bool in_output = false;  // does `out` hold our running partial sums yet?
  if (r < 2 * rem) {
    exchange(r - 1, fold_tag, args.send, 0, 0, {nullptr, 0, out, in, bytes}, kernels, es,
             "fold-in receive");
    in_output = true;
  }
  const int me = r < 2 * rem ? r / 2 : r - rem;
  auto real_rank = [&](int new_rank) { return new_rank < rem ? 2 * new_rank + 1 : new_rank + rem; };
  auto block_bytes = [&](int lo, int hi) {  // byte range of blocks [lo, hi)
    const auto first = topo::ring_block(args.count, p, lo);
    const auto last = topo::ring_block(args.count, p, hi - 1);
    return std::pair<std::size_t, std::size_t>{first.offset * es,
                                               (last.offset + last.count - first.offset) * es};
  };

  // Reduce-scatter by recursive halving.
  int lo = 0, hi = p;
  for (int d = p / 2; d >= 1; d /= 2) {
    const int mid = lo + (hi - lo) / 2;
    const bool keep_low = (me & d) == 0;
    const auto [keep_off, keep_len] = keep_low ? block_bytes(lo, mid) : block_bytes(mid, hi);
    const auto [give_off, give_len] = keep_low ? block_bytes(mid, hi) : block_bytes(lo, mid);
    const Buffer& src = in_output ? args.recv : args.send;
    const std::byte* own = in_output ? out : in;
    exchange(real_rank(me ^ d), next_tag(), src, give_off, give_len,
             {nullptr, 0, out + keep_off, own + keep_off, keep_len}, kernels, es,
             "recursive halving");
    in_output = true;
    (keep_low ? hi : lo) = mid;
  }
  // Our block is complete: finish it (avg) once.
  if (kernels.finalize != nullptr) {
    const auto [off, len] = block_bytes(lo, hi);
    kernels.finalize(out + off, len / es, n);
  }
  // All-gather by recursive doubling.
  for (int d = 1; d < p; d *= 2) {
    const int width = hi - lo;
    const bool mine_low = (me & d) == 0;
    const int other_lo = mine_low ? hi : lo - width;
    const auto [mine_off, mine_len] = block_bytes(lo, hi);
    const auto [other_off, other_len] = block_bytes(other_lo, other_lo + width);
    exchange(real_rank(me ^ d), next_tag(), args.recv, mine_off, mine_len,
             {&args.recv, other_off, nullptr, nullptr, other_len}, kernels, es,
             "recursive doubling");
    lo = std::min(lo, other_lo);
    hi = lo + 2 * width;
  }
  // Unfold: hand the result to the even partner.
  if (r < 2 * rem) {
    exchange(r - 1, make_tag(call_seq_, 255), args.recv, 0, bytes, {}, kernels, es,
             "result to partner");
  }
}

}  // namespace

std::unique_ptr<Algorithm> make_halving_doubling_allreduce(const AlgorithmContext& ctx) {
  if (ctx.transport == nullptr) throw std::invalid_argument("halving-doubling needs a transport");
  return std::make_unique<HalvingDoubling>(ctx);
}

}  // namespace fb
