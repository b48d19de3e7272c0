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

hid_t field_type(FieldType type, bool for_file) noexcept {
  switch (type) {
    case FieldType::kUint64:
      return for_file ? H5T_STD_U64LE : H5T_NATIVE_UINT64;
    case FieldType::kInt64:
      return for_file ? H5T_STD_I64LE : H5T_NATIVE_INT64;
    case FieldType::kFloat64:
      break;
  }
  return for_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
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
  // The file driver's failures carry the operating system's reason among offsets and
  // descriptor numbers ("... errno = 28, error message = 'No space left on device', ...");
  // keep just the reason.
  const std::string marker = "error message = '";
  if (const auto start = detail.find(marker); start != std::string::npos) {
    const auto begin = start + marker.size();
    const auto end = detail.find('\'', begin);
    if (end != std::string::npos) detail = detail.substr(begin, end - begin);
  }
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

Hid make_compound_type(std::size_t size, std::span<const Field> fields, bool for_file,
                       const Context& ctx) {
  Hid type = ctx.own(H5Tcreate(H5T_COMPOUND, size), H5Tclose, "H5Tcreate", "compound type");
  for (const Field& field : fields) {
    ctx.check(H5Tinsert(type.get(), field.name, field.offset, field_type(field.type, for_file)),
              "H5Tinsert", field.name);
  }
  return type;
}

Hid make_vlen_string_type(H5T_cset_t cset, const Context& ctx) {
  Hid type = ctx.own(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", "string type");
  ctx.check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", "string type");
  ctx.check(H5Tset_cset(type.get(), cset), "H5Tset_cset", "string type");
  return type;
}

bool is_valid_name(const std::string& name) noexcept {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
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
