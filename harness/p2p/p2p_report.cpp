#include "harness/p2p/p2p_report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "harness/cli/size_parse.hpp"
#include "harness/number_format.hpp"

namespace fb {

void P2PReport::begin(const std::string& name, const results::P2PSeriesInfo& info) {
  latency_ = info.test == "latency";
  std::printf("#\n# p2p %s  transport %s  pairs %s  ranks %" PRId64 "  iterations %" PRId64
              "  window %" PRId64 "\n",
              info.test.c_str(), info.transport.c_str(), pairs_label_of(info).c_str(), info.n_ranks,
              info.iterations, info.window);
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

void P2PReport::point(const results::P2PPointRecord& r, const std::vector<double>& samples,
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

void P2PReport::matrix(const std::string& name, const results::LinkMatrix& m) {
  const auto n = static_cast<std::size_t>(m.n_ranks);
  auto print = [&](const char* title, const std::vector<double>& v) {
    std::printf("#\n# %s matrix over %s (row: sender rank, column: receiver rank)\n#      ", title,
                m.transport.c_str());
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

std::string P2PReport::pairs_label_of(const results::P2PSeriesInfo& info) {
  std::string out;
  for (const auto& p : info.pairs)
    out += (out.empty() ? "" : ",") + p;
  return out;
}

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

}  // namespace fb
