#include "collectives/pipeline.hpp"

#include <algorithm>
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
  posted_ = retired_ = post_slot_ = retire_slot_ = 0;
  // Sized once for the largest call; a slot's request is written before it is read.
  peers_.resize(peers.size());
  std::copy(peers.begin(), peers.end(), peers_.begin());
  if (reqs_.size() < peers_.size() * slots_) reqs_.resize(peers_.size() * slots_);
}

const Request* Stream::stalled() {
  if (retired_ == posted_) return nullptr;
  const std::size_t fan = peers_.size();
  Request* reqs = reqs_.data() + retire_slot_ * fan;
  for (std::size_t i = 0; i < fan; ++i) {
    if (!transport_.test(reqs[i])) return &reqs[i];
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

TreePipeline::TreePipeline(const AlgorithmOptions& options, const char* collective)
    : chunk_bytes(options.tree_chunk_bytes.value),
      slots(options.tree_slots.value),
      timeout(options.timeout) {
  if (slots < 1) {
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
