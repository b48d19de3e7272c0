// Hdf5Writer: creates a schema-version-1 results file and appends points to it, flushing
// after every point. Layout: results/SCHEMA.md.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/hdf5_util.hpp"
#include "results/results.hpp"

namespace fb::results {

using detail::Context;
using detail::Hid;

namespace {

// Rows per chunk of `points` (88 bytes each).
constexpr hsize_t kPointsChunkRows = 64;
// Upper bound on the bytes in one chunk of `samples`; a chunk holds whole rows.
constexpr hsize_t kSamplesChunkBytes = hsize_t{1} << 20;
constexpr hsize_t kSamplesMaxChunkRows = 64;

Hid scalar_space(const Context& ctx) {
  return ctx.own(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", "scalar dataspace");
}

void write_string_attribute(hid_t location, const std::string& object, const char* name,
                            const std::string& value, const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid type = detail::make_vlen_string_type(H5T_CSET_UTF8, ctx);
  Hid space = scalar_space(ctx);
  Hid attribute =
      ctx.own(H5Acreate2(location, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, "H5Acreate2", where);
  const char* data = value.c_str();
  ctx.check(H5Awrite(attribute.get(), type.get(), &data), "H5Awrite", where);
}

void write_string_list_attribute(hid_t location, const std::string& object, const char* name,
                                 const std::vector<std::string>& values, const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid type = detail::make_vlen_string_type(H5T_CSET_UTF8, ctx);
  const hsize_t dims[1] = {values.size()};
  Hid space = ctx.own(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple", where);
  Hid attribute =
      ctx.own(H5Acreate2(location, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, "H5Acreate2", where);
  std::vector<const char*> data;
  data.reserve(values.size());
  for (const std::string& value : values) {
    data.push_back(value.c_str());
  }
  if (!data.empty()) {
    ctx.check(H5Awrite(attribute.get(), type.get(), data.data()), "H5Awrite", where);
  }
}

void write_numeric_attribute(hid_t location, const std::string& object, const char* name,
                             hid_t file_type, hid_t memory_type, const void* value,
                             const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid space = scalar_space(ctx);
  Hid attribute =
      ctx.own(H5Acreate2(location, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, "H5Acreate2", where);
  ctx.check(H5Awrite(attribute.get(), memory_type, value), "H5Awrite", where);
}

void write_int64_attribute(hid_t location, const std::string& object, const char* name,
                           std::int64_t value, const Context& ctx) {
  write_numeric_attribute(location, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, ctx);
}

void write_double_attribute(hid_t location, const std::string& object, const char* name,
                            double value, const Context& ctx) {
  write_numeric_attribute(location, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, ctx);
}

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
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
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

  std::filesystem::path path;
  Context ctx;
  // Declared before the other handles so that it is closed after every object in it.
  Hid file;
  Hid series_root;
  Hid point_memory_type;
  std::vector<Series> series;
};

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

  s.series_root = ctx.own(H5Gcreate2(root, "series", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Gclose, "H5Gcreate2", "/series");
  s.point_memory_type = detail::make_point_type(false, ctx);
  s.flush();
}

Hdf5Writer::~Hdf5Writer() {
  detail::ErrorSilencer quiet;
  impl_.reset();
}

std::size_t Hdf5Writer::begin_series(const std::string& name, const SeriesInfo& info) {
  validate_series(name, info);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  const std::string object = "/series/" + name;

  const int exists =
      ctx.check(H5Lexists(s.series_root.get(), name.c_str(), H5P_DEFAULT), "H5Lexists", object);
  if (exists > 0) {
    throw std::invalid_argument(ctx.path() + ": series '" + name + "' already exists");
  }

  // Track attribute creation order so that parameters read back in the order given.
  Hid gcpl = ctx.own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate", object);
  ctx.check(H5Pset_attr_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
            "H5Pset_attr_creation_order", object);
  Hid group =
      ctx.own(H5Gcreate2(s.series_root.get(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
              H5Gclose, "H5Gcreate2", object);
  const hid_t g = group.get();
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
  for (const auto& [parameter, value] : info.parameters) {
    write_int64_attribute(g, object, parameter.c_str(), value, ctx);
  }

  Impl::Series series;
  series.name = name;
  series.iterations = static_cast<hsize_t>(info.iterations);

  {  // points: 1-D, unlimited, chunked.
    const std::string where = object + "/points";
    const hsize_t dims[1] = {0};
    const hsize_t max_dims[1] = {H5S_UNLIMITED};
    const hsize_t chunk[1] = {kPointsChunkRows};
    Hid space = ctx.own(H5Screate_simple(1, dims, max_dims), H5Sclose, "H5Screate_simple", where);
    Hid dcpl = ctx.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", where);
    ctx.check(H5Pset_chunk(dcpl.get(), 1, chunk), "H5Pset_chunk", where);
    Hid file_type = detail::make_point_type(true, ctx);
    series.points = ctx.own(
        H5Dcreate2(g, "points", file_type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, "H5Dcreate2", where);
  }
  {  // samples: 2-D [point][iteration], rows unlimited, chunked by whole rows.
    const std::string where = object + "/samples";
    const hsize_t row_bytes = series.iterations * sizeof(double);
    const hsize_t chunk_rows =
        std::clamp<hsize_t>(kSamplesChunkBytes / row_bytes, 1, kSamplesMaxChunkRows);
    const hsize_t dims[2] = {0, series.iterations};
    const hsize_t max_dims[2] = {H5S_UNLIMITED, series.iterations};
    const hsize_t chunk[2] = {chunk_rows, series.iterations};
    Hid space = ctx.own(H5Screate_simple(2, dims, max_dims), H5Sclose, "H5Screate_simple", where);
    Hid dcpl = ctx.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", where);
    ctx.check(H5Pset_chunk(dcpl.get(), 2, chunk), "H5Pset_chunk", where);
    series.samples = ctx.own(
        H5Dcreate2(g, "samples", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose, "H5Dcreate2", where);
    write_string_attribute(series.samples.get(), where, "units", "us", ctx);
  }

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

  {  // One more row of `points`.
    const std::string where = "/series/" + target.name + "/points";
    const hsize_t new_dims[1] = {row + 1};
    ctx.check(H5Dset_extent(target.points.get(), new_dims), "H5Dset_extent", where);
    Hid file_space = ctx.own(H5Dget_space(target.points.get()), H5Sclose, "H5Dget_space", where);
    const hsize_t start[1] = {row};
    const hsize_t count[1] = {1};
    ctx.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              "H5Sselect_hyperslab", where);
    Hid memory_space =
        ctx.own(H5Screate_simple(1, count, nullptr), H5Sclose, "H5Screate_simple", where);
    const detail::PointRow data = detail::to_row(point);
    ctx.check(H5Dwrite(target.points.get(), s.point_memory_type.get(), memory_space.get(),
                       file_space.get(), H5P_DEFAULT, &data),
              "H5Dwrite", where);
  }
  {  // One more row of `samples`.
    const std::string where = "/series/" + target.name + "/samples";
    const hsize_t new_dims[2] = {row + 1, target.iterations};
    ctx.check(H5Dset_extent(target.samples.get(), new_dims), "H5Dset_extent", where);
    Hid file_space = ctx.own(H5Dget_space(target.samples.get()), H5Sclose, "H5Dget_space", where);
    const hsize_t start[2] = {row, 0};
    const hsize_t count[2] = {1, target.iterations};
    ctx.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              "H5Sselect_hyperslab", where);
    Hid memory_space =
        ctx.own(H5Screate_simple(2, count, nullptr), H5Sclose, "H5Screate_simple", where);
    ctx.check(H5Dwrite(target.samples.get(), H5T_NATIVE_DOUBLE, memory_space.get(),
                       file_space.get(), H5P_DEFAULT, samples_us.data()),
              "H5Dwrite", where);
  }
  s.flush();
  // Counted only once both rows are written: a failed append is retried on the same row.
  target.rows = row + 1;
}

const std::filesystem::path& Hdf5Writer::path() const {
  return impl_->path;
}

}  // namespace fb::results
