// Pipelined tree broadcast (binomial tree or chain; collectives/broadcast.hpp has the shapes).
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

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fb {

std::string chunk_context(TreeShape shape, std::string_view collective, std::size_t chunk,
                          std::size_t chunks, std::string_view where) {
  std::string s(to_string(shape));
  s += ' ';
  s += collective;
  s += " chunk ";
  s += std::to_string(chunk);
  s += " of ";
  s += std::to_string(chunks);
  s += ' ';
  s += where;
  return s;
}

TreePipeline::TreePipeline(const AlgorithmOptions& options, const char* collective)
    : chunk_bytes(options.tree_chunk_bytes),
      slots(static_cast<std::size_t>(std::max(options.tree_slots, 0))),
      timeout(options.timeout) {
  if (options.tree_slots < 1) {
    throw std::invalid_argument(std::string(collective) + ": at least 1 chunk must be in flight");
  }
  if (chunk_bytes < 64) {
    throw std::invalid_argument(std::string(collective) + ": chunk size must be >= 64 bytes");
  }
}

Parameters TreePipeline::parameters() const {
  return {{"chunk_bytes", static_cast<std::int64_t>(chunk_bytes)},
          {"slots", static_cast<std::int64_t>(slots)}};
}

namespace {

class PipelinedBroadcast final : public Algorithm {
 public:
  PipelinedBroadcast(const AlgorithmContext& ctx, TreeShape shape)
      : transport_(*ctx.transport), shape_(shape), pipe_(ctx.options, "broadcast") {}

  Parameters parameters() const override { return pipe_.parameters(); }

  void run(const CollArgs& args) override;

 private:
  Transport& transport_;
  TreeShape shape_;
  TreePipeline pipe_;
  std::vector<Request> recv_reqs_;  // [slot]: chunks from the parent
  std::vector<Request> send_reqs_;  // [child * slots + slot]: chunks to the children
  std::uint64_t call_seq_ = 0;
};

void PipelinedBroadcast::run(const CollArgs& args) {
  const int n = transport_.size();
  const int r = transport_.rank();
  const std::size_t esize = dtype_size(args.dtype);
  const bool is_root = r == args.root;
  const bool in_place = args.send.bytes.data() == args.recv.bytes.data();
  if (args.count == 0) return;
  if (n == 1) {
    if (!in_place) std::memcpy(args.recv.bytes.data(), args.send.bytes.data(), args.count * esize);
    return;
  }
  const RootedTree tree = rooted_tree(shape_, r, args.root, n);
  const std::size_t n_children = tree.children.size();
  const Tag tag = make_tag(++call_seq_, 0);

  // Chunks of at most chunk_bytes, evened out so the last one is not a sliver.
  const std::size_t cap = std::max<std::size_t>(1, pipe_.chunk_bytes / esize);
  const std::size_t chunks = (args.count + cap - 1) / cap;
  const std::size_t chunk_elems = (args.count + chunks - 1) / chunks;
  auto offset = [&](std::size_t c) { return c * chunk_elems * esize; };
  auto length = [&](std::size_t c) {
    return std::min(chunk_elems, args.count - c * chunk_elems) * esize;
  };

  const std::size_t k = pipe_.slots;
  recv_reqs_.assign(k, Request{});
  send_reqs_.assign(n_children * k, Request{});
  // The root forwards from its input; everyone else from where the chunk arrived.
  const Buffer& src = is_root ? args.send : args.recv;
  std::size_t recv_posted = 0;
  std::size_t recv_done = is_root ? chunks : 0;  // chunks this rank holds
  std::size_t sent = 0, sent_done = 0;           // chunks posted to / finished at all children
  const std::size_t send_total = n_children == 0 ? 0 : chunks;

  const Deadline deadline = Clock::now() + pipe_.timeout;
  unsigned polls = 0;
  while (recv_done < chunks || sent_done < send_total) {
    while (recv_posted < chunks && recv_posted - recv_done < k && !is_root) {
      const std::size_t c = recv_posted;
      recv_reqs_[c % k] = transport_.irecv(tree.parent, tag, *args.recv.region,
                                           args.recv.region_offset(offset(c)), length(c));
      ++recv_posted;
    }
    while (sent < std::min(recv_done, send_total) && sent - sent_done < k) {
      const std::size_t c = sent;
      for (std::size_t ch = 0; ch < n_children; ++ch) {
        send_reqs_[ch * k + c % k] = transport_.isend(tree.children[ch], tag, *src.region,
                                                      src.region_offset(offset(c)), length(c));
      }
      // The root's own copy, overlapped with the sends just posted.
      if (is_root && !in_place) {
        std::memcpy(args.recv.bytes.data() + offset(c), args.send.bytes.data() + offset(c),
                    length(c));
      }
      ++sent;
    }
    transport_.progress();
    bool advanced = false;
    while (recv_done < recv_posted && transport_.test(recv_reqs_[recv_done % k])) {
      ++recv_done;
      advanced = true;
    }
    while (sent_done < sent) {
      bool done = true;
      for (std::size_t ch = 0; ch < n_children && done; ++ch)
        done = transport_.test(send_reqs_[ch * k + sent_done % k]);
      if (!done) break;
      ++sent_done;
      advanced = true;
    }
    if (!advanced && ++polls % 64 == 0 && Clock::now() > deadline) {
      if (recv_done < recv_posted) {
        transport_.throw_timeout(
            recv_reqs_[recv_done % k],
            chunk_context(shape_, "broadcast", recv_done, chunks, "from parent"));
      }
      for (std::size_t ch = 0; ch < n_children; ++ch) {
        const Request& req = send_reqs_[ch * k + sent_done % k];
        if (!req.done) {
          transport_.throw_timeout(
              req, chunk_context(shape_, "broadcast", sent_done, chunks, "to child"));
        }
      }
      throw std::logic_error("broadcast pipeline stalled with nothing outstanding");
    }
  }
}

std::unique_ptr<Algorithm> make_broadcast(const AlgorithmContext& ctx, TreeShape shape) {
  if (ctx.transport == nullptr) {
    throw std::invalid_argument(std::string(to_string(shape)) + " broadcast needs a transport");
  }
  return std::make_unique<PipelinedBroadcast>(ctx, shape);
}

}  // namespace

std::unique_ptr<Algorithm> make_binomial_broadcast(const AlgorithmContext& ctx) {
  return make_broadcast(ctx, TreeShape::binomial);
}

std::unique_ptr<Algorithm> make_chain_broadcast(const AlgorithmContext& ctx) {
  return make_broadcast(ctx, TreeShape::chain);
}

}  // namespace fb
