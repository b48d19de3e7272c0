#include "harness/p2p/p2p_report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

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
  for (const auto& g : m.link_groups)
    std::printf("# links %s\n", g.c_str());
  for (const auto& g : m.flagged_groups)
    std::printf("# SLOW TOGETHER: %s\n", g.c_str());
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

namespace {

double median_of_links(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

std::string percent_of(double part, double whole) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", part / whole * 100);
  return text;
}

}  // namespace

void group_links(results::LinkMatrix& m, const topo::Topology& model,
                 const topo::Placement& placement) {
  const auto n = static_cast<std::size_t>(m.n_ranks);
  m.link_groups.clear();
  m.flagged_groups.clear();
  if (placement.ranks.size() != n) return;
  const bool switches = !model.switches.empty();
  auto host_of = [&](std::size_t r) { return placement.ranks[r].host; };
  auto leaf_of = [&](std::size_t r) { return model.leaf_of(host_of(r)); };
  // Every measured entry once per direction, by class.
  std::map<std::string, std::vector<double>> classes;
  struct Entry {
    std::size_t i, j;
    double bw;
  };
  std::vector<Entry> between;  // entries between different hosts
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double bw = m.bandwidth_GBps[i * n + j];
      if (i == j || std::isnan(bw)) continue;
      std::string cls;
      if (host_of(i) == host_of(j)) {
        cls = "within a host";
      } else if (!switches) {
        cls = "between hosts";
      } else if (!leaf_of(i).empty() && leaf_of(i) == leaf_of(j)) {
        cls = "within leaf " + leaf_of(i);
      } else {
        cls = "across the spine";
      }
      classes[cls].push_back(bw);
      if (host_of(i) != host_of(j)) between.push_back({i, j, bw});
    }
  }
  for (const auto& [name, values] : classes) {
    m.link_groups.push_back(name + ": " + std::to_string(values.size()) + " links, median " +
                            format_figure(median_of_links(values)) + " GB/s");
  }
  const double f = m.threshold_fraction;
  // Links between different hosts by family: within some leaf, across the spine, between
  // hosts (no switches). A leaf or host is compared with the links of the same family without
  // an end on it, family by family.
  auto family = [&](const Entry& e) {
    if (!switches) return 0;
    return !leaf_of(e.i).empty() && leaf_of(e.i) == leaf_of(e.j) ? 1 : 2;
  };
  auto flag_group = [&](const std::string& what, const auto& touches) {
    bool compared = false;
    std::string worst;
    for (int fam = 2; fam >= 0; --fam) {  // the cross-spine links, with most to say, first
      std::vector<double> in, out;
      for (const auto& e : between) {
        if (family(e) != fam) continue;
        (touches(e.i) || touches(e.j) ? in : out).push_back(e.bw);
      }
      if (in.empty() || out.empty()) continue;
      const double a = median_of_links(in);
      const double b = median_of_links(out);
      if (a >= f * b) return false;  // fine in one family: not slow together
      if (!compared) {
        worst = what + ": its " + std::to_string(in.size()) + " " +
                (fam == 1   ? "within-leaf "
                 : fam == 2 ? "cross-spine "
                            : "") +
                "links have a median of " + format_figure(a) + " GB/s, " + percent_of(a, b) +
                " of the other such links' " + format_figure(b) + " GB/s";
      }
      compared = true;
    }
    if (compared) m.flagged_groups.push_back(worst);
    return compared;
  };
  std::set<std::string> flagged_leaves;
  if (switches) {
    std::set<std::string> leaves;
    for (std::size_t r = 0; r < n; ++r)
      if (!leaf_of(r).empty()) leaves.insert(leaf_of(r));
    for (const auto& leaf : leaves) {
      if (flag_group("leaf " + leaf, [&](std::size_t r) { return leaf_of(r) == leaf; }))
        flagged_leaves.insert(leaf);
    }
    // The spine against the leaves, without the links of a leaf flagged already.
    std::vector<double> cross, local;
    for (const auto& e : between) {
      if (flagged_leaves.count(leaf_of(e.i)) != 0 || flagged_leaves.count(leaf_of(e.j)) != 0)
        continue;
      (family(e) == 2 ? cross : local).push_back(e.bw);
    }
    if (!cross.empty() && !local.empty()) {
      const double a = median_of_links(cross);
      const double b = median_of_links(local);
      if (a < f * b) {
        m.flagged_groups.push_back("the spine: links across it have a median of " +
                                   format_figure(a) + " GB/s, " + percent_of(a, b) +
                                   " of the within-leaf median " + format_figure(b) + " GB/s");
      }
    }
  }
  std::set<int> hosts;
  for (std::size_t r = 0; r < n; ++r)
    hosts.insert(host_of(r));
  for (const int h : hosts) {
    if (flagged_leaves.count(model.leaf_of(h)) != 0) continue;
    flag_group("host " + model.hosts[static_cast<std::size_t>(h)].name,
               [&](std::size_t r) { return host_of(r) == h; });
  }
}

}  // namespace fb
