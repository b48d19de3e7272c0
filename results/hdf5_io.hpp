// Private helpers shared by the HDF5 writers and readers: attributes, groups, appendable
// row datasets. Every failure throws std::runtime_error naming the file and the object
// (`object` is the HDF5 path of the group or dataset, e.g. "/series/x").
// Not part of the public API; include results/results.hpp instead.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "results/hdf5_util.hpp"

namespace fb::results::detail {

// --- Attributes (scalar unless a list; strings are variable-length UTF-8) -------------------

void write_string_attribute(hid_t location, const std::string& object, const char* name,
                            const std::string& value, const Context& ctx);
void write_string_list_attribute(hid_t location, const std::string& object, const char* name,
                                 const std::vector<std::string>& values, const Context& ctx);
void write_int64_attribute(hid_t location, const std::string& object, const char* name,
                           std::int64_t value, const Context& ctx);
void write_int64_list_attribute(hid_t location, const std::string& object, const char* name,
                                const std::vector<std::int64_t>& values, const Context& ctx);
std::vector<std::int64_t> read_int64_list(hid_t location, const std::string& object,
                                          const std::string& name, const Context& ctx);
void write_uint64_attribute(hid_t location, const std::string& object, const char* name,
                            std::uint64_t value, const Context& ctx);
void write_double_attribute(hid_t location, const std::string& object, const char* name,
                            double value, const Context& ctx);

bool has_attribute(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx);
// The readers accept variable- or fixed-length strings in either character set, and any
// integer (floating-point) type that converts; they throw when the attribute is missing.
std::vector<std::string> read_string_list(hid_t location, const std::string& object,
                                          const std::string& name, const Context& ctx);
std::string read_string(hid_t location, const std::string& object, const std::string& name,
                        const Context& ctx);
std::int64_t read_int64(hid_t location, const std::string& object, const std::string& name,
                        const Context& ctx);
std::uint64_t read_uint64(hid_t location, const std::string& object, const std::string& name,
                          const Context& ctx);
double read_double(hid_t location, const std::string& object, const std::string& name,
                   const Context& ctx);

// --- Groups ---------------------------------------------------------------------------------

// Creates group `name` in `parent`; with `track_order` the group records attribute creation
// order, so that H5Aiterate2 can list attributes in the order they were written.
Hid create_group(hid_t parent, const std::string& name, const std::string& object, bool track_order,
                 const Context& ctx);
Hid open_group(hid_t parent, const std::string& name, const std::string& object,
               const Context& ctx);
bool has_link(hid_t group, const std::string& name, const std::string& object, const Context& ctx);
// Names of the links in `group`, sorted.
std::vector<std::string> link_names(hid_t group, const std::string& object, const Context& ctx);

// --- Appendable row datasets ----------------------------------------------------------------

// Creates dataset `name` with no rows, an unlimited number of rows and chunks of whole rows:
// 1-D of `file_type` when width == 0, otherwise 2-D [row][width].
Hid create_row_dataset(hid_t group, const char* name, const std::string& object, hid_t file_type,
                       hsize_t width, const Context& ctx);
// Extends the dataset to row + 1 rows and writes row `row` (one element when 1-D, `width`
// elements when 2-D) from `data`, laid out as `memory_type`.
void write_row(hid_t dataset, hsize_t row, hsize_t width, hid_t memory_type, const void* data,
               const std::string& where, const Context& ctx);

// Bytes of one chunk of a row dataset whose rows are `row_bytes` wide (what HDF5 allocates
// when a row starts a new chunk).
hsize_t row_chunk_bytes(hsize_t row_bytes) noexcept;

// --- Committed rows -------------------------------------------------------------------------

// A series' rows become visible to readers only once completely written: the `points`
// dataset's attribute `committed_rows` counts them, rewritten (and flushed) after the rows
// themselves were flushed. Sets it to `rows`, creating it when missing.
void write_committed_rows(hid_t points, const std::string& where, hsize_t rows, const Context& ctx);
// The rows of the series group `group` a reader may use: `committed_rows` when the points
// carry it, else (files written before it existed) the rows present in every one of
// `datasets` less trailing rows whose `iterations` is 0 (extended but never written); never
// more than any dataset holds.
hsize_t visible_rows(hid_t group, const std::string& object, std::span<const char* const> datasets,
                     const Context& ctx);

// --- Reading datasets -----------------------------------------------------------------------

// Dimensions of a dataset's dataspace, which must have `rank` dimensions.
std::vector<hsize_t> dataset_dims(hid_t dataset, int rank, const std::string& where,
                                  const Context& ctx);
// The first min(rows, max_rows) rows of the 2-D float64 dataset `name`, which must have
// `width` columns.
std::vector<std::vector<double>> read_double_rows(hid_t group, const char* name,
                                                  const std::string& object, hsize_t max_rows,
                                                  hsize_t width, const Context& ctx);
// The whole 2-D float64 dataset `name`, which must be rows x columns, row-major.
std::vector<double> read_double_matrix(hid_t group, const char* name, const std::string& object,
                                       hsize_t rows, hsize_t columns, const Context& ctx);

// Opens the 1-D compound dataset `name` after checking it has every field; returns it and
// its number of rows.
std::pair<Hid, hsize_t> open_compound_dataset(hid_t group, const char* name,
                                              const std::string& where,
                                              std::span<const Field> fields, const Context& ctx);
void read_whole_dataset(hid_t dataset, hid_t memory_type, void* out, const std::string& where,
                        const Context& ctx);

// Every row of the 1-D compound dataset `name`, converted to `Row` as `fields` lay it out.
template <typename Row>
std::vector<Row> read_compound_rows(hid_t group, const char* name, const std::string& object,
                                    std::span<const Field> fields, const Context& ctx) {
  const std::string where = object + "/" + name;
  auto [dataset, n] = open_compound_dataset(group, name, where, fields, ctx);
  std::vector<Row> rows(static_cast<std::size_t>(n));
  if (!rows.empty()) {
    Hid memory_type = make_compound_type(sizeof(Row), fields, false, ctx);
    read_whole_dataset(dataset.get(), memory_type.get(), rows.data(), where, ctx);
  }
  return rows;
}

}  // namespace fb::results::detail
