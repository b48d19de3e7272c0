#include "results/hdf5_util.hpp"

#include <stdexcept>

namespace fb::results::detail {

namespace {

// Collects the description of the innermost error on HDF5's default error stack.
herr_t innermost_error(unsigned n, const H5E_error2_t* error, void* client_data) {
  if (n == 0 && error != nullptr && error->desc != nullptr) {
    auto* out = static_cast<std::string*>(client_data);
    try {
      *out = error->desc;
    } catch (...) {
      return -1;
    }
  }
  return 0;
}

void insert_member(hid_t compound, const char* name, std::size_t offset, hid_t type,
                   const Context& ctx) {
  ctx.check(H5Tinsert(compound, name, offset, type), "H5Tinsert", name);
}

}  // namespace

ErrorSilencer::ErrorSilencer() noexcept {
  if (H5Eget_auto2(H5E_DEFAULT, &saved_func_, &saved_data_) >= 0) {
    restore_ = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  }
}

ErrorSilencer::~ErrorSilencer() {
  if (restore_) {
    H5Eset_auto2(H5E_DEFAULT, saved_func_, saved_data_);
  }
}

void Context::fail(const std::string& problem) const {
  throw std::runtime_error(path_ + ": " + problem);
}

void Context::fail_call(const char* call, const std::string& object) const {
  // Read the error stack before any other HDF5 call clears it.
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &detail);
  std::string message = std::string(call) + " failed";
  if (!object.empty()) {
    message += " on " + object;
  }
  if (!detail.empty()) {
    message += " (" + detail + ")";
  }
  fail(message);
}

Hid Context::own(hid_t id, Hid::Closer closer, const char* call, const std::string& object) const {
  if (id < 0) {
    fail_call(call, object);
  }
  return Hid(id, closer);
}

int Context::check(int status, const char* call, const std::string& object) const {
  if (status < 0) {
    fail_call(call, object);
  }
  return status;
}

PointRow to_row(const PointRecord& point) noexcept {
  return PointRow{point.size_bytes,     point.count,        point.iterations,  point.time_min_us,
                  point.time_median_us, point.time_mean_us, point.time_p99_us, point.time_max_us,
                  point.algbw_GBps,     point.busbw_GBps,   point.wrong};
}

PointRecord from_row(const PointRow& row) noexcept {
  PointRecord point;
  point.size_bytes = row.size_bytes;
  point.count = row.count;
  point.iterations = row.iterations;
  point.time_min_us = row.time_min_us;
  point.time_median_us = row.time_median_us;
  point.time_mean_us = row.time_mean_us;
  point.time_p99_us = row.time_p99_us;
  point.time_max_us = row.time_max_us;
  point.algbw_GBps = row.algbw_GBps;
  point.busbw_GBps = row.busbw_GBps;
  point.wrong = row.wrong;
  return point;
}

Hid make_point_type(bool for_file, const Context& ctx) {
  Hid type =
      ctx.own(H5Tcreate(H5T_COMPOUND, sizeof(PointRow)), H5Tclose, "H5Tcreate", "points type");
  const hid_t u64 = for_file ? H5T_STD_U64LE : H5T_NATIVE_UINT64;
  const hid_t f64 = for_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
  const hid_t i64 = for_file ? H5T_STD_I64LE : H5T_NATIVE_INT64;
  const hid_t t = type.get();
  insert_member(t, "size_bytes", HOFFSET(PointRow, size_bytes), u64, ctx);
  insert_member(t, "count", HOFFSET(PointRow, count), u64, ctx);
  insert_member(t, "iterations", HOFFSET(PointRow, iterations), u64, ctx);
  insert_member(t, "time_min_us", HOFFSET(PointRow, time_min_us), f64, ctx);
  insert_member(t, "time_median_us", HOFFSET(PointRow, time_median_us), f64, ctx);
  insert_member(t, "time_mean_us", HOFFSET(PointRow, time_mean_us), f64, ctx);
  insert_member(t, "time_p99_us", HOFFSET(PointRow, time_p99_us), f64, ctx);
  insert_member(t, "time_max_us", HOFFSET(PointRow, time_max_us), f64, ctx);
  insert_member(t, "algbw_GBps", HOFFSET(PointRow, algbw_GBps), f64, ctx);
  insert_member(t, "busbw_GBps", HOFFSET(PointRow, busbw_GBps), f64, ctx);
  insert_member(t, "wrong", HOFFSET(PointRow, wrong), i64, ctx);
  return type;
}

Hid make_vlen_string_type(H5T_cset_t cset, const Context& ctx) {
  Hid type = ctx.own(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", "string type");
  ctx.check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", "string type");
  ctx.check(H5Tset_cset(type.get(), cset), "H5Tset_cset", "string type");
  return type;
}

bool is_fixed_series_attribute(const std::string& name) noexcept {
  for (const char* fixed : kSeriesFixedAttributes) {
    if (name == fixed) {
      return true;
    }
  }
  return false;
}

}  // namespace fb::results::detail
