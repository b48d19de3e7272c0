// /verdicts/<name>: the checks of one qualify judgement as a numeric compound dataset
// `checks` and one string dataset per text column, all with a row per check.
#include "results/hdf5_verdicts.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "results/hdf5_io.hpp"

namespace fb::results::detail {

namespace {

struct CheckRow {
  std::uint64_t size_bytes;
  std::uint64_t samples;
  double estimate;
  double lower;
  double upper;
  double level;
  double warn_threshold;
  double fail_threshold;
};

constexpr std::array<Field, 8> kCheckFields = {{
    {"size_bytes", offsetof(CheckRow, size_bytes), FieldType::kUint64},
    {"samples", offsetof(CheckRow, samples), FieldType::kUint64},
    {"estimate", offsetof(CheckRow, estimate), FieldType::kFloat64},
    {"lower", offsetof(CheckRow, lower), FieldType::kFloat64},
    {"upper", offsetof(CheckRow, upper), FieldType::kFloat64},
    {"level", offsetof(CheckRow, level), FieldType::kFloat64},
    {"warn_threshold", offsetof(CheckRow, warn_threshold), FieldType::kFloat64},
    {"fail_threshold", offsetof(CheckRow, fail_threshold), FieldType::kFloat64},
}};
static_assert(sizeof(CheckRow) == kCheckFields.size() * 8, "CheckRow must be packed");

// The text columns, in the order of VerdictCheck's members.
constexpr std::array<const char*, 9> kTextColumns = {
    "check", "rule", "test", "series", "concerns", "statistic", "unit", "verdict", "note"};

std::array<std::string VerdictCheck::*, 9> text_members() {
  return {&VerdictCheck::check,  &VerdictCheck::rule,     &VerdictCheck::test,
          &VerdictCheck::series, &VerdictCheck::concerns, &VerdictCheck::statistic,
          &VerdictCheck::unit,   &VerdictCheck::verdict,  &VerdictCheck::note};
}

void write_strings(hid_t group, const char* name, const std::string& object,
                   const std::vector<std::string>& values, const Context& ctx) {
  const std::string where = object + "/" + name;
  Hid type = make_vlen_string_type(H5T_CSET_UTF8, ctx);
  const hsize_t dims[1] = {values.size()};
  Hid space = ctx.own(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple", where);
  Hid dataset = ctx.own(
      H5Dcreate2(group, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where);
  std::vector<const char*> data;
  data.reserve(values.size());
  for (const auto& v : values)
    data.push_back(v.c_str());
  if (!data.empty()) {
    ctx.check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
              "H5Dwrite", where);
  }
}

std::vector<std::string> read_strings(hid_t group, const char* name, const std::string& object,
                                      std::size_t rows, const Context& ctx) {
  const std::string where = object + "/" + name;
  Hid dataset = ctx.own(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  const auto dims = dataset_dims(dataset.get(), 1, where, ctx);
  if (dims[0] != rows) {
    ctx.fail(where + " has " + std::to_string(dims[0]) + " rows, expected " + std::to_string(rows));
  }
  std::vector<std::string> out(rows);
  if (rows == 0) return out;
  Hid type = make_vlen_string_type(H5T_CSET_UTF8, ctx);
  std::vector<char*> data(rows, nullptr);
  ctx.check(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
            "H5Dread", where);
  for (std::size_t i = 0; i < rows; ++i) {
    out[i] = data[i] != nullptr ? data[i] : "";
  }
  Hid space = ctx.own(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space", where);
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, data.data());
  return out;
}

}  // namespace

void validate_verdicts(const std::string& name, const VerdictSet& /*verdicts*/) {
  if (!is_valid_name(name)) {
    throw std::invalid_argument("verdicts '" + name +
                                "': name must be non-empty and contain no '/'");
  }
}

void write_verdict_set(hid_t root, const std::string& name, const VerdictSet& v,
                       const Context& ctx) {
  Hid verdicts_root = has_link(root, "verdicts", "/verdicts", ctx)
                          ? open_group(root, "verdicts", "/verdicts", ctx)
                          : create_group(root, "verdicts", "/verdicts", false, ctx);
  const std::string object = "/verdicts/" + name;
  if (has_link(verdicts_root.get(), name, object, ctx)) {
    ctx.check(H5Ldelete(verdicts_root.get(), name.c_str(), H5P_DEFAULT), "H5Ldelete", object);
  }
  Hid group = create_group(verdicts_root.get(), name, object, true, ctx);
  const hid_t g = group.get();
  write_string_attribute(g, object, "profile", v.profile, ctx);
  write_string_attribute(g, object, "profile_source", v.profile_source, ctx);
  write_double_attribute(g, object, "line_rate_Gbps", v.line_rate_Gbps, ctx);
  write_string_attribute(g, object, "created_utc", v.created_utc, ctx);
  write_string_attribute(g, object, "command_line", v.command_line, ctx);
  write_string_attribute(g, object, "overall", v.overall, ctx);
  write_string_list_attribute(g, object, "findings", v.findings, ctx);

  std::vector<CheckRow> rows;
  rows.reserve(v.checks.size());
  for (const auto& c : v.checks) {
    rows.push_back({c.size_bytes, c.samples, c.estimate, c.lower, c.upper, c.level,
                    c.warn_threshold, c.fail_threshold});
  }
  const std::string where = object + "/checks";
  Hid file_type = make_compound_type(sizeof(CheckRow), kCheckFields, true, ctx);
  Hid memory_type = make_compound_type(sizeof(CheckRow), kCheckFields, false, ctx);
  const hsize_t dims[1] = {rows.size()};
  Hid space = ctx.own(H5Screate_simple(1, dims, nullptr), H5Sclose, "H5Screate_simple", where);
  Hid dataset = ctx.own(
      H5Dcreate2(g, "checks", file_type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where);
  if (!rows.empty()) {
    ctx.check(
        H5Dwrite(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
        "H5Dwrite", where);
  }
  const auto members = text_members();
  for (std::size_t column = 0; column < kTextColumns.size(); ++column) {
    std::vector<std::string> values;
    values.reserve(v.checks.size());
    for (const auto& c : v.checks)
      values.push_back(c.*members[column]);
    write_strings(g, kTextColumns[column], object, values, ctx);
  }
}

VerdictSet read_verdict_set(hid_t g, const std::string& name, const Context& ctx) {
  const std::string object = "/verdicts/" + name;
  VerdictSet v;
  v.profile = read_string(g, object, "profile", ctx);
  v.profile_source = read_string(g, object, "profile_source", ctx);
  v.line_rate_Gbps = read_double(g, object, "line_rate_Gbps", ctx);
  v.created_utc = read_string(g, object, "created_utc", ctx);
  v.command_line = read_string(g, object, "command_line", ctx);
  v.overall = read_string(g, object, "overall", ctx);
  v.findings = read_string_list(g, object, "findings", ctx);
  const auto rows = read_compound_rows<CheckRow>(g, "checks", object, kCheckFields, ctx);
  v.checks.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& c = v.checks[i];
    c.size_bytes = rows[i].size_bytes;
    c.samples = rows[i].samples;
    c.estimate = rows[i].estimate;
    c.lower = rows[i].lower;
    c.upper = rows[i].upper;
    c.level = rows[i].level;
    c.warn_threshold = rows[i].warn_threshold;
    c.fail_threshold = rows[i].fail_threshold;
  }
  const auto members = text_members();
  for (std::size_t column = 0; column < kTextColumns.size(); ++column) {
    const auto values = read_strings(g, kTextColumns[column], object, rows.size(), ctx);
    for (std::size_t i = 0; i < rows.size(); ++i)
      v.checks[i].*members[column] = values[i];
  }
  return v;
}

}  // namespace fb::results::detail
