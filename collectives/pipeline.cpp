#include "collectives/pipeline.hpp"

#include <stdexcept>
#include <string>

namespace fb {

void Stream::open(OpKind kind, std::span<const int> peers, Tag tag, std::size_t slots,
                  std::size_t chunks) {
  if (slots == 0) throw std::invalid_argument(std::string("stream ") + what_ + ": no slots");
  kind_ = kind;
  tag_ = tag;
  slots_ = slots;
  chunks_ = chunks;
  posted_ = 0;
  retired_ = 0;
  peers_.assign(peers.begin(), peers.end());
  reqs_.assign(peers_.size() * slots_, Request{});
}

const Request* Stream::stalled() {
  if (retired_ == posted_) return nullptr;
  const std::size_t slot = retired_ % slots_;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    Request& req = reqs_[i * slots_ + slot];
    if (!transport_.test(req)) return &req;
  }
  return nullptr;
}

void Progress::timeout(std::initializer_list<Stream*> streams) const {
  for (Stream* s : streams) {
    if (const Request* req = s->stalled()) {
      std::string during(collective_);
      during += " chunk " + std::to_string(s->retired()) + " of " + std::to_string(s->chunks()) +
                ' ' + s->what();
      transport_.throw_timeout(*req, during);
    }
  }
  throw std::logic_error(std::string(collective_) + " stalled with nothing outstanding");
}

void exchange(Progress& loop, Stream& to, Stream& from, Tag tag, int to_peer, const Place& out,
              int from_peer, const Place& in) {
  from.open(OpKind::recv, from_peer, tag, 1, 1);
  to.open(OpKind::send, to_peer, tag, 1, 1);
  loop.run(
      {&from, &to},
      [&] {
        const bool moved = from.retire_until(1);
        return to.retire_until(1) || moved;
      },
      [&] {
        from.post_until(1, [&](std::size_t, std::size_t) { return in; });
        to.post_until(1, [&](std::size_t, std::size_t) { return out; });
      });
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

}  // namespace fb
