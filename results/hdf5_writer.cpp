// Hdf5Writer: creates a results file (schema version 2) and appends points to it, flushing
// after every point. Collective series are written here, p2p series and link matrices in
// hdf5_p2p.cpp. Layout: results/SCHEMA.md.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/hdf5_io.hpp"
#include "results/hdf5_p2p.hpp"
#include "results/hdf5_util.hpp"
#include "results/results.hpp"

namespace fb::results {

using detail::Context;
using detail::Hid;

namespace {

using detail::write_double_attribute;
using detail::write_int64_attribute;
using detail::write_string_attribute;
using detail::write_string_list_attribute;

// File access: the default (earliest) file format, and a metadata cache that never writes
// dirty entries on its own. The on-disk metadata then changes only inside H5Fflush, so a
// process killed between two appends leaves the file exactly as the last flush wrote it.
Hid make_file_access(const Context& ctx) {
  Hid fapl = ctx.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", "file access");
  H5AC_cache_config_t config{};
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  ctx.check(H5Pget_mdc_config(fapl.get(), &config), "H5Pget_mdc_config", "file access");
  config.incr_mode = H5C_incr__off;
  config.flash_incr_mode = H5C_flash_incr__off;
  config.decr_mode = H5C_decr__off;
  config.evictions_enabled = false;
  ctx.check(H5Pset_mdc_config(fapl.get(), &config), "H5Pset_mdc_config", "file access");
  return fapl;
}

void validate_series(const std::string& name, const SeriesInfo& info) {
  auto invalid = [&name](const std::string& problem) {
    throw std::invalid_argument("series '" + name + "': " + problem);
  };
  if (!detail::is_valid_name(name)) {
    invalid("name must be non-empty and contain no '/'");
  }
  if (info.iterations < 1) {
    invalid("iterations must be at least 1");
  }
  std::set<std::string> seen;
  for (const auto& entry : info.parameters) {
    const std::string& parameter = entry.first;
    if (parameter.empty() || parameter.find('/') != std::string::npos) {
      invalid("parameter names must be non-empty and contain no '/'");
    }
    if (detail::is_fixed_series_attribute(parameter)) {
      invalid("parameter '" + parameter + "' clashes with a series attribute");
    }
    if (!seen.insert(parameter).second) {
      invalid("parameter '" + parameter + "' appears twice");
    }
  }
}

}  // namespace

struct Hdf5Writer::Impl {
  struct Series {
    std::string name;
    Hid points;
    Hid samples;
    hsize_t iterations = 0;
    hsize_t rows = 0;
  };

  explicit Impl(const std::filesystem::path& file_path) : path(file_path), ctx(path.string()) {}

  void flush() const { ctx.check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", "/"); }

  // Collective and p2p series share /series, so a name is unique across both kinds.
  void require_new_series(const std::string& name) const {
    if (detail::has_link(series_root.get(), name, "/series/" + name, ctx)) {
      throw std::invalid_argument(ctx.path() + ": series '" + name + "' already exists");
    }
  }

  bool appending = false;

  std::filesystem::path path;
  Context ctx;
  // Declared before the other handles so that it is closed after every object in it.
  Hid file;
  Hid series_root;
  Hid matrix_root;  // created by the first write_matrix
  Hid point_memory_type;
  std::vector<Series> series;
  std::vector<detail::P2PSeriesHandle> p2p;
};

void Hdf5Writer::set_status(const std::string& status) {
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  const hid_t root = s.file.get();
  if (has_attribute(root, "/", "status", s.ctx)) {
    s.ctx.check(H5Adelete(root, "status"), "H5Adelete", "/@status");
  }
  write_string_attribute(root, "/", "status", status, s.ctx);
  s.flush();
}

Hdf5Writer::Hdf5Writer(const std::filesystem::path& path, const RunInfo& run) {
  if (run.world_size < 0 || run.hostnames.size() != static_cast<std::size_t>(run.world_size)) {
    throw std::invalid_argument("results file " + path.string() + ": " +
                                std::to_string(run.hostnames.size()) +
                                " hostnames for world_size " + std::to_string(run.world_size));
  }
  detail::ErrorSilencer quiet;
  impl_ = std::make_unique<Impl>(path);
  Impl& s = *impl_;
  const Context& ctx = s.ctx;

  Hid fapl = make_file_access(ctx);
  s.file = ctx.own(H5Fcreate(s.path.string().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                   H5Fclose, "H5Fcreate", "");
  const hid_t root = s.file.get();
  write_string_attribute(root, "/", "schema", kSchemaName, ctx);
  write_int64_attribute(root, "/", "schema_version", kSchemaVersion, ctx);
  write_string_attribute(root, "/", "tool_version", run.tool_version, ctx);
  write_string_attribute(root, "/", "git_revision", run.git_revision, ctx);
  write_string_attribute(root, "/", "created_utc", run.created_utc, ctx);
  write_string_attribute(root, "/", "command_line", run.command_line, ctx);
  write_int64_attribute(root, "/", "world_size", run.world_size, ctx);
  write_string_list_attribute(root, "/", "hostnames", run.hostnames, ctx);
  write_string_attribute(root, "/", "mpi_version", run.mpi_version, ctx);
  write_string_attribute(root, "/", "ucx_version", run.ucx_version, ctx);
  write_string_attribute(root, "/", "hdf5_version", run.hdf5_version, ctx);
  write_string_list_attribute(root, "/", "environment", run.environment, ctx);
  write_string_attribute(root, "/", "slurm_job_id", run.slurm_job_id, ctx);
  write_string_attribute(root, "/", "slurm_nodelist", run.slurm_nodelist, ctx);
  write_string_attribute(root, "/", "slurm_partition", run.slurm_partition, ctx);
  write_int64_list_attribute(root, "/", "local_ranks", run.local_ranks, ctx);
  write_string_list_attribute(root, "/", "cpu_bindings", run.cpu_bindings, ctx);
  write_string_attribute(root, "/", "cuda_runtime_version", run.cuda_runtime_version, ctx);
  write_string_attribute(root, "/", "nccl_version", run.nccl_version, ctx);
  write_string_list_attribute(root, "/", "cuda_devices", run.cuda_devices, ctx);
  write_string_attribute(root, "/", "status", run.status, ctx);

  s.series_root = ctx.own(H5Gcreate2(root, "series", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Gclose, "H5Gcreate2", "/series");
  s.point_memory_type =
      detail::make_compound_type(sizeof(detail::PointRow), detail::kPointFields, false, ctx);
  s.flush();
}

Hdf5Writer::~Hdf5Writer() {
  detail::ErrorSilencer quiet;
  impl_.reset();
}

namespace {
hsize_t row_count(hid_t dataset, const std::string& where, const Context& ctx) {
  Hid space = ctx.own(H5Dget_space(dataset), H5Sclose, "H5Dget_space", where);
  hsize_t dims[2] = {0, 0};
  ctx.check(H5Sget_simple_extent_dims(space.get(), dims, nullptr), "H5Sget_simple_extent_dims",
            where);
  return dims[0];
}
}  // namespace

Hdf5Writer::Hdf5Writer(const std::filesystem::path& path, Append) {
  detail::ErrorSilencer quiet;
  impl_ = std::make_unique<Impl>(path);
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  s.appending = true;
  Hid fapl = make_file_access(ctx);
  s.file =
      ctx.own(H5Fopen(s.path.string().c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, "H5Fopen", "");
  const hid_t root = s.file.get();
  if (!has_attribute(root, "/", "schema", ctx) ||
      detail::read_string(root, "/", "schema", ctx) != kSchemaName) {
    ctx.fail("not a fabricbench results file");
  }
  s.series_root = ctx.own(H5Gopen2(root, "series", H5P_DEFAULT), H5Gclose, "H5Gopen2", "/series");
  s.point_memory_type =
      detail::make_compound_type(sizeof(detail::PointRow), detail::kPointFields, false, ctx);
  std::int64_t resumed = 0;
  if (has_attribute(root, "/", "resume_count", ctx)) {
    resumed = detail::read_int64(root, "/", "resume_count", ctx);
    ctx.check(H5Adelete(root, "resume_count"), "H5Adelete", "/@resume_count");
  }
  write_int64_attribute(root, "/", "resume_count", resumed + 1, ctx);
  s.flush();
  set_status("running");
}

std::size_t Hdf5Writer::begin_series(const std::string& name, const SeriesInfo& info) {
  validate_series(name, info);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  const std::string object = "/series/" + name;

  if (s.appending && detail::has_link(s.series_root.get(), name, object, ctx)) {
    // Continue an existing series after its last row present in both datasets.
    Hid existing = ctx.own(H5Gopen2(s.series_root.get(), name.c_str(), H5P_DEFAULT), H5Gclose,
                           "H5Gopen2", object);
    const auto iterations = detail::read_int64(existing.get(), object, "iterations", ctx);
    if (iterations != info.iterations) {
      throw std::invalid_argument(ctx.path() + ": series '" + name + "' has " +
                                  std::to_string(iterations) + " iterations per point, this run " +
                                  std::to_string(info.iterations) + " (resume with the same -n)");
    }
    Impl::Series series;
    series.name = name;
    series.iterations = static_cast<hsize_t>(iterations);
    series.points = ctx.own(H5Dopen2(existing.get(), "points", H5P_DEFAULT), H5Dclose, "H5Dopen2",
                            object + "/points");
    series.samples = ctx.own(H5Dopen2(existing.get(), "samples", H5P_DEFAULT), H5Dclose, "H5Dopen2",
                             object + "/samples");
    series.rows = std::min(row_count(series.points.get(), object + "/points", ctx),
                           row_count(series.samples.get(), object + "/samples", ctx));
    s.series.push_back(std::move(series));
    return s.series.size() - 1;
  }
  s.require_new_series(name);

  Hid group = detail::create_group(s.series_root.get(), name, object, true, ctx);
  const hid_t g = group.get();
  write_string_attribute(g, object, "kind", detail::kKindCollective, ctx);
  write_string_attribute(g, object, "collective", info.collective, ctx);
  write_string_attribute(g, object, "algorithm", info.algorithm, ctx);
  write_string_attribute(g, object, "transport", info.transport, ctx);
  write_string_attribute(g, object, "dtype", info.dtype, ctx);
  write_string_attribute(g, object, "op", info.op, ctx);
  write_int64_attribute(g, object, "n_ranks", info.n_ranks, ctx);
  write_int64_attribute(g, object, "iterations", info.iterations, ctx);
  write_int64_attribute(g, object, "warmup", info.warmup, ctx);
  write_double_attribute(g, object, "busbw_factor", info.busbw_factor, ctx);
  write_string_attribute(g, object, "description", info.description, ctx);
  write_string_attribute(g, object, "memory", info.memory, ctx);
  write_string_attribute(g, object, "timing", info.timing, ctx);
  if (!info.staging.empty()) write_string_attribute(g, object, "staging", info.staging, ctx);
  if (!info.skipped.empty()) write_string_attribute(g, object, "skipped", info.skipped, ctx);
  for (const auto& [parameter, value] : info.parameters) {
    write_int64_attribute(g, object, parameter.c_str(), value, ctx);
  }

  Impl::Series series;
  series.name = name;
  series.iterations = static_cast<hsize_t>(info.iterations);
  Hid file_type =
      detail::make_compound_type(sizeof(detail::PointRow), detail::kPointFields, true, ctx);
  series.points = detail::create_row_dataset(g, "points", object, file_type.get(), 0, ctx);
  series.samples =
      detail::create_row_dataset(g, "samples", object, H5T_IEEE_F64LE, series.iterations, ctx);
  write_string_attribute(series.samples.get(), object + "/samples", "units", "us", ctx);

  s.series.push_back(std::move(series));
  s.flush();
  return s.series.size() - 1;
}

void Hdf5Writer::append_point(std::size_t series, const PointRecord& point,
                              const std::vector<double>& samples_us) {
  Impl& s = *impl_;
  if (series >= s.series.size()) {
    throw std::out_of_range(s.ctx.path() + ": no series with index " + std::to_string(series));
  }
  Impl::Series& target = s.series[series];
  if (samples_us.size() != target.iterations) {
    throw std::invalid_argument(s.ctx.path() + ": series '" + target.name + "' expects " +
                                std::to_string(target.iterations) + " samples per point, got " +
                                std::to_string(samples_us.size()));
  }
  detail::ErrorSilencer quiet;
  const Context& ctx = s.ctx;
  const hsize_t row = target.rows;

  const std::string object = "/series/" + target.name;
  const detail::PointRow data = detail::to_row(point);
  detail::write_row(target.points.get(), row, 0, s.point_memory_type.get(), &data,
                    object + "/points", ctx);
  detail::write_row(target.samples.get(), row, target.iterations, H5T_NATIVE_DOUBLE,
                    samples_us.data(), object + "/samples", ctx);
  s.flush();
  // Counted only once both rows are written: a failed append is retried on the same row.
  target.rows = row + 1;
}

std::size_t Hdf5Writer::begin_p2p_series(const std::string& name, const P2PSeriesInfo& info) {
  detail::validate_p2p_series(name, info);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  s.require_new_series(name);
  s.p2p.push_back(detail::create_p2p_series(s.series_root.get(), name, info, s.ctx));
  s.flush();
  return s.p2p.size() - 1;
}

void Hdf5Writer::append_p2p_point(std::size_t series, const P2PPointRecord& point,
                                  const std::vector<double>& samples_us) {
  Impl& s = *impl_;
  if (series >= s.p2p.size()) {
    throw std::out_of_range(s.ctx.path() + ": no p2p series with index " + std::to_string(series));
  }
  detail::P2PSeriesHandle& target = s.p2p[series];
  detail::validate_p2p_point(target, point, samples_us, s.ctx);
  detail::ErrorSilencer quiet;
  detail::write_p2p_row(target, point, samples_us, s.ctx);
  s.flush();
  // As in append_point: a failed append is retried on the same row.
  ++target.rows;
}

void Hdf5Writer::write_matrix(const std::string& name, const LinkMatrix& matrix) {
  detail::validate_matrix(name, matrix);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  if (s.matrix_root.get() < 0) {
    s.matrix_root = detail::create_group(s.file.get(), "matrix", "/matrix", false, ctx);
  }
  if (detail::has_link(s.matrix_root.get(), name, "/matrix/" + name, ctx)) {
    throw std::invalid_argument(ctx.path() + ": matrix '" + name + "' already exists");
  }
  detail::write_link_matrix(s.matrix_root.get(), name, matrix, ctx);
  s.flush();
}

const std::filesystem::path& Hdf5Writer::path() const {
  return impl_->path;
}

}  // namespace fb::results
