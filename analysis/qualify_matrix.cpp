#include "analysis/qualify_matrix.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "analysis/stats.hpp"

namespace fb::analysis {

namespace {

double median_of_finite(const std::vector<double>& values) {
  std::vector<double> finite;
  for (const double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  return finite.empty() ? 0.0 : median(finite);
}

// Indices of values that are low outliers among `values` (see the header).
std::vector<std::size_t> low_outliers(const std::vector<double>& values, const LocaliseOptions& o) {
  std::vector<double> finite;
  for (const double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  std::vector<std::size_t> out;
  if (finite.size() < 3) return out;
  const double centre = median(finite);
  const double scale = std::max(mad(finite), o.mad_floor);
  const double drop = std::log(1 - o.min_drop);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double d = values[i] - centre;
    if (std::isfinite(values[i]) && d / scale < -o.z_cutoff && d <= drop) out.push_back(i);
  }
  return out;
}

std::string host_of(const std::vector<std::string>& hostnames, int rank) {
  const auto r = static_cast<std::size_t>(rank);
  return r < hostnames.size() ? hostnames[r] : "rank" + std::to_string(rank);
}

}  // namespace

MatrixEffects median_polish_log(std::span<const double> values, int n, int sweeps) {
  const auto un = static_cast<std::size_t>(n);
  MatrixEffects e;
  e.n = n;
  e.row.assign(un, 0.0);
  e.column.assign(un, 0.0);
  e.residual.assign(un * un, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t k = 0; k < un * un && k < values.size(); ++k) {
    if (std::isfinite(values[k]) && values[k] > 0) e.residual[k] = std::log(values[k]);
  }
  std::vector<double> line(un);
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    for (std::size_t i = 0; i < un; ++i) {
      for (std::size_t j = 0; j < un; ++j)
        line[j] = e.residual[i * un + j];
      const double m = median_of_finite(line);
      e.row[i] += m;
      for (std::size_t j = 0; j < un; ++j)
        e.residual[i * un + j] -= m;
    }
    const double mr = median_of_finite(e.row);
    e.overall += mr;
    for (auto& r : e.row)
      r -= mr;
    for (std::size_t j = 0; j < un; ++j) {
      for (std::size_t i = 0; i < un; ++i)
        line[i] = e.residual[i * un + j];
      const double m = median_of_finite(line);
      e.column[j] += m;
      for (std::size_t i = 0; i < un; ++i)
        e.residual[i * un + j] -= m;
    }
    const double mc = median_of_finite(e.column);
    e.overall += mc;
    for (auto& c : e.column)
      c -= mc;
  }
  return e;
}

std::string to_string(LinkFinding::Kind kind) {
  switch (kind) {
    case LinkFinding::Kind::host_both:
      return "host";
    case LinkFinding::Kind::host_outgoing:
      return "host_outgoing";
    case LinkFinding::Kind::host_incoming:
      return "host_incoming";
    case LinkFinding::Kind::link:
      return "link";
  }
  return "?";
}

std::vector<LinkFinding> localise(std::span<const double> bandwidth, int n,
                                  const std::vector<std::string>& hostnames,
                                  const LocaliseOptions& options) {
  std::vector<LinkFinding> findings;
  if (n < 3) return findings;
  const auto un = static_cast<std::size_t>(n);
  const auto e = median_polish_log(bandwidth, n);
  const auto rows = low_outliers(e.row, options);
  const auto columns = low_outliers(e.column, options);
  std::vector<bool> slow_row(un, false), slow_column(un, false);
  for (const auto i : rows)
    slow_row[i] = true;
  for (const auto j : columns)
    slow_column[j] = true;
  char text[512];
  for (std::size_t r = 0; r < un; ++r) {
    if (!slow_row[r] && !slow_column[r]) continue;
    LinkFinding f;
    f.rank = static_cast<int>(r);
    f.host = host_of(hostnames, f.rank);
    const char* what = nullptr;
    if (slow_row[r] && slow_column[r]) {
      f.kind = LinkFinding::Kind::host_both;
      f.factor = std::exp((e.row[r] + e.column[r]) / 2);
      what = "sends and receives slowly (row and column): suspect the host, its NIC or its cable";
    } else if (slow_row[r]) {
      f.kind = LinkFinding::Kind::host_outgoing;
      f.factor = std::exp(e.row[r]);
      what = "sends slowly (its row, outgoing): suspect its NIC's transmit side or its cable";
    } else {
      f.kind = LinkFinding::Kind::host_incoming;
      f.factor = std::exp(e.column[r]);
      what = "receives slowly (its column, incoming): suspect its NIC's receive side or its cable";
    }
    std::snprintf(text, sizeof text, "%s (rank %zu) %s; %.0f%% of a typical link", f.host.c_str(),
                  r, what, f.factor * 100);
    f.text = text;
    findings.push_back(f);
  }
  // Single links: residual outliers among the entries not explained by a slow host.
  std::vector<double> rest(un * un, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < un; ++i) {
    for (std::size_t j = 0; j < un; ++j) {
      if (!slow_row[i] && !slow_column[j]) rest[i * un + j] = e.residual[i * un + j];
    }
  }
  for (const auto k : low_outliers(rest, options)) {
    LinkFinding f;
    f.kind = LinkFinding::Kind::link;
    f.rank = static_cast<int>(k / un);
    f.peer = static_cast<int>(k % un);
    f.host = host_of(hostnames, f.rank);
    f.peer_host = host_of(hostnames, f.peer);
    f.factor = std::exp(rest[k]);
    std::snprintf(text, sizeof text,
                  "link %s (rank %d) -> %s (rank %d) alone is slow (%.0f%% of what its hosts "
                  "reach elsewhere): suspect the path between them (cable, switch port)",
                  f.host.c_str(), f.rank, f.peer_host.c_str(), f.peer, f.factor * 100);
    f.text = text;
    findings.push_back(f);
  }
  return findings;
}

}  // namespace fb::analysis
