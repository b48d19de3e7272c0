// read_file: loads a whole schema-version-1 results file (results/SCHEMA.md) into memory.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "results/hdf5_util.hpp"
#include "results/results.hpp"

namespace fb::results {

using detail::Context;
using detail::Hid;

namespace {

// Frees the strings HDF5 allocated for a variable-length string read.
struct VlenStrings {
  std::vector<char*> data;
  ~VlenStrings() {
    for (char* p : data) {
      if (p != nullptr) {
        H5free_memory(p);
      }
    }
  }
};

herr_t collect_link_name(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/,
                         void* op_data) {
  try {
    static_cast<std::vector<std::string>*>(op_data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

herr_t collect_attribute_name(hid_t /*location*/, const char* name, const H5A_info_t* /*info*/,
                              void* op_data) {
  try {
    static_cast<std::vector<std::string>*>(op_data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

Hid open_attribute(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx) {
  const std::string where = object + "@" + name;
  if (ctx.check(H5Aexists(location, name.c_str()), "H5Aexists", where) == 0) {
    ctx.fail("missing attribute " + where);
  }
  return ctx.own(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen", where);
}

// Class of the attribute's type and its number of elements.
std::pair<H5T_class_t, hssize_t> describe(hid_t attribute, const std::string& where,
                                          const Context& ctx) {
  Hid type = ctx.own(H5Aget_type(attribute), H5Tclose, "H5Aget_type", where);
  Hid space = ctx.own(H5Aget_space(attribute), H5Sclose, "H5Aget_space", where);
  const H5T_class_t type_class = H5Tget_class(type.get());
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (type_class == H5T_NO_CLASS || n < 0) {
    ctx.fail("cannot inspect attribute " + where);
  }
  return {type_class, n};
}

// Variable-length or fixed-length strings, in either character set.
std::vector<std::string> read_string_list(hid_t location, const std::string& object,
                                          const std::string& name, const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid attribute = open_attribute(location, object, name, ctx);
  const auto [type_class, n] = describe(attribute.get(), where, ctx);
  if (type_class != H5T_STRING) {
    ctx.fail("attribute " + where + " is not a string");
  }
  const auto count = static_cast<std::size_t>(n);
  Hid file_type = ctx.own(H5Aget_type(attribute.get()), H5Tclose, "H5Aget_type", where);
  const H5T_cset_t cset = H5Tget_cset(file_type.get());
  std::vector<std::string> out;
  out.reserve(count);
  if (ctx.check(H5Tis_variable_str(file_type.get()), "H5Tis_variable_str", where) > 0) {
    Hid memory_type = detail::make_vlen_string_type(cset, ctx);
    VlenStrings buffer;
    buffer.data.assign(count, nullptr);
    if (count > 0) {
      ctx.check(H5Aread(attribute.get(), memory_type.get(), buffer.data.data()), "H5Aread", where);
    }
    for (const char* p : buffer.data) {
      out.emplace_back(p != nullptr ? p : "");
    }
  } else {
    const std::size_t size = H5Tget_size(file_type.get());
    if (size == 0) {
      ctx.fail("attribute " + where + " has a zero-size string type");
    }
    Hid memory_type = ctx.own(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", where);
    ctx.check(H5Tset_size(memory_type.get(), size), "H5Tset_size", where);
    ctx.check(H5Tset_strpad(memory_type.get(), H5T_STR_NULLPAD), "H5Tset_strpad", where);
    ctx.check(H5Tset_cset(memory_type.get(), cset), "H5Tset_cset", where);
    std::vector<char> buffer(count * size, '\0');
    if (count > 0) {
      ctx.check(H5Aread(attribute.get(), memory_type.get(), buffer.data()), "H5Aread", where);
    }
    for (std::size_t i = 0; i < count; ++i) {
      const char* begin = buffer.data() + i * size;
      out.emplace_back(begin, std::find(begin, begin + size, '\0'));
    }
  }
  return out;
}

std::string read_string(hid_t location, const std::string& object, const std::string& name,
                        const Context& ctx) {
  std::vector<std::string> values = read_string_list(location, object, name, ctx);
  if (values.size() != 1) {
    ctx.fail("attribute " + object + "@" + name + " holds " + std::to_string(values.size()) +
             " strings, expected 1");
  }
  return std::move(values.front());
}

template <typename T>
T read_scalar(hid_t location, const std::string& object, const std::string& name,
              H5T_class_t expected_class, hid_t memory_type, const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid attribute = open_attribute(location, object, name, ctx);
  const auto [type_class, n] = describe(attribute.get(), where, ctx);
  if (type_class != expected_class || n != 1) {
    ctx.fail("attribute " + where + " is not a single " +
             (expected_class == H5T_INTEGER ? "integer" : "floating-point number"));
  }
  T value{};
  ctx.check(H5Aread(attribute.get(), memory_type, &value), "H5Aread", where);
  return value;
}

std::int64_t read_int64(hid_t location, const std::string& object, const std::string& name,
                        const Context& ctx) {
  return read_scalar<std::int64_t>(location, object, name, H5T_INTEGER, H5T_NATIVE_INT64, ctx);
}

double read_double(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx) {
  return read_scalar<double>(location, object, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, ctx);
}

// Dimensions of a dataset's dataspace, which must have `rank` dimensions.
std::vector<hsize_t> dataset_dims(hid_t dataset, int rank, const std::string& where,
                                  const Context& ctx) {
  Hid space = ctx.own(H5Dget_space(dataset), H5Sclose, "H5Dget_space", where);
  const int ndims =
      ctx.check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", where);
  if (ndims != rank) {
    ctx.fail(where + " has " + std::to_string(ndims) + " dimensions, expected " +
             std::to_string(rank));
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank), 0);
  ctx.check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr),
            "H5Sget_simple_extent_dims", where);
  return dims;
}

std::vector<PointRecord> read_points(hid_t group, const std::string& object, const Context& ctx) {
  const std::string where = object + "/points";
  Hid dataset = ctx.own(H5Dopen2(group, "points", H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  Hid file_type = ctx.own(H5Dget_type(dataset.get()), H5Tclose, "H5Dget_type", where);
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND) {
    ctx.fail(where + " is not a compound dataset");
  }
  for (const char* field : detail::kPointFieldNames) {
    if (H5Tget_member_index(file_type.get(), field) < 0) {
      ctx.fail(where + " has no field '" + field + "'");
    }
  }
  const std::vector<hsize_t> dims = dataset_dims(dataset.get(), 1, where, ctx);
  std::vector<detail::PointRow> rows(static_cast<std::size_t>(dims[0]));
  if (!rows.empty()) {
    Hid memory_type = detail::make_point_type(false, ctx);
    ctx.check(H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
              "H5Dread", where);
  }
  std::vector<PointRecord> points;
  points.reserve(rows.size());
  for (const detail::PointRow& row : rows) {
    points.push_back(detail::from_row(row));
  }
  return points;
}

// Reads at most `max_rows` rows of `samples`, which must be `width` wide.
std::vector<std::vector<double>> read_samples(hid_t group, const std::string& object,
                                              hsize_t max_rows, hsize_t width, const Context& ctx) {
  const std::string where = object + "/samples";
  Hid dataset = ctx.own(H5Dopen2(group, "samples", H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  const std::vector<hsize_t> dims = dataset_dims(dataset.get(), 2, where, ctx);
  if (dims[1] != width) {
    ctx.fail(where + " has " + std::to_string(dims[1]) + " columns but the series has " +
             std::to_string(width) + " iterations");
  }
  const hsize_t rows = std::min(dims[0], max_rows);
  std::vector<std::vector<double>> samples;
  if (rows == 0) {
    return samples;
  }
  std::vector<double> flat(static_cast<std::size_t>(rows * width));
  Hid file_space = ctx.own(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space", where);
  const hsize_t start[2] = {0, 0};
  const hsize_t count[2] = {rows, width};
  ctx.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
            "H5Sselect_hyperslab", where);
  Hid memory_space =
      ctx.own(H5Screate_simple(2, count, nullptr), H5Sclose, "H5Screate_simple", where);
  ctx.check(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
                    H5P_DEFAULT, flat.data()),
            "H5Dread", where);
  const auto w = static_cast<std::ptrdiff_t>(width);
  samples.reserve(static_cast<std::size_t>(rows));
  for (auto it = flat.begin(); it != flat.end(); it += w) {
    samples.emplace_back(it, it + w);
  }
  return samples;
}

SeriesData read_series(hid_t series_root, const std::string& name, const Context& ctx) {
  const std::string object = "/series/" + name;
  Hid group =
      ctx.own(H5Gopen2(series_root, name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2", object);
  const hid_t g = group.get();
  SeriesData series;
  series.name = name;
  SeriesInfo& info = series.info;
  info.collective = read_string(g, object, "collective", ctx);
  info.algorithm = read_string(g, object, "algorithm", ctx);
  info.transport = read_string(g, object, "transport", ctx);
  info.dtype = read_string(g, object, "dtype", ctx);
  info.op = read_string(g, object, "op", ctx);
  info.n_ranks = read_int64(g, object, "n_ranks", ctx);
  info.iterations = read_int64(g, object, "iterations", ctx);
  info.warmup = read_int64(g, object, "warmup", ctx);
  info.busbw_factor = read_double(g, object, "busbw_factor", ctx);
  if (ctx.check(H5Aexists(g, "description"), "H5Aexists", object + "@description") > 0) {
    info.description = read_string(g, object, "description", ctx);
  }
  if (info.iterations < 1) {
    ctx.fail(object + "@iterations is " + std::to_string(info.iterations));
  }

  // Every other attribute is an algorithm parameter; keep the order they were written in.
  Hid gcpl = ctx.own(H5Gget_create_plist(g), H5Pclose, "H5Gget_create_plist", object);
  unsigned order_flags = 0;
  ctx.check(H5Pget_attr_creation_order(gcpl.get(), &order_flags), "H5Pget_attr_creation_order",
            object);
  const H5_index_t index =
      (order_flags & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> attribute_names;
  ctx.check(H5Aiterate2(g, index, H5_ITER_INC, nullptr, collect_attribute_name, &attribute_names),
            "H5Aiterate2", object);
  for (const std::string& attribute : attribute_names) {
    if (!detail::is_fixed_series_attribute(attribute)) {
      info.parameters.emplace_back(attribute, read_int64(g, object, attribute, ctx));
    }
  }

  series.points = read_points(g, object, ctx);
  series.samples_us =
      read_samples(g, object, series.points.size(), static_cast<hsize_t>(info.iterations), ctx);
  // A writer killed inside a flush may have extended `points` but not `samples` (or the
  // other way round): keep only the points that have both rows.
  series.points.resize(std::min(series.points.size(), series.samples_us.size()));
  return series;
}

}  // namespace

FileData read_file(const std::filesystem::path& path) {
  const Context ctx(path.string());
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    ctx.fail("no such file");
  }
  if (std::filesystem::is_directory(status)) {
    ctx.fail("is a directory, not a results file");
  }

  detail::ErrorSilencer quiet;
  const htri_t is_hdf5 = H5Fis_hdf5(ctx.path().c_str());
  if (is_hdf5 == 0) {
    ctx.fail("not an HDF5 file");
  }
  ctx.check(is_hdf5, "H5Fis_hdf5", "");
  Hid file =
      ctx.own(H5Fopen(ctx.path().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen", "");
  const hid_t root = file.get();

  FileData data;
  if (ctx.check(H5Aexists(root, "schema"), "H5Aexists", "/@schema") == 0) {
    ctx.fail("not a fabricbench results file (no schema attribute)");
  }
  data.schema = read_string(root, "/", "schema", ctx);
  if (data.schema != kSchemaName) {
    ctx.fail("not a fabricbench results file (schema is '" + data.schema + "')");
  }
  data.schema_version = read_int64(root, "/", "schema_version", ctx);
  if (data.schema_version != kSchemaVersion) {
    ctx.fail("unsupported schema_version " + std::to_string(data.schema_version) +
             " (this reader understands " + std::to_string(kSchemaVersion) + ")");
  }

  RunInfo& run = data.run;
  run.tool_version = read_string(root, "/", "tool_version", ctx);
  run.git_revision = read_string(root, "/", "git_revision", ctx);
  run.created_utc = read_string(root, "/", "created_utc", ctx);
  run.command_line = read_string(root, "/", "command_line", ctx);
  run.world_size = read_int64(root, "/", "world_size", ctx);
  run.hostnames = read_string_list(root, "/", "hostnames", ctx);
  run.mpi_version = read_string(root, "/", "mpi_version", ctx);
  run.ucx_version = read_string(root, "/", "ucx_version", ctx);
  run.hdf5_version = read_string(root, "/", "hdf5_version", ctx);

  if (ctx.check(H5Lexists(root, "series", H5P_DEFAULT), "H5Lexists", "/series") == 0) {
    return data;
  }
  Hid series_root = ctx.own(H5Gopen2(root, "series", H5P_DEFAULT), H5Gclose, "H5Gopen2", "/series");
  std::vector<std::string> names;
  ctx.check(
      H5Literate(series_root.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link_name, &names),
      "H5Literate", "/series");
  std::sort(names.begin(), names.end());
  data.series.reserve(names.size());
  for (const std::string& name : names) {
    data.series.push_back(read_series(series_root.get(), name, ctx));
  }
  return data;
}

std::string hdf5_library_version() {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned release = 0;
  if (H5get_libversion(&major, &minor, &release) < 0) {
    throw std::runtime_error("H5get_libversion failed");
  }
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace fb::results
