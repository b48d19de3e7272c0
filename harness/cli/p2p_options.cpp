// `fabricbench p2p`'s options: declared, then checked into P2POptions.
#include <string>

#include "core/rate_parse.hpp"
#include "harness/cli/option_text.hpp"
#include "harness/cli/options_common.hpp"
#include "harness/cli/size_parse.hpp"
#include "transports/registry.hpp"

namespace fb::cli {

P2POptions validate_p2p(const RawP2POptions& raw) {
  P2POptions o;
  std::vector<P2PTest> every_test;
  for (const auto& name : p2p_test_names())
    every_test.push_back(*parse_p2p_test(name));
  o.tests = parse_list_or_all<P2PTest>(raw.test, "p2p test", parse_p2p_test, p2p_test_names(),
                                       every_test);
  o.transports = usable_transports(raw.transport);
  parse_sweep(raw, o);
  parse_topology(raw, o);
  o.window = static_cast<int>(count_option(raw.window, "--window", 1));
  if (o.window > 65536) throw BadInput("--window: at most 65536 messages in flight");
  if (!raw.line_rate.empty()) {
    std::string error;
    const auto rate = parse_rate_Gbps(raw.line_rate, &error);
    if (!rate) throw BadInput("--line-rate: " + error);
    o.line_rate_Gbps = *rate;
  }
  o.matrix_latency_bytes = size_option(raw.matrix_latency, "--matrix-latency-size");
  o.matrix_bandwidth_bytes = size_option(raw.matrix_bandwidth, "--matrix-bandwidth-size");
  const auto threshold = parse_seconds(raw.matrix_threshold);  // a positive number
  if (!threshold || *threshold >= 1) {
    throw BadInput("--matrix-threshold: '" + raw.matrix_threshold +
                   "' must be a fraction in (0, 1)");
  }
  o.matrix_threshold = *threshold;
  o.bisection_random =
      static_cast<int>(count_option(raw.bisection_pairings, "--bisection-pairings", 0));
  if (o.bisection_random > 1000) throw BadInput("--bisection-pairings: at most 1000");
  o.bisection_seed =
      static_cast<std::uint64_t>(count_option(raw.bisection_seed, "--bisection-seed", 0));
  if (!raw.delay_rank.empty()) {
    const auto rank = parse_count(raw.delay_rank);
    if (!rank || *rank > 1'000'000'000)
      throw BadInput("--debug-delay-rank: '" + raw.delay_rank + "' is not a rank");
    o.delay_rank = static_cast<int>(*rank);
  }
  o.delay_us = count_option(raw.delay_us, "--debug-delay-us", 0);
  o.progress = choose(progress_choices(), raw.progress, "--progress");
  o.out = raw.out;
  o.overwrite = raw.overwrite;
  return o;
}

void add_p2p_subcommand(CLI::App& app, RawP2POptions& raw) {
  auto* p2p =
      app.add_subcommand("p2p", "Point-to-point latency, bandwidth and the all-pairs link matrix");
  p2p->add_option("--test", raw.test, "Tests, comma separated, or all: " + join(p2p_test_names()))
      ->capture_default_str();
  p2p->add_option("--transport", raw.transport, "Transports, or all: " + join(transport_names()))
      ->capture_default_str();
  add_sweep_options(*p2p, raw, "Timed iterations (round trips or windows) per size");
  p2p->add_option("--window", raw.window, "Bandwidth tests: messages in flight per iteration")
      ->capture_default_str();
  p2p->add_option("--line-rate", raw.line_rate,
                  "Link line rate, SI units of bits (Mb, Gbit, Gbps, Gb/s, Tb) or bytes (MB, "
                  "GB/s), e.g. 400Gb, 2.5Gbit/s, 300Mb, 50GB (default: from the transport's "
                  "link when it knows it, as an RDMA port does)");
  p2p->add_option("--matrix-latency-size", raw.matrix_latency, "Matrix: latency message size")
      ->capture_default_str();
  p2p->add_option("--matrix-bandwidth-size", raw.matrix_bandwidth, "Matrix: bandwidth message size")
      ->capture_default_str();
  p2p->add_option("--matrix-threshold", raw.matrix_threshold,
                  "Matrix: flag links below this fraction of the median link bandwidth")
      ->capture_default_str();
  p2p->add_option("--bisection-pairings", raw.bisection_pairings,
                  "Bisection: random pairings of the hosts measured besides the worst one")
      ->capture_default_str();
  p2p->add_option("--bisection-seed", raw.bisection_seed,
                  "Bisection: the seed of the random pairings (the same seed, the same pairings)")
      ->capture_default_str();
  p2p->add_option("--debug-delay-rank", raw.delay_rank, "Testing aid: this rank delays every send");
  p2p->add_option("--debug-delay-us", raw.delay_us, "Testing aid: the delay, microseconds")
      ->capture_default_str();
  add_wait_options(*p2p, raw);
  add_results_file_options(*p2p, raw);
  add_topology_option(*p2p, raw);
}

}  // namespace fb::cli
