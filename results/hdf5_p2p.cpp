// Point-to-point series and link matrices (schema version 2): writing and reading.
// Layout: results/SCHEMA.md.
#include "results/hdf5_p2p.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/hdf5_io.hpp"

namespace fb::results::detail {

namespace {

constexpr const char* kLatencyTest = "latency";
constexpr const char* kMultipairTest = "multipair";
constexpr const char* kBisectionTest = "bisection";
// The tests whose points keep every pair's bandwidth.
bool keeps_per_pair(const std::string& test) {
  return test == kMultipairTest || test == kBisectionTest;
}

// One row of `points` for test == "latency". 8-byte members only: no padding.
struct LatencyRow {
  std::uint64_t size_bytes = 0;
  std::uint64_t iterations = 0;
  double lat_min_us = 0;
  double lat_p50_us = 0;
  double lat_p90_us = 0;
  double lat_p99_us = 0;
  double lat_p999_us = 0;
  double lat_max_us = 0;
};

constexpr std::array<Field, 8> kLatencyFields = {{
    {"size_bytes", offsetof(LatencyRow, size_bytes), FieldType::kUint64},
    {"iterations", offsetof(LatencyRow, iterations), FieldType::kUint64},
    {"lat_min_us", offsetof(LatencyRow, lat_min_us), FieldType::kFloat64},
    {"lat_p50_us", offsetof(LatencyRow, lat_p50_us), FieldType::kFloat64},
    {"lat_p90_us", offsetof(LatencyRow, lat_p90_us), FieldType::kFloat64},
    {"lat_p99_us", offsetof(LatencyRow, lat_p99_us), FieldType::kFloat64},
    {"lat_p999_us", offsetof(LatencyRow, lat_p999_us), FieldType::kFloat64},
    {"lat_max_us", offsetof(LatencyRow, lat_max_us), FieldType::kFloat64},
}};
static_assert(sizeof(LatencyRow) == kLatencyFields.size() * 8, "LatencyRow must be packed");

// One row of `points` for every other test.
struct BandwidthRow {
  std::uint64_t size_bytes = 0;
  std::uint64_t iterations = 0;
  double bw_GBps = 0;
  double msg_rate_Mps = 0;
};

constexpr std::array<Field, 4> kBandwidthFields = {{
    {"size_bytes", offsetof(BandwidthRow, size_bytes), FieldType::kUint64},
    {"iterations", offsetof(BandwidthRow, iterations), FieldType::kUint64},
    {"bw_GBps", offsetof(BandwidthRow, bw_GBps), FieldType::kFloat64},
    {"msg_rate_Mps", offsetof(BandwidthRow, msg_rate_Mps), FieldType::kFloat64},
}};
static_assert(sizeof(BandwidthRow) == kBandwidthFields.size() * 8, "BandwidthRow must be packed");

Hid point_type(bool latency, bool for_file, const Context& ctx) {
  return latency ? make_compound_type(sizeof(LatencyRow), kLatencyFields, for_file, ctx)
                 : make_compound_type(sizeof(BandwidthRow), kBandwidthFields, for_file, ctx);
}

// Writes a square float64 dataset (contiguous) with a `units` attribute.
void write_square(hid_t group, const char* name, const std::string& object, hsize_t n,
                  const std::vector<double>& values, const char* units, const Context& ctx) {
  const std::string where = object + "/" + name;
  const hsize_t dims[2] = {n, n};
  Hid space = ctx.own(H5Screate_simple(2, dims, nullptr), H5Sclose, "H5Screate_simple", where);
  Hid dataset = ctx.own(
      H5Dcreate2(group, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where);
  ctx.check(
      H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      "H5Dwrite", where);
  write_string_attribute(dataset.get(), where, "units", units, ctx);
}

// A [rows][width] float64 dataset from equal-length rows, in microseconds.
void write_sample_rows(hid_t group, const char* name, const std::string& object,
                       const std::vector<std::vector<double>>& rows, hsize_t width,
                       const Context& ctx) {
  const std::string where = object + "/" + name;
  std::vector<double> flat;
  flat.reserve(rows.size() * width);
  for (const auto& row : rows)
    flat.insert(flat.end(), row.begin(), row.end());
  const hsize_t dims[2] = {rows.size(), width};
  Hid space = ctx.own(H5Screate_simple(2, dims, nullptr), H5Sclose, "H5Screate_simple", where);
  Hid dataset = ctx.own(
      H5Dcreate2(group, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where);
  if (!flat.empty()) {
    ctx.check(
        H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat.data()),
        "H5Dwrite", where);
  }
  write_string_attribute(dataset.get(), where, "units", "us", ctx);
}

}  // namespace

void validate_p2p_series(const std::string& name, const P2PSeriesInfo& info) {
  auto invalid = [&name](const std::string& problem) {
    throw std::invalid_argument("p2p series '" + name + "': " + problem);
  };
  if (!is_valid_name(name)) {
    invalid("name must be non-empty and contain no '/'");
  }
  if (info.test.empty()) {
    invalid("test must be non-empty");
  }
  if (info.iterations < 1) {
    invalid("iterations must be at least 1");
  }
  if (info.window < 1) {
    invalid("window must be at least 1");
  }
  if (info.pairs.empty()) {
    invalid("pairs must name at least one sender-receiver pair");
  }
}

void validate_p2p_point(const P2PSeriesHandle& series, const P2PPointRecord& point,
                        const std::vector<double>& samples_us, const Context& ctx) {
  const std::string prefix = ctx.path() + ": p2p series '" + series.name + "' expects ";
  if (samples_us.size() != series.iterations) {
    throw std::invalid_argument(prefix + std::to_string(series.iterations) +
                                " samples per point, got " + std::to_string(samples_us.size()));
  }
  if (series.per_pair && point.per_pair_GBps.size() != series.pairs) {
    throw std::invalid_argument(prefix + std::to_string(series.pairs) +
                                " per-pair bandwidths per point (one per pair), got " +
                                std::to_string(point.per_pair_GBps.size()));
  }
}

void validate_matrix(const std::string& name, const LinkMatrix& matrix) {
  auto invalid = [&name](const std::string& problem) {
    throw std::invalid_argument("matrix '" + name + "': " + problem);
  };
  if (!is_valid_name(name)) {
    invalid("name must be non-empty and contain no '/'");
  }
  if (matrix.n_ranks < 1) {
    invalid("n_ranks must be at least 1");
  }
  const auto n = static_cast<std::size_t>(matrix.n_ranks);
  if (matrix.hostnames.size() != n) {
    invalid(std::to_string(matrix.hostnames.size()) + " hostnames for n_ranks " +
            std::to_string(n));
  }
  if (matrix.latency_us.size() != n * n) {
    invalid("latency_us has " + std::to_string(matrix.latency_us.size()) + " entries, expected " +
            std::to_string(n * n));
  }
  if (matrix.bandwidth_GBps.size() != n * n) {
    invalid("bandwidth_GBps has " + std::to_string(matrix.bandwidth_GBps.size()) +
            " entries, expected " + std::to_string(n * n));
  }
  if (matrix.iterations < 0) invalid("iterations must not be negative");
  if (matrix.iterations > 0) {
    const auto width = static_cast<std::size_t>(matrix.iterations);
    for (const auto* samples : {&matrix.latency_samples_us, &matrix.bandwidth_samples_us}) {
      if (samples->size() != n * n) {
        invalid("per-entry samples need n * n = " + std::to_string(n * n) + " rows, got " +
                std::to_string(samples->size()));
      }
      for (const auto& row : *samples) {
        if (row.size() != width) {
          invalid("every entry needs " + std::to_string(width) + " samples, one has " +
                  std::to_string(row.size()));
        }
      }
    }
  }
}

P2PSeriesHandle create_p2p_series(hid_t series_root, const std::string& name,
                                  const P2PSeriesInfo& info, const Context& ctx) {
  const std::string object = "/series/" + name;
  Hid group = create_group(series_root, name, object, true, ctx);
  const hid_t g = group.get();
  write_string_attribute(g, object, "kind", kKindP2P, ctx);
  write_string_attribute(g, object, "test", info.test, ctx);
  write_string_attribute(g, object, "transport", info.transport, ctx);
  write_int64_attribute(g, object, "n_ranks", info.n_ranks, ctx);
  write_int64_attribute(g, object, "iterations", info.iterations, ctx);
  write_int64_attribute(g, object, "warmup", info.warmup, ctx);
  write_int64_attribute(g, object, "window", info.window, ctx);
  write_double_attribute(g, object, "line_rate_Gbps", info.line_rate_Gbps, ctx);
  write_string_list_attribute(g, object, "pairs", info.pairs, ctx);
  if (!info.continues.empty()) write_string_attribute(g, object, "continues", info.continues, ctx);
  if (!info.pairing.empty()) {
    write_string_attribute(g, object, "pairing", info.pairing, ctx);
    write_string_list_attribute(g, object, "host_pairs", info.host_pairs, ctx);
    write_double_attribute(g, object, "host_rate_sum_Gbps", info.host_rate_sum_Gbps, ctx);
  }

  P2PSeriesHandle series;
  series.name = name;
  series.latency = info.test == kLatencyTest;
  series.per_pair = keeps_per_pair(info.test);
  series.iterations = static_cast<hsize_t>(info.iterations);
  series.pairs = info.pairs.size();
  Hid file_type = point_type(series.latency, true, ctx);
  series.points = create_row_dataset(g, "points", object, file_type.get(), 0, ctx);
  write_committed_rows(series.points.get(), object + "/points", 0, ctx);
  series.samples = create_row_dataset(g, "samples", object, H5T_IEEE_F64LE, series.iterations, ctx);
  write_string_attribute(series.samples.get(), object + "/samples", "units", "us", ctx);
  if (series.per_pair) {
    series.per_pair_bw =
        create_row_dataset(g, "per_pair_bw_GBps", object, H5T_IEEE_F64LE, series.pairs, ctx);
    write_string_attribute(series.per_pair_bw.get(), object + "/per_pair_bw_GBps", "units", "GB/s",
                           ctx);
  }
  return series;
}

void write_p2p_row(const P2PSeriesHandle& series, const P2PPointRecord& point,
                   const std::vector<double>& samples_us, const Context& ctx) {
  const std::string object = "/series/" + series.name;
  const hsize_t row = series.rows;
  Hid memory_type = point_type(series.latency, false, ctx);
  if (series.latency) {
    const LatencyRow data{point.size_bytes, point.iterations, point.lat_min_us,  point.lat_p50_us,
                          point.lat_p90_us, point.lat_p99_us, point.lat_p999_us, point.lat_max_us};
    write_row(series.points.get(), row, 0, memory_type.get(), &data, object + "/points", ctx);
  } else {
    const BandwidthRow data{point.size_bytes, point.iterations, point.bw_GBps, point.msg_rate_Mps};
    write_row(series.points.get(), row, 0, memory_type.get(), &data, object + "/points", ctx);
  }
  write_row(series.samples.get(), row, series.iterations, H5T_NATIVE_DOUBLE, samples_us.data(),
            object + "/samples", ctx);
  if (series.per_pair) {
    write_row(series.per_pair_bw.get(), row, series.pairs, H5T_NATIVE_DOUBLE,
              point.per_pair_GBps.data(), object + "/per_pair_bw_GBps", ctx);
  }
}

void write_link_matrix(hid_t matrix_root, const std::string& name, const LinkMatrix& matrix,
                       const Context& ctx) {
  const std::string object = "/matrix/" + name;
  Hid group = create_group(matrix_root, name, object, true, ctx);
  const hid_t g = group.get();
  write_string_attribute(g, object, "transport", matrix.transport, ctx);
  write_int64_attribute(g, object, "n_ranks", matrix.n_ranks, ctx);
  write_uint64_attribute(g, object, "latency_bytes", matrix.latency_bytes, ctx);
  write_uint64_attribute(g, object, "bandwidth_bytes", matrix.bandwidth_bytes, ctx);
  write_double_attribute(g, object, "threshold_fraction", matrix.threshold_fraction, ctx);
  write_double_attribute(g, object, "median_bandwidth_GBps", matrix.median_bandwidth_GBps, ctx);
  write_double_attribute(g, object, "line_rate_Gbps", matrix.line_rate_Gbps, ctx);
  write_string_list_attribute(g, object, "hostnames", matrix.hostnames, ctx);
  write_string_list_attribute(g, object, "flagged", matrix.flagged, ctx);
  const auto n = static_cast<hsize_t>(matrix.n_ranks);
  write_square(g, "latency_us", object, n, matrix.latency_us, "us", ctx);
  write_square(g, "bandwidth_GBps", object, n, matrix.bandwidth_GBps, "GB/s", ctx);
  if (!matrix.link_groups.empty()) {
    write_string_list_attribute(g, object, "link_groups", matrix.link_groups, ctx);
    write_string_list_attribute(g, object, "flagged_groups", matrix.flagged_groups, ctx);
  }
  if (!matrix.continues.empty()) {
    write_string_attribute(g, object, "continues", matrix.continues, ctx);
  }
  if (matrix.iterations > 0) {
    write_int64_attribute(g, object, "iterations", matrix.iterations, ctx);
    write_int64_attribute(g, object, "window", matrix.window, ctx);
    const auto width = static_cast<hsize_t>(matrix.iterations);
    write_sample_rows(g, "latency_samples_us", object, matrix.latency_samples_us, width, ctx);
    write_sample_rows(g, "bandwidth_samples_us", object, matrix.bandwidth_samples_us, width, ctx);
  }
}

P2PSeriesData read_p2p_series(hid_t group, const std::string& name, const Context& ctx) {
  const std::string object = "/series/" + name;
  P2PSeriesData series;
  series.name = name;
  P2PSeriesInfo& info = series.info;
  info.test = read_string(group, object, "test", ctx);
  info.transport = read_string(group, object, "transport", ctx);
  info.n_ranks = read_int64(group, object, "n_ranks", ctx);
  info.iterations = read_int64(group, object, "iterations", ctx);
  info.warmup = read_int64(group, object, "warmup", ctx);
  info.window = read_int64(group, object, "window", ctx);
  info.line_rate_Gbps = read_double(group, object, "line_rate_Gbps", ctx);
  info.pairs = read_string_list(group, object, "pairs", ctx);
  if (has_attribute(group, object, "pairing", ctx)) {
    info.pairing = read_string(group, object, "pairing", ctx);
    info.host_pairs = read_string_list(group, object, "host_pairs", ctx);
    info.host_rate_sum_Gbps = read_double(group, object, "host_rate_sum_Gbps", ctx);
  }
  if (has_attribute(group, object, "continues", ctx)) {
    info.continues = read_string(group, object, "continues", ctx);
  }
  if (info.iterations < 1) {
    ctx.fail(object + "@iterations is " + std::to_string(info.iterations));
  }

  if (info.test == kLatencyTest) {
    for (const LatencyRow& row :
         read_compound_rows<LatencyRow>(group, "points", object, kLatencyFields, ctx)) {
      P2PPointRecord& p = series.points.emplace_back();
      p.size_bytes = row.size_bytes;
      p.iterations = row.iterations;
      p.lat_min_us = row.lat_min_us;
      p.lat_p50_us = row.lat_p50_us;
      p.lat_p90_us = row.lat_p90_us;
      p.lat_p99_us = row.lat_p99_us;
      p.lat_p999_us = row.lat_p999_us;
      p.lat_max_us = row.lat_max_us;
    }
  } else {
    for (const BandwidthRow& row :
         read_compound_rows<BandwidthRow>(group, "points", object, kBandwidthFields, ctx)) {
      P2PPointRecord& p = series.points.emplace_back();
      p.size_bytes = row.size_bytes;
      p.iterations = row.iterations;
      p.bw_GBps = row.bw_GBps;
      p.msg_rate_Mps = row.msg_rate_Mps;
    }
  }
  // Only the rows the writer committed (a writer stopped inside a flush may have extended
  // some datasets and not the others).
  const bool per_pair = keeps_per_pair(info.test);
  const std::array<const char*, 3> datasets = {"points", "samples", "per_pair_bw_GBps"};
  const auto rows = static_cast<std::size_t>(
      visible_rows(group, object, std::span(datasets.data(), per_pair ? 3 : 2), ctx));
  series.points.resize(std::min(series.points.size(), rows));
  series.samples_us = read_double_rows(group, "samples", object, series.points.size(),
                                       static_cast<hsize_t>(info.iterations), ctx);
  if (per_pair) {
    std::vector<std::vector<double>> per_pair_rows =
        read_double_rows(group, "per_pair_bw_GBps", object, rows, info.pairs.size(), ctx);
    for (std::size_t i = 0; i < series.points.size(); ++i) {
      series.points[i].per_pair_GBps = std::move(per_pair_rows[i]);
    }
  }
  return series;
}

LinkMatrix read_link_matrix(hid_t group, const std::string& name, const Context& ctx) {
  const std::string object = "/matrix/" + name;
  LinkMatrix matrix;
  matrix.transport = read_string(group, object, "transport", ctx);
  matrix.n_ranks = read_int64(group, object, "n_ranks", ctx);
  matrix.latency_bytes = read_uint64(group, object, "latency_bytes", ctx);
  matrix.bandwidth_bytes = read_uint64(group, object, "bandwidth_bytes", ctx);
  matrix.threshold_fraction = read_double(group, object, "threshold_fraction", ctx);
  matrix.median_bandwidth_GBps = read_double(group, object, "median_bandwidth_GBps", ctx);
  matrix.line_rate_Gbps = read_double(group, object, "line_rate_Gbps", ctx);
  matrix.hostnames = read_string_list(group, object, "hostnames", ctx);
  matrix.flagged = read_string_list(group, object, "flagged", ctx);
  if (has_attribute(group, object, "link_groups", ctx)) {
    matrix.link_groups = read_string_list(group, object, "link_groups", ctx);
    matrix.flagged_groups = read_string_list(group, object, "flagged_groups", ctx);
  }
  if (matrix.n_ranks < 0) {
    ctx.fail(object + "@n_ranks is " + std::to_string(matrix.n_ranks));
  }
  const auto n = static_cast<hsize_t>(matrix.n_ranks);
  matrix.latency_us = read_double_matrix(group, "latency_us", object, n, n, ctx);
  matrix.bandwidth_GBps = read_double_matrix(group, "bandwidth_GBps", object, n, n, ctx);
  if (has_attribute(group, object, "continues", ctx)) {
    matrix.continues = read_string(group, object, "continues", ctx);
  }
  if (has_attribute(group, object, "iterations", ctx)) {
    matrix.iterations = read_int64(group, object, "iterations", ctx);
    matrix.window = read_int64(group, object, "window", ctx);
    if (matrix.iterations < 1) {
      ctx.fail(object + "@iterations is " + std::to_string(matrix.iterations));
    }
    const auto width = static_cast<hsize_t>(matrix.iterations);
    for (auto [dataset, field] :
         {std::pair{"latency_samples_us", &matrix.latency_samples_us},
          std::pair{"bandwidth_samples_us", &matrix.bandwidth_samples_us}}) {
      const auto values = read_double_matrix(group, dataset, object, n * n, width, ctx);
      field->assign(n * n, std::vector<double>(width));
      for (std::size_t k = 0; k < n * n; ++k) {
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(k * width), width,
                    (*field)[k].begin());
      }
    }
  }
  return matrix;
}

}  // namespace fb::results::detail
