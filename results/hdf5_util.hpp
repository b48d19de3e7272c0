// Private helpers shared by the HDF5 writer and reader: ownership of hid_t values, error
// checking that turns HDF5 failures into exceptions, compound types, and the layout of a
// collective series' `points`.
// Not part of the public API; include results/results.hpp instead.
#pragma once

#include <hdf5.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "results/results.hpp"

namespace fb::results::detail {

// Owns one HDF5 identifier and releases it with the matching H5*close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);

  Hid() noexcept = default;
  Hid(hid_t id, Closer closer) noexcept : id_(id), closer_(closer) {}
  Hid(Hid&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { reset(); }

  hid_t get() const noexcept { return id_; }

  // Gives the identifier up without closing it.
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }

  void reset() noexcept {
    if (id_ >= 0 && closer_ != nullptr) {
      closer_(id_);  // Nothing useful can be done with a failed close here.
    }
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Turns HDF5's automatic error printing off for its lifetime and restores the previous
// handler afterwards, so that failures reach the caller only as exceptions.
class ErrorSilencer {
 public:
  ErrorSilencer() noexcept;
  ~ErrorSilencer();
  ErrorSilencer(const ErrorSilencer&) = delete;
  ErrorSilencer& operator=(const ErrorSilencer&) = delete;

 private:
  H5E_auto2_t saved_func_ = nullptr;
  void* saved_data_ = nullptr;
  bool restore_ = false;
};

// Error checking bound to one file path. Every message starts with the path; failures of an
// HDF5 call also name the call, the object inside the file, and HDF5's own description.
class Context {
 public:
  explicit Context(std::string path) : path_(std::move(path)) {}

  const std::string& path() const noexcept { return path_; }

  // Throws std::runtime_error("<path>: <problem>").
  [[noreturn]] void fail(const std::string& problem) const;

  // Takes ownership of `id` or throws if the call that produced it failed.
  Hid own(hid_t id, Hid::Closer closer, const char* call, const std::string& object) const;

  // Throws if `status` (an herr_t or htri_t) is negative; returns it otherwise.
  int check(int status, const char* call, const std::string& object) const;

 private:
  [[noreturn]] void fail_call(const char* call, const std::string& object) const;

  std::string path_;
};

// Oldest schema version read_file accepts (kSchemaVersion is the newest).
inline constexpr std::int64_t kOldestSchemaVersion = 1;

// Values of the series attribute `kind`; a series without it (version 1) is collective.
inline constexpr const char* kKindCollective = "collective";
inline constexpr const char* kKindP2P = "p2p";

// Attribute of a series' `points` dataset: the rows completely written (see visible_rows).
inline constexpr const char* kCommittedRows = "committed_rows";

// Series and matrix names: non-empty, no '/', not "." or "..".
bool is_valid_name(const std::string& name) noexcept;

// One member of a packed compound type whose members are all 8 bytes wide.
enum class FieldType { kUint64, kInt64, kFloat64 };
struct Field {
  const char* name;
  std::size_t offset;
  FieldType type;
};

// Compound type of `size` bytes with the given members: native types (for memory) or
// little-endian standard types (for the file), at the same offsets.
Hid make_compound_type(std::size_t size, std::span<const Field> fields, bool for_file,
                       const Context& ctx);

// One row of a collective series' `points` as laid out in memory for H5Dwrite/H5Dread. Only
// 8-byte members, so the struct has no padding and matches the packed on-disk layout byte for
// byte.
struct PointRow {
  std::uint64_t size_bytes;
  std::uint64_t count;
  std::uint64_t iterations;
  double time_min_us;
  double time_median_us;
  double time_mean_us;
  double time_p99_us;
  double time_max_us;
  double algbw_GBps;
  double busbw_GBps;
  std::int64_t wrong;
};

inline constexpr std::array<Field, 11> kPointFields = {{
    {"size_bytes", offsetof(PointRow, size_bytes), FieldType::kUint64},
    {"count", offsetof(PointRow, count), FieldType::kUint64},
    {"iterations", offsetof(PointRow, iterations), FieldType::kUint64},
    {"time_min_us", offsetof(PointRow, time_min_us), FieldType::kFloat64},
    {"time_median_us", offsetof(PointRow, time_median_us), FieldType::kFloat64},
    {"time_mean_us", offsetof(PointRow, time_mean_us), FieldType::kFloat64},
    {"time_p99_us", offsetof(PointRow, time_p99_us), FieldType::kFloat64},
    {"time_max_us", offsetof(PointRow, time_max_us), FieldType::kFloat64},
    {"algbw_GBps", offsetof(PointRow, algbw_GBps), FieldType::kFloat64},
    {"busbw_GBps", offsetof(PointRow, busbw_GBps), FieldType::kFloat64},
    {"wrong", offsetof(PointRow, wrong), FieldType::kInt64},
}};
static_assert(sizeof(PointRow) == kPointFields.size() * sizeof(std::uint64_t),
              "PointRow must be packed");

PointRow to_row(const PointRecord& point) noexcept;
PointRecord from_row(const PointRow& row) noexcept;

// Variable-length string type with the given character set.
Hid make_vlen_string_type(H5T_cset_t cset, const Context& ctx);

// Names of the collective series attributes that are not algorithm parameters.
inline constexpr std::array<const char*, 16> kSeriesFixedAttributes = {
    "kind",    "collective", "algorithm", "transport",    "dtype",       "op",
    "n_ranks", "iterations", "warmup",    "busbw_factor", "description", "memory",
    "staging", "skipped",    "timing",    "continues"};

bool is_fixed_series_attribute(const std::string& name) noexcept;

}  // namespace fb::results::detail
