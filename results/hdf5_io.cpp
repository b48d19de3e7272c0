#include "results/hdf5_io.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace fb::results::detail {

namespace {

// Upper bound on the bytes in one chunk of a row dataset; a chunk holds whole rows.
constexpr hsize_t kChunkBytes = hsize_t{1} << 20;
constexpr hsize_t kMaxChunkRows = 64;

Hid scalar_space(const Context& ctx) {
  return ctx.own(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", "scalar dataspace");
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

// Frees the strings HDF5 allocated for a variable-length string read.
struct VlenStrings {
  std::vector<char*> data;
  VlenStrings() = default;
  VlenStrings(const VlenStrings&) = delete;
  VlenStrings& operator=(const VlenStrings&) = delete;
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

Hid open_attribute(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx) {
  if (!has_attribute(location, object, name, ctx)) {
    ctx.fail("missing attribute " + object + "@" + name);
  }
  return ctx.own(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen",
                 object + "@" + name);
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

}  // namespace

void write_string_attribute(hid_t location, const std::string& object, const char* name,
                            const std::string& value, const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid type = make_vlen_string_type(H5T_CSET_UTF8, ctx);
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
  Hid type = make_vlen_string_type(H5T_CSET_UTF8, ctx);
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

void write_int64_attribute(hid_t location, const std::string& object, const char* name,
                           std::int64_t value, const Context& ctx) {
  write_numeric_attribute(location, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, ctx);
}

void write_int64_list_attribute(hid_t location, const std::string& object, const char* name,
                                const std::vector<std::int64_t>& values, const Context& ctx) {
  const std::string where = object + "@" + name;
  const hsize_t dims[1] = {static_cast<hsize_t>(values.size())};
  Hid space = ctx.own(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple", where);
  Hid attr =
      ctx.own(H5Acreate2(location, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, "H5Acreate2", where);
  if (!values.empty()) {
    ctx.check(H5Awrite(attr.get(), H5T_NATIVE_INT64, values.data()), "H5Awrite", where);
  }
}

std::vector<std::int64_t> read_int64_list(hid_t location, const std::string& object,
                                          const std::string& name, const Context& ctx) {
  const std::string where = object + "@" + name;
  Hid attr = ctx.own(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen", where);
  Hid space = ctx.own(H5Aget_space(attr.get()), H5Sclose, "H5Aget_space", where);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) ctx.fail(where + ": H5Sget_simple_extent_npoints failed");
  std::vector<std::int64_t> values(static_cast<std::size_t>(n));
  if (n > 0) ctx.check(H5Aread(attr.get(), H5T_NATIVE_INT64, values.data()), "H5Aread", where);
  return values;
}

void write_uint64_attribute(hid_t location, const std::string& object, const char* name,
                            std::uint64_t value, const Context& ctx) {
  write_numeric_attribute(location, object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, ctx);
}

void write_double_attribute(hid_t location, const std::string& object, const char* name,
                            double value, const Context& ctx) {
  write_numeric_attribute(location, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, ctx);
}

bool has_attribute(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx) {
  return ctx.check(H5Aexists(location, name.c_str()), "H5Aexists", object + "@" + name) > 0;
}

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
    Hid memory_type = make_vlen_string_type(cset, ctx);
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

std::int64_t read_int64(hid_t location, const std::string& object, const std::string& name,
                        const Context& ctx) {
  return read_scalar<std::int64_t>(location, object, name, H5T_INTEGER, H5T_NATIVE_INT64, ctx);
}

std::uint64_t read_uint64(hid_t location, const std::string& object, const std::string& name,
                          const Context& ctx) {
  return read_scalar<std::uint64_t>(location, object, name, H5T_INTEGER, H5T_NATIVE_UINT64, ctx);
}

double read_double(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx) {
  return read_scalar<double>(location, object, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, ctx);
}

Hid create_group(hid_t parent, const std::string& name, const std::string& object, bool track_order,
                 const Context& ctx) {
  Hid gcpl = ctx.own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate", object);
  if (track_order) {
    ctx.check(H5Pset_attr_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
              "H5Pset_attr_creation_order", object);
  }
  return ctx.own(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
                 "H5Gcreate2", object);
}

Hid open_group(hid_t parent, const std::string& name, const std::string& object,
               const Context& ctx) {
  return ctx.own(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2", object);
}

bool has_link(hid_t group, const std::string& name, const std::string& object, const Context& ctx) {
  return ctx.check(H5Lexists(group, name.c_str(), H5P_DEFAULT), "H5Lexists", object) > 0;
}

std::vector<std::string> link_names(hid_t group, const std::string& object, const Context& ctx) {
  std::vector<std::string> names;
  ctx.check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link_name, &names),
            "H5Literate", object);
  std::sort(names.begin(), names.end());
  return names;
}

Hid create_row_dataset(hid_t group, const char* name, const std::string& object, hid_t file_type,
                       hsize_t width, const Context& ctx) {
  const std::string where = object + "/" + name;
  const int rank = width == 0 ? 1 : 2;
  const hsize_t row_bytes = H5Tget_size(file_type) * std::max<hsize_t>(width, 1);
  const hsize_t chunk_rows = row_chunk_bytes(row_bytes) / row_bytes;
  const hsize_t dims[2] = {0, width};
  const hsize_t max_dims[2] = {H5S_UNLIMITED, width};
  const hsize_t chunk[2] = {chunk_rows, width};
  Hid space = ctx.own(H5Screate_simple(rank, dims, max_dims), H5Sclose, "H5Screate_simple", where);
  Hid dcpl = ctx.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", where);
  ctx.check(H5Pset_chunk(dcpl.get(), rank, chunk), "H5Pset_chunk", where);
  return ctx.own(
      H5Dcreate2(group, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where);
}

void write_row(hid_t dataset, hsize_t row, hsize_t width, hid_t memory_type, const void* data,
               const std::string& where, const Context& ctx) {
  const int rank = width == 0 ? 1 : 2;
  const hsize_t new_dims[2] = {row + 1, width};
  ctx.check(H5Dset_extent(dataset, new_dims), "H5Dset_extent", where);
  Hid file_space = ctx.own(H5Dget_space(dataset), H5Sclose, "H5Dget_space", where);
  const hsize_t start[2] = {row, 0};
  const hsize_t count[2] = {1, width};
  ctx.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
            "H5Sselect_hyperslab", where);
  Hid memory_space =
      ctx.own(H5Screate_simple(rank, count, nullptr), H5Sclose, "H5Screate_simple", where);
  ctx.check(H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data),
            "H5Dwrite", where);
}

hsize_t row_chunk_bytes(hsize_t row_bytes) noexcept {
  row_bytes = std::max<hsize_t>(row_bytes, 1);
  return std::clamp<hsize_t>(kChunkBytes / row_bytes, 1, kMaxChunkRows) * row_bytes;
}

void write_committed_rows(hid_t points, const std::string& where, hsize_t rows,
                          const Context& ctx) {
  const auto value = static_cast<std::int64_t>(rows);
  if (!has_attribute(points, where, kCommittedRows, ctx)) {
    write_int64_attribute(points, where, kCommittedRows, value, ctx);
    return;
  }
  // Rewritten in place: the attribute keeps its size and its place in the object header.
  const std::string object = where + "@" + kCommittedRows;
  Hid attribute =
      ctx.own(H5Aopen(points, kCommittedRows, H5P_DEFAULT), H5Aclose, "H5Aopen", object);
  ctx.check(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value), "H5Awrite", object);
}

hsize_t visible_rows(hid_t group, const std::string& object, std::span<const char* const> datasets,
                     const Context& ctx) {
  hsize_t rows = ~hsize_t{0};
  for (const char* name : datasets) {
    const std::string where = object + "/" + name;
    Hid dataset = ctx.own(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
    Hid space = ctx.own(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space", where);
    hsize_t dims[2] = {0, 0};
    ctx.check(H5Sget_simple_extent_dims(space.get(), dims, nullptr), "H5Sget_simple_extent_dims",
              where);
    rows = std::min(rows, dims[0]);
  }
  const std::string where = object + "/points";
  Hid points = ctx.own(H5Dopen2(group, "points", H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  if (has_attribute(points.get(), where, kCommittedRows, ctx)) {
    const std::int64_t committed = read_int64(points.get(), where, kCommittedRows, ctx);
    return std::min(rows, static_cast<hsize_t>(std::max<std::int64_t>(committed, 0)));
  }
  if (rows == 0) return 0;
  // An older file: a row written completely has iterations >= 1.
  struct IterationsOnly {
    std::uint64_t iterations;
  };
  const Field field{"iterations", offsetof(IterationsOnly, iterations), FieldType::kUint64};
  Hid memory_type = make_compound_type(sizeof(IterationsOnly), std::span(&field, 1), false, ctx);
  std::vector<IterationsOnly> values(static_cast<std::size_t>(rows));
  Hid file_space = ctx.own(H5Dget_space(points.get()), H5Sclose, "H5Dget_space", where);
  const hsize_t start[1] = {0};
  const hsize_t count[1] = {rows};
  ctx.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
            "H5Sselect_hyperslab", where);
  Hid memory_space =
      ctx.own(H5Screate_simple(1, count, nullptr), H5Sclose, "H5Screate_simple", where);
  ctx.check(H5Dread(points.get(), memory_type.get(), memory_space.get(), file_space.get(),
                    H5P_DEFAULT, values.data()),
            "H5Dread", where);
  while (rows > 0 && values[static_cast<std::size_t>(rows - 1)].iterations == 0) {
    --rows;
  }
  return rows;
}

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

std::vector<std::vector<double>> read_double_rows(hid_t group, const char* name,
                                                  const std::string& object, hsize_t max_rows,
                                                  hsize_t width, const Context& ctx) {
  const std::string where = object + "/" + name;
  Hid dataset = ctx.own(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  const std::vector<hsize_t> dims = dataset_dims(dataset.get(), 2, where, ctx);
  if (dims[1] != width) {
    ctx.fail(where + " has " + std::to_string(dims[1]) + " columns, expected " +
             std::to_string(width));
  }
  const hsize_t rows = std::min(dims[0], max_rows);
  std::vector<std::vector<double>> out;
  if (rows == 0 || width == 0) {
    out.resize(static_cast<std::size_t>(rows));
    return out;
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
  out.reserve(static_cast<std::size_t>(rows));
  for (auto it = flat.begin(); it != flat.end(); it += w) {
    out.emplace_back(it, it + w);
  }
  return out;
}

std::vector<double> read_double_matrix(hid_t group, const char* name, const std::string& object,
                                       hsize_t rows, hsize_t columns, const Context& ctx) {
  const std::string where = object + "/" + name;
  Hid dataset = ctx.own(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  const std::vector<hsize_t> dims = dataset_dims(dataset.get(), 2, where, ctx);
  if (dims[0] != rows || dims[1] != columns) {
    ctx.fail(where + " is " + std::to_string(dims[0]) + " x " + std::to_string(dims[1]) +
             ", expected " + std::to_string(rows) + " x " + std::to_string(columns));
  }
  std::vector<double> out(static_cast<std::size_t>(rows * columns));
  if (!out.empty()) {
    read_whole_dataset(dataset.get(), H5T_NATIVE_DOUBLE, out.data(), where, ctx);
  }
  return out;
}

std::pair<Hid, hsize_t> open_compound_dataset(hid_t group, const char* name,
                                              const std::string& where,
                                              std::span<const Field> fields, const Context& ctx) {
  Hid dataset = ctx.own(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  Hid file_type = ctx.own(H5Dget_type(dataset.get()), H5Tclose, "H5Dget_type", where);
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND) {
    ctx.fail(where + " is not a compound dataset");
  }
  for (const Field& field : fields) {
    if (H5Tget_member_index(file_type.get(), field.name) < 0) {
      ctx.fail(where + " has no field '" + field.name + "'");
    }
  }
  const hsize_t rows = dataset_dims(dataset.get(), 1, where, ctx)[0];
  return {std::move(dataset), rows};
}

void read_whole_dataset(hid_t dataset, hid_t memory_type, void* out, const std::string& where,
                        const Context& ctx) {
  ctx.check(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), "H5Dread", where);
}

}  // namespace fb::results::detail
