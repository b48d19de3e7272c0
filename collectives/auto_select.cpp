#include "collectives/auto_select.hpp"

#include <stdexcept>

namespace fb {

namespace {

class AutoAlgorithm final : public Algorithm {
 public:
  AutoAlgorithm(const AutoRule& rule, const AlgorithmContext& ctx)
      : rule_(rule), small_(find_algorithm(rule.collective, rule.small)->create(ctx)) {
    if (rule.large != rule.small) large_ = find_algorithm(rule.collective, rule.large)->create(ctx);
    if (!rule.latency.empty())
      latency_ = find_algorithm(rule.collective, rule.latency)->create(ctx);
  }

  void run(const CollArgs& args) override {
    const std::uint64_t bytes = args.count * dtype_size(args.dtype);
    if (latency_ && bytes < rule_.latency_threshold_bytes) return latency_->run(args);
    (bytes < rule_.threshold_bytes || !large_ ? small_ : large_)->run(args);
  }

  Parameters parameters() const override {
    Parameters p{{"auto_threshold_bytes", static_cast<std::int64_t>(rule_.threshold_bytes)}};
    if (latency_) {
      p.emplace_back("auto_latency_threshold_bytes",
                     static_cast<std::int64_t>(rule_.latency_threshold_bytes));
      for (const auto& [name, value] : latency_->parameters())
        p.emplace_back("latency_" + name, value);
    }
    for (const auto& [name, value] : small_->parameters())
      p.emplace_back("small_" + name, value);
    if (large_) {
      for (const auto& [name, value] : large_->parameters())
        p.emplace_back("large_" + name, value);
    }
    return p;
  }

  // Both candidates run over the same transport, so their parameters come the same way.
  std::string parameters_origin() const override { return small_->parameters_origin(); }

 private:
  const AutoRule& rule_;
  std::unique_ptr<Algorithm> small_;
  std::unique_ptr<Algorithm> large_;    // null when one algorithm serves every size
  std::unique_ptr<Algorithm> latency_;  // null when the rule has no latency tier
};

}  // namespace

const std::vector<AutoRule>& auto_rules() {
  // Crossovers measured with `fabricbench run --algorithm all` on 2 and 4 ranks of one host
  // (docs/PERFORMANCE.md, "auto" and "The latency algorithms"). Where the 4-rank runs
  // (more ranks than cores) are within noise, the 2-rank crossover and the cost model decide.
  static const std::vector<AutoRule> rules = {
      {Collective::allreduce, "halving-doubling", "ring", std::uint64_t{32} << 20,
       "recursive-doubling", std::uint64_t{8} << 10},
      {Collective::reducescatter, "ring", "ring", 0},
      {Collective::allgather, "bruck", "ring", std::uint64_t{32} << 10},
      {Collective::broadcast, "binomial", "chain", std::uint64_t{16} << 20},
      {Collective::reduce, "knomial", "binomial", std::uint64_t{1} << 20},
      {Collective::alltoall, "pairwise", "pairwise", 0},
      {Collective::sendrecv, "ring", "ring", 0},
  };
  return rules;
}

const AutoRule& auto_rule(Collective c) {
  for (const auto& rule : auto_rules()) {
    if (rule.collective == c) return rule;
  }
  throw std::invalid_argument("no auto rule for " + std::string(to_string(c)));
}

AlgorithmEntry auto_entry(Collective c) {
  const auto& rule = auto_rule(c);
  const auto* small = find_algorithm(c, rule.small);
  const auto* large = find_algorithm(c, rule.large);
  const auto* latency = rule.latency.empty() ? small : find_algorithm(c, rule.latency);
  if (small == nullptr || large == nullptr || latency == nullptr) {
    throw std::logic_error("auto rule for " + std::string(to_string(c)) +
                           " names a missing algorithm");
  }
  std::string description = "per size: ";
  if (!rule.latency.empty()) {
    description +=
        rule.latency + " below " + std::to_string(rule.latency_threshold_bytes) + " bytes, ";
  }
  description +=
      rule.small + " below " + std::to_string(rule.threshold_bytes) + " bytes, else " + rule.large;
  return {
      c,
      "auto",
      true,
      small->supports_in_place && large->supports_in_place && latency->supports_in_place,
      description,
      [&rule](const AlgorithmContext& ctx) { return std::make_unique<AutoAlgorithm>(rule, ctx); },
      [small, large, latency](DType t, ReduceOp op) {
        return small->handles(t, op) && large->handles(t, op) && latency->handles(t, op);
      }};
}

}  // namespace fb
