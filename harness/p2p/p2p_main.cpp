#include "harness/p2p/p2p_main.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "harness/cli/size_parse.hpp"
#include "harness/number_format.hpp"
#include "harness/output_path.hpp"
#include "harness/p2p/p2p_bench.hpp"
#include "harness/p2p/p2p_bisection.hpp"
#include "harness/p2p/p2p_report.hpp"
#include "harness/plan.hpp"
#include "harness/provenance.hpp"
#include "harness/rank_layout.hpp"
#include "harness/run_control.hpp"
#include "harness/run_session.hpp"
#include "harness/signals.hpp"
#include "harness/statistics.hpp"
#include "results/results.hpp"
#include "transports/error.hpp"
#include "transports/registry.hpp"

namespace fb {

void stream_record(std::uint64_t size, const StreamResult& m, results::P2PPointRecord& r,
                   std::vector<double>& samples, std::int64_t& wrong) {
  samples = m.samples_us;
  wrong = m.wrong;
  r.size_bytes = size;
  r.iterations = samples.size();
  r.bw_GBps = m.bw_GBps;
  r.msg_rate_Mps = m.msg_rate_Mps;
}

int run_p2p(const P2POptions& o, Bootstrap& bootstrap, FaultReporter* faults) {
  const int n = bootstrap.size();
  const int rank = bootstrap.rank();
  auto fail = [&](const std::string& message) {
    if (rank == 0) std::fprintf(stderr, "fabricbench: error: %s\n", message.c_str());
    return kExitBadInput;
  };
  if (n < 2) return fail("p2p tests need at least 2 ranks (this job has 1)");
  if (o.delay_rank >= n)
    return fail("--debug-delay-rank " + std::to_string(o.delay_rank) + " is not a rank");

  // Option validation already refused unusable transports named explicitly and dropped
  // them from `all`.
  const std::vector<std::string>& transports = o.transports.items;

  auto info = collect_run_info(bootstrap, o.command_line);
  JobPlacement job;
  try {
    job = place_job(o, info.hostnames);
  } catch (const PlanError& e) {
    return fail(e.what());
  }
  choose_nics(job, bootstrap, this_host_locality());
  record_placement(job, info);
  pin_nic(job, rank);
  auto tests = o.tests.items;
  if (std::find(tests.begin(), tests.end(), P2PTest::bisection) != tests.end()) {
    try {
      plan_bisection(*job.model, job.placement, 0, 0, 0);
    } catch (const std::invalid_argument& e) {
      if (!o.tests.from_all) return fail(std::string("--test bisection: ") + e.what());
      // Part of `all`: the other tests still measure.
      if (rank == 0) std::fprintf(stderr, "fabricbench: skipping bisection: %s\n", e.what());
      tests.erase(std::remove(tests.begin(), tests.end(), P2PTest::bisection), tests.end());
    }
  }
  std::unique_ptr<results::Hdf5Writer> writer;
  std::string path;
  const auto mode =
      o.overwrite ? results::Hdf5Writer::Create::kReplace : results::Hdf5Writer::Create::kNew;
  const int opened = open_results_everywhere(
      bootstrap, {o.out, false, o.overwrite},
      [&](const std::string& file) {
        writer = std::make_unique<results::Hdf5Writer>(file, info, mode);
      },
      path);
  if (opened != kExitOk) return opened;

  // The line rate: given by the user for every transport, else each transport's own once it
  // is up (an RDMA port knows its rate; UCX and MPI do not, and their series record 0).
  double line_rate = o.line_rate_Gbps;
  const bool show_progress = draws_progress(o.progress, rank);
  P2PReport report(writer.get(), line_rate);
  const auto print_line_rate = [&](const std::string& of) {
    if (rank == 0 && line_rate > 0) {
      std::printf("# line rate %s Gb/s (%s GB/s)%s\n", format_figure(line_rate).c_str(),
                  format_figure(line_rate / 8).c_str(), of.c_str());
    }
  };
  if (rank == 0) {
    std::printf("# fabricbench p2p %s (%s)  ranks %d\n# %s\n", info.tool_version.c_str(),
                info.git_revision.c_str(), n, info.command_line.c_str());
  }
  print_line_rate("");
  P2PConfig config;
  config.iters = o.iters;
  config.warmup = o.warmup;
  config.window = o.window;
  config.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
  config.delay_rank = o.delay_rank;
  config.delay = std::chrono::microseconds(o.delay_us);
  const auto sizes = sweep_sizes(o.min_bytes, o.max_bytes, o.step_factor);
  const std::size_t max_bytes =
      std::max({o.max_bytes, o.matrix_latency_bytes, o.matrix_bandwidth_bytes});

  std::int64_t wrong_total = 0;
  int stop_signal = 0;
  bool write_failed = false;
  bool flagged = false;
  // At every point boundary, the run's control step (harness/run_control.hpp): a stop signal
  // on any rank, and whether rank 0 could not write the results file (a decision it makes
  // alone), so that every rank stops at the same point and none waits for one that stopped.
  RunControl control(bootstrap, [&] { return rank == 0 ? report.failure() : std::string(); });
  std::size_t unavailable = 0;  // transports that could not start
  // A lost peer ends the run here, each survivor naming it (harness/faults/fault.hpp); rank 0
  // records that in the file first.
  FaultWiring wiring(faults, config.timeout);
  if (rank == 0) {
    wiring.record_failures_with([&report](const std::string& why) { report.set_status(why); });
  }
  const auto series_info = [&](P2PTest test, const std::string& transport_name,
                               const std::vector<std::pair<int, int>>& pairs) {
    results::P2PSeriesInfo si;
    si.test = to_string(test);
    si.transport = transport_name;
    si.n_ranks = n;
    si.iterations = o.iters;
    si.warmup = o.warmup;
    si.window = test == P2PTest::latency ? 1 : o.window;
    for (const auto& [a, b] : pairs)
      si.pairs.push_back(std::to_string(a) + "-" + std::to_string(b));
    si.line_rate_Gbps = line_rate;
    return si;
  };
  // One series over the sizes; false when a stop signal or a failed write ended it early.
  const auto sweep = [&](const std::string& series_name, const results::P2PSeriesInfo& si,
                         const auto& measure) {
    if (rank == 0) report.begin(series_name, si);
    for (const auto size : sizes) {
      const auto& now = control.step();
      if ((write_failed = now.results_failed) || (stop_signal = now.signal) != 0) return false;
      if (show_progress) {
        std::fprintf(stderr, "\r\033[K[p2p %s] measuring %s", series_name.c_str(),
                     format_size(size).c_str());
        std::fflush(stderr);
      }
      results::P2PPointRecord r;
      std::vector<double> samples;
      std::int64_t wrong = 0;
      measure(size, r, samples, wrong);
      wrong_total += wrong;
      if (show_progress) std::fprintf(stderr, "\r\033[K");
      if (rank == 0) report.point(r, samples, wrong);
    }
    return true;
  };
  try {
    for (const auto& transport_name : transports) {
      if (stop_signal != 0 || write_failed) break;
      std::unique_ptr<Transport> transport;
      try {
        transport = find_transport(transport_name)->create(bootstrap);
      } catch (const TransportUnavailable& e) {
        // Thrown alike on every rank: report it once and measure the other transports.
        if (rank == 0) {
          std::fprintf(stderr,
                       "fabricbench: the %s transport cannot start here; its tests are skipped: "
                       "%s\n",
                       transport_name.c_str(), e.what());
        }
        ++unavailable;
        continue;
      }
      if (o.line_rate_Gbps == 0) {
        line_rate = transport->line_rate_Gbps().value_or(0.0);
        report.set_line_rate(line_rate);
        print_line_rate(", the " + transport_name + " transport's link");
      }
      P2PBench bench(*transport, bootstrap, config, max_bytes);
      std::vector<std::pair<int, int>> pairs_half;  // (i, i + n/2): multipair, msgrate
      pairs_half.reserve(static_cast<std::size_t>(n / 2));
      for (int i = 0; i < n / 2; ++i)
        pairs_half.emplace_back(i, i + n / 2);
      for (const auto test : tests) {
        if (stop_signal != 0 || write_failed) break;
        const std::string test_name(to_string(test));
        if (test == P2PTest::matrix) {
          const auto m =
              bench.matrix(o.matrix_latency_bytes, o.matrix_bandwidth_bytes, o.iters, o.iters);
          wrong_total += m.wrong;
          results::LinkMatrix lm;
          lm.transport = transport_name;
          lm.n_ranks = n;
          lm.hostnames = info.hostnames;
          lm.latency_bytes = o.matrix_latency_bytes;
          lm.bandwidth_bytes = o.matrix_bandwidth_bytes;
          lm.latency_us = m.latency_us;
          lm.bandwidth_GBps = m.bandwidth_GBps;
          lm.threshold_fraction = o.matrix_threshold;
          lm.line_rate_Gbps = line_rate;
          lm.iterations = o.iters;
          lm.window = o.window;
          lm.latency_samples_us = m.latency_samples_us;
          lm.bandwidth_samples_us = m.bandwidth_samples_us;
          flag_links(lm);
          group_links(lm, *job.model, job.placement);
          flagged = flagged || !lm.flagged.empty() || !lm.flagged_groups.empty();
          if (rank == 0) report.matrix("links." + transport_name, lm);
          continue;
        }
        if (test == P2PTest::bisection) {
          const auto pairings = plan_bisection(*job.model, job.placement, o.bisection_random,
                                               o.bisection_seed, line_rate);
          std::vector<BisectionMeasured> largest(pairings.size());
          bool whole = true;  // every pairing reached the largest size
          for (std::size_t i = 0; i < pairings.size() && whole; ++i) {
            const auto& pairing = pairings[i];
            auto si = series_info(test, transport_name, pairing.rank_pairs);
            si.pairing = pairing.label;
            si.host_pairs = pairing.host_pair_names;
            si.host_rate_sum_Gbps = pairing.rate_sum_Gbps;
            std::string label = pairing.label;
            label.erase(std::remove(label.begin(), label.end(), ' '), label.end());
            std::string name = "bisection.";
            name.append(transport_name).append(".").append(label);
            whole = sweep(name, si,
                          [&](std::uint64_t size, results::P2PPointRecord& r,
                              std::vector<double>& samples, std::int64_t& wrong) {
                            const auto m = bench.stream(pairing.rank_pairs, false, size);
                            stream_record(size, m, r, samples, wrong);
                            r.per_pair_GBps = m.per_pair_GBps;
                            largest[i] = {m.bw_GBps, m.per_pair_GBps};
                          });
          }
          if (whole && rank == 0) {
            const auto verdict = judge_bisection(pairings, largest, sizes.back());
            std::printf("#\n");
            for (const auto& line : verdict.lines)
              std::printf("# %s\n", line.c_str());
            std::fflush(stdout);
          }
          continue;
        }
        const std::vector<std::pair<int, int>> pairs =
            test == P2PTest::multipair ? pairs_half : std::vector<std::pair<int, int>>{{0, 1}};
        const auto si = series_info(test, transport_name, pairs);
        std::string series_name = test_name;
        series_name += ".";
        series_name += transport_name;
        sweep(series_name, si,
              [&](std::uint64_t size, results::P2PPointRecord& r, std::vector<double>& samples,
                  std::int64_t& wrong) {
                if (test == P2PTest::latency) {
                  samples = bench.latency(0, 1, size, wrong);
                  r = latency_record(size, samples);
                  return;
                }
                const auto m = test == P2PTest::msgrate
                                   ? bench.message_rate(pairs, size)
                                   : bench.stream(pairs, test == P2PTest::bibw, size);
                stream_record(size, m, r, samples, wrong);
                if (test == P2PTest::multipair) r.per_pair_GBps = m.per_pair_GBps;
              });
      }
    }
  } catch (const TransportError& e) {
    if (faults != nullptr) faults->fatal(e.what());
    throw;
  }
  wiring.disarm();
  RunEnd end;
  end.stop_signal = stop_signal;
  end.nothing_ran = unavailable == transports.size();
  end.wrong = wrong_total;
  end.wrong_unit = "payload bytes that arrived wrong";
  end.links_flagged = flagged;
  RunFile file;
  file.path = path;
  file.set_status = [&report](const std::string& status) { report.set_status(status); };
  file.write_failed = [&control] { return control.step().results_failed; };
  file.failure = [&report] {
    return "cannot write the results file: " + report.failure() +
           " (the points recorded before are kept)";
  };
  if (!end.nothing_ran && rank == 0) {
    std::printf("#\n# results: %s\n", path.c_str());
    std::fflush(stdout);
  }
  return finish_run(end, file, rank);
}

// Latency statistics of one point from its half round trips (p2p_main.hpp).
results::P2PPointRecord latency_record(std::uint64_t bytes, const std::vector<double>& samples) {
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  results::P2PPointRecord r;
  r.size_bytes = bytes;
  r.iterations = samples.size();
  r.lat_min_us = sorted.front();
  r.lat_p50_us = percentile_sorted(sorted, 50);
  r.lat_p90_us = percentile_sorted(sorted, 90);
  r.lat_p99_us = percentile_sorted(sorted, 99);
  r.lat_p999_us = percentile_sorted(sorted, 99.9);
  r.lat_max_us = sorted.back();
  return r;
}

}  // namespace fb
