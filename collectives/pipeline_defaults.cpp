#include "collectives/pipeline_defaults.hpp"

#include <optional>
#include <utility>
#include <vector>

namespace fb {

namespace {

constexpr std::size_t kKiB = 1024;

struct PathDefaults {
  std::size_t ring_segment_bytes;
  int ring_slots;
  std::size_t tree_chunk_bytes;
  int tree_slots;
};

PathDefaults defaults_for(TransportPath::Kind kind) {
  if (kind == TransportPath::Kind::network) return {256 * kKiB, 4, 256 * kKiB, 4};
  return {256 * kKiB, 2, 256 * kKiB, 4};  // shared memory, and what we cannot tell
}

std::string path_words(const TransportPath& path) {
  switch (path.kind) {
    case TransportPath::Kind::network:
      return "a network path (" + path.detail + ")";
    case TransportPath::Kind::shared_memory:
      return "a shared-memory path (" + path.detail + ")";
    case TransportPath::Kind::unknown:
      break;
  }
  return "a path the transport does not report (shared-memory values)";
}

// Delegates everything to the algorithm built with the resolved options.
class PathPipelined final : public Algorithm {
 public:
  PathPipelined(std::unique_ptr<Algorithm> inner, std::string origin)
      : inner_(std::move(inner)), origin_(std::move(origin)) {}
  void run(const CollArgs& args) override { inner_->run(args); }
  Parameters parameters() const override { return inner_->parameters(); }
  std::string parameters_origin() const override {
    return inner_->parameters().empty() ? std::string() : origin_;
  }
  std::optional<double> device_time_us() const override { return inner_->device_time_us(); }

 private:
  std::unique_ptr<Algorithm> inner_;
  std::string origin_;
};

}  // namespace

AlgorithmOptions resolve_pipeline(const AlgorithmOptions& requested, const TransportPath& path) {
  const PathDefaults d = defaults_for(path.kind);
  AlgorithmOptions o = requested;
  if (o.ring_segment_auto) o.ring_segment_bytes = d.ring_segment_bytes;
  if (o.ring_slots_auto) o.ring_slots = d.ring_slots;
  if (o.tree_chunk_auto) o.tree_chunk_bytes = d.tree_chunk_bytes;
  if (o.tree_slots_auto) o.tree_slots = d.tree_slots;
  return o;
}

std::string pipeline_origin(const AlgorithmOptions& requested, const TransportPath& path) {
  std::vector<const char*> given;
  if (!requested.ring_segment_auto) given.push_back("--ring-segment");
  if (!requested.ring_slots_auto) given.push_back("--ring-slots");
  if (!requested.tree_chunk_auto) given.push_back("--tree-chunk");
  if (!requested.tree_slots_auto) given.push_back("--tree-slots");
  if (given.size() == 4)
    return "explicit options (--ring-segment, --ring-slots, --tree-chunk, --tree-slots)";
  std::string automatic = "auto for " + path_words(path);
  if (given.empty()) return automatic;
  std::string list;
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (i > 0) list += i + 1 == given.size() ? " and " : ", ";
    list += given[i];
  }
  return list + " as given; the others " + automatic;
}

AlgorithmFactory with_path_pipeline(AlgorithmFactory create) {
  return [create = std::move(create)](const AlgorithmContext& ctx) -> std::unique_ptr<Algorithm> {
    const TransportPath path = ctx.transport != nullptr ? ctx.transport->path() : TransportPath{};
    AlgorithmContext resolved = ctx;
    resolved.options = resolve_pipeline(ctx.options, path);
    return std::make_unique<PathPipelined>(create(resolved), pipeline_origin(ctx.options, path));
  };
}

}  // namespace fb
