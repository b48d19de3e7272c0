#include "harness/p2p_main.hpp"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "harness/number_format.hpp"
#include "harness/output_path.hpp"
#include "harness/p2p.hpp"
#include "harness/provenance.hpp"
#include "harness/run_control.hpp"
#include "harness/signals.hpp"
#include "harness/size_parse.hpp"
#include "harness/statistics.hpp"
#include "results/results.hpp"
#include "transports/error.hpp"
#include "transports/local_placement.hpp"
#include "transports/registry.hpp"
#include "transports/verbs/verbs_line_rate.hpp"

namespace fb {

namespace {

// Rank 0's output: tables on stdout and the HDF5 file.
class P2PReport {
 public:
  P2PReport(results::Hdf5Writer* writer, double line_rate_Gbps)
      : writer_(writer), line_rate_Gbps_(line_rate_Gbps) {}

  void begin(const std::string& name, const results::P2PSeriesInfo& info) {
    latency_ = info.test == "latency";
    std::printf("#\n# p2p %s  transport %s  pairs %s  ranks %" PRId64 "  iterations %" PRId64
                "  window %" PRId64 "\n",
                info.test.c_str(), info.transport.c_str(), pairs_label_of(info).c_str(),
                info.n_ranks, info.iterations, info.window);
    if (latency_) {
      std::printf("# %12s %10s %10s %10s %10s %10s %10s %8s\n", "size(B)", "min(us)", "p50(us)",
                  "p90(us)", "p99(us)", "p99.9(us)", "max(us)", "#wrong");
    } else {
      std::printf("# %12s %12s %12s %10s %14s %8s\n", "size(B)", "bw(GB/s)", "bw(Gb/s)", "%line",
                  "rate(Mmsg/s)", "#wrong");
    }
    std::fflush(stdout);
    record([&] { series_ = writer_->begin_p2p_series(name, info); });
  }

  void point(const results::P2PPointRecord& r, const std::vector<double>& samples,
             std::int64_t wrong) {
    if (latency_) {
      std::printf("  %12" PRIu64 " %10s %10s %10s %10s %10s %10s %8" PRId64 "\n", r.size_bytes,
                  format_figure(r.lat_min_us).c_str(), format_figure(r.lat_p50_us).c_str(),
                  format_figure(r.lat_p90_us).c_str(), format_figure(r.lat_p99_us).c_str(),
                  format_figure(r.lat_p999_us).c_str(), format_figure(r.lat_max_us).c_str(), wrong);
    } else {
      const std::string line_pct =
          line_rate_Gbps_ > 0 ? format_figure(r.bw_GBps * 8 / line_rate_Gbps_ * 100) : "-";
      std::printf("  %12" PRIu64 " %12s %12s %10s %14s %8" PRId64 "\n", r.size_bytes,
                  format_figure(r.bw_GBps).c_str(), format_figure(r.bw_GBps * 8).c_str(),
                  line_pct.c_str(), format_figure(r.msg_rate_Mps).c_str(), wrong);
    }
    std::fflush(stdout);
    record([&] { writer_->append_p2p_point(series_, r, samples); });
  }

  void matrix(const std::string& name, const results::LinkMatrix& m) {
    const auto n = static_cast<std::size_t>(m.n_ranks);
    auto print = [&](const char* title, const std::vector<double>& v) {
      std::printf("#\n# %s matrix over %s (row: sender rank, column: receiver rank)\n#      ",
                  title, m.transport.c_str());
      for (std::size_t j = 0; j < n; ++j)
        std::printf(" %9zu", j);
      std::printf("\n");
      for (std::size_t i = 0; i < n; ++i) {
        std::printf("  %4zu ", i);
        for (std::size_t j = 0; j < n; ++j) {
          if (std::isnan(v[i * n + j])) {
            std::printf(" %9s", "-");
          } else {
            std::printf(" %9s", format_figure(v[i * n + j]).c_str());
          }
        }
        std::printf("\n");
      }
    };
    print(("latency (us) at " + format_size(m.latency_bytes)).c_str(), m.latency_us);
    print(("bandwidth (GB/s) at " + format_size(m.bandwidth_bytes)).c_str(), m.bandwidth_GBps);
    std::printf("# median link bandwidth %s GB/s; threshold %.0f%% of it\n",
                format_figure(m.median_bandwidth_GBps).c_str(), m.threshold_fraction * 100);
    if (m.flagged.empty()) std::printf("# no link below the threshold\n");
    for (const auto& f : m.flagged)
      std::printf("# SLOW LINK: %s\n", f.c_str());
    std::fflush(stdout);
    record([&] { writer_->write_matrix(name, m); });
  }

  void set_status(const std::string& status) {
    record([&] { writer_->set_status(status); });
  }

  // Why the file could not be written; empty while it could. Once it is set nothing more is
  // written, and the run stops at the next point boundary.
  std::string failure() const { return writer_ != nullptr ? writer_->failure() : std::string(); }

 private:
  // A failed write is recorded by the writer (failure()); the report then only stops writing.
  template <typename Write>
  void record(Write&& write) {
    if (writer_ == nullptr || !writer_->failure().empty()) return;
    try {
      write();
    } catch (const results::ResultsWriteFailed&) {
    }
  }

  static std::string pairs_label_of(const results::P2PSeriesInfo& info) {
    std::string out;
    for (const auto& p : info.pairs)
      out += (out.empty() ? "" : ",") + p;
    return out;
  }
  results::Hdf5Writer* writer_;
  double line_rate_Gbps_;
  bool latency_ = false;
  std::size_t series_ = 0;
};

// The links whose bandwidth in either direction is below `fraction` of the median.
void flag_links(results::LinkMatrix& m) {
  const auto n = static_cast<std::size_t>(m.n_ranks);
  std::vector<double> measured;
  for (const double v : m.bandwidth_GBps) {
    if (!std::isnan(v)) measured.push_back(v);
  }
  if (measured.empty()) return;
  std::sort(measured.begin(), measured.end());
  m.median_bandwidth_GBps =
      measured.size() % 2 == 1
          ? measured[measured.size() / 2]
          : (measured[measured.size() / 2 - 1] + measured[measured.size() / 2]) / 2;
  const double limit = m.threshold_fraction * m.median_bandwidth_GBps;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double bw = m.bandwidth_GBps[i * n + j];
      if (i == j || std::isnan(bw) || bw >= limit) continue;
      char text[512];
      std::snprintf(text, sizeof text,
                    "%s (rank %zu) -> %s (rank %zu): %s GB/s, %.0f%% of the median",
                    m.hostnames[i].c_str(), i, m.hostnames[j].c_str(), j, format_figure(bw).c_str(),
                    bw / m.median_bandwidth_GBps * 100);
      m.flagged.emplace_back(text);
    }
  }
}

}  // namespace

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
  const std::vector<std::string>& transports = o.transports;

  const auto info = collect_run_info(bootstrap, o.command_line);
  std::unique_ptr<results::Hdf5Writer> writer;
  std::string path;
  // Rank 0 decides alone whether the file can be made; every rank learns the verdict.
  std::vector<std::int64_t> verdict{kExitOk};
  if (rank == 0) {
    const auto mode =
        o.overwrite ? results::Hdf5Writer::Create::kReplace : results::Hdf5Writer::Create::kNew;
    verdict[0] = open_results_file(
        {o.out, false, o.overwrite},
        [&](const std::string& file) {
          writer = std::make_unique<results::Hdf5Writer>(file, info, mode);
        },
        path);
  }
  bootstrap.allreduce_sum(verdict);  // only rank 0 contributes
  if (verdict[0] != kExitOk) return static_cast<int>(verdict[0]);

  // The line rate: given by the user, else read from the RDMA port when verbs is in use.
  double line_rate = o.line_rate_Gbps;
  if (line_rate == 0 &&
      std::find(transports.begin(), transports.end(), "verbs") != transports.end()) {
    // The port the transport gives this rank (one per local rank with a device list).
    line_rate = verbs_line_rate_Gbps(local_placement(bootstrap).local_rank).value_or(0.0);
  }
  const bool show_progress =
      rank == 0 && (o.progress == RunOptions::Progress::on ||
                    (o.progress == RunOptions::Progress::automatic && isatty(STDERR_FILENO)));
  P2PReport report(writer.get(), line_rate);
  if (rank == 0) {
    std::printf("# fabricbench p2p %s (%s)  ranks %d\n# %s\n", info.tool_version.c_str(),
                info.git_revision.c_str(), n, info.command_line.c_str());
    if (line_rate > 0) {
      std::printf("# line rate %s Gb/s (%s GB/s)\n", format_figure(line_rate).c_str(),
                  format_figure(line_rate / 8).c_str());
    }
  }
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
  // A lost peer ends the run here, each survivor naming it (harness/fault.hpp); rank 0
  // records that in the file first.
  if (faults != nullptr) faults->set_linger_limit(config.timeout + std::chrono::seconds(7));
  if (faults != nullptr && rank == 0) {
    faults->set_on_fatal([&report](const std::string& why) { report.set_status(why); });
  }
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
      P2PBench bench(*transport, bootstrap, config, max_bytes);
      std::vector<std::pair<int, int>> pairs_half;  // (i, i + n/2): multipair, msgrate
      pairs_half.reserve(static_cast<std::size_t>(n / 2));
      for (int i = 0; i < n / 2; ++i)
        pairs_half.emplace_back(i, i + n / 2);
      for (const auto test : o.tests) {
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
          flagged = flagged || !lm.flagged.empty();
          if (rank == 0) report.matrix("links." + transport_name, lm);
          continue;
        }
        const std::vector<std::pair<int, int>> pairs =
            test == P2PTest::multipair ? pairs_half : std::vector<std::pair<int, int>>{{0, 1}};
        results::P2PSeriesInfo si;
        si.test = test_name;
        si.transport = transport_name;
        si.n_ranks = n;
        si.iterations = o.iters;
        si.warmup = o.warmup;
        si.window = test == P2PTest::latency ? 1 : o.window;
        for (const auto& [a, b] : pairs)
          si.pairs.push_back(std::to_string(a) + "-" + std::to_string(b));
        si.line_rate_Gbps = line_rate;
        std::string series_name = test_name;
        series_name += ".";
        series_name += transport_name;
        if (rank == 0) report.begin(series_name, si);
        for (const auto size : sizes) {
          const auto& now = control.step();
          if ((write_failed = now.results_failed) || (stop_signal = now.signal) != 0) break;
          if (show_progress) {
            std::fprintf(stderr, "\r\033[K[p2p %s %s] measuring %s", test_name.c_str(),
                         transport_name.c_str(), format_size(size).c_str());
            std::fflush(stderr);
          }
          results::P2PPointRecord r;
          std::vector<double> samples;
          std::int64_t wrong = 0;
          if (test == P2PTest::latency) {
            samples = bench.latency(0, 1, size, wrong);
            r = latency_record(size, samples);
          } else {
            const auto s = test == P2PTest::msgrate
                               ? bench.message_rate(pairs, size)
                               : bench.stream(pairs, test == P2PTest::bibw, size);
            samples = s.samples_us;
            wrong = s.wrong;
            r.size_bytes = size;
            r.iterations = samples.size();
            r.bw_GBps = s.bw_GBps;
            r.msg_rate_Mps = s.msg_rate_Mps;
            if (test == P2PTest::multipair) r.per_pair_GBps = s.per_pair_GBps;
          }
          wrong_total += wrong;
          if (show_progress) std::fprintf(stderr, "\r\033[K");
          if (rank == 0) report.point(r, samples, wrong);
        }
      }
    }
  } catch (const TransportError& e) {
    if (faults != nullptr) faults->fatal(e.what());
    throw;
  }
  if (faults != nullptr) faults->set_on_fatal({});
  if (unavailable == transports.size()) {
    if (rank == 0) {
      report.set_status("failed: no transport can start here");
      std::fprintf(stderr, "fabricbench: error: no transport of the plan can start here\n");
    }
    return kExitBadInput;
  }
  if (rank == 0) {
    report.set_status(stop_signal != 0 ? "interrupted by " + signal_name(stop_signal) : "complete");
  }
  // The last write (or the status) may have failed: every rank learns it before returning.
  if (control.step().results_failed) {
    if (rank == 0) {
      std::fprintf(stderr,
                   "fabricbench: error: cannot write the results file: %s (the points recorded "
                   "before are kept)\n",
                   report.failure().c_str());
    }
    return kExitResultsFile;
  }
  if (rank == 0) {
    std::printf("#\n# results: %s\n", path.c_str());
    std::fflush(stdout);
  }
  if (stop_signal != 0) {
    if (rank == 0)
      std::fprintf(stderr, "fabricbench: interrupted by %s\n", signal_name(stop_signal).c_str());
    return kExitInterrupted;
  }
  if (wrong_total > 0) {
    if (rank == 0)
      std::fprintf(stderr, "fabricbench: error: %" PRId64 " payload bytes arrived wrong\n",
                   wrong_total);
    return kExitWrongResult;
  }
  if (flagged) {
    if (rank == 0)
      std::fprintf(stderr, "fabricbench: links below the threshold (see SLOW LINK lines)\n");
    return kExitLinkFlagged;
  }
  return kExitOk;
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
