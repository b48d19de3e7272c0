#include "collectives/pipeline_defaults.hpp"

#include <iterator>
#include <optional>
#include <utility>
#include <vector>

namespace fb {

namespace {

constexpr std::size_t kKiB = 1024;

constexpr PipelineOption kOptions[] = {
    {"--ring-segment", &AlgorithmOptions::ring_segment_bytes, true, 64, 256 * kKiB, 256 * kKiB,
     "Ring reduce-scatter, all-gather, all-reduce: bytes per pipelined segment"},
    {"--ring-slots", &AlgorithmOptions::ring_slots, false, 2, 2, 4,
     "Ring: segments in flight each way (>= 2)"},
    {"--hd-segment", &AlgorithmOptions::hd_segment_bytes, true, 64, 256 * kKiB, 256 * kKiB,
     "Halving-doubling all-reduce: bytes per segment of an exchange"},
    {"--hd-slots", &AlgorithmOptions::hd_slots, false, 2, 2, 4,
     "Halving-doubling: segments in flight each way (>= 2)"},
    {"--tree-chunk", &AlgorithmOptions::tree_chunk_bytes, true, 64, 256 * kKiB, 256 * kKiB,
     "Tree all-reduce, binomial and chain broadcast/reduce: bytes per pipelined chunk"},
    {"--tree-slots", &AlgorithmOptions::tree_slots, false, 1, 4, 4,
     "Tree, binomial, chain: chunks in flight per link (>= 1)"},
    {"--pairwise-window", &AlgorithmOptions::pairwise_window, false, 1, 2, 4,
     "Pairwise all-to-all: exchange steps in flight (>= 1)"},
};

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

std::span<const PipelineOption> pipeline_options() {
  return kOptions;
}

AlgorithmOptions resolve_pipeline(const AlgorithmOptions& requested, const TransportPath& path) {
  AlgorithmOptions o = requested;
  for (const PipelineOption& opt : kOptions) {
    Tunable& t = o.*opt.field;
    if (t.automatic) {
      t.value = path.kind == TransportPath::Kind::network ? opt.network : opt.shared_memory;
    }
  }
  return o;
}

std::string pipeline_origin(const AlgorithmOptions& requested, const TransportPath& path) {
  std::vector<const char*> given;
  for (const PipelineOption& opt : kOptions) {
    if (!(requested.*opt.field).automatic) given.push_back(opt.flag);
  }
  auto join = [&](const char* last) {
    std::string list;
    for (std::size_t i = 0; i < given.size(); ++i) {
      if (i > 0) list += i + 1 == given.size() ? last : ", ";
      list += given[i];
    }
    return list;
  };
  if (given.size() == std::size(kOptions)) return "explicit options (" + join(", ") + ")";
  std::string automatic = "auto for " + path_words(path);
  if (given.empty()) return automatic;
  return join(" and ") + " as given; the others " + automatic;
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
