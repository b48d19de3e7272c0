// read_file: loads a whole results file (schema version 1 or 2, results/SCHEMA.md) into
// memory. Collective series are read here, p2p series and link matrices in hdf5_p2p.cpp.
#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "results/hdf5_io.hpp"
#include "results/hdf5_p2p.hpp"
#include "results/hdf5_util.hpp"
#include "results/hdf5_verdicts.hpp"
#include "results/results.hpp"

namespace fb::results {

using detail::Context;
using detail::Hid;
using detail::read_double;
using detail::read_int64;
using detail::read_string;
using detail::read_string_list;

namespace {

herr_t collect_attribute_name(hid_t /*location*/, const char* name, const H5A_info_t* /*info*/,
                              void* op_data) {
  try {
    static_cast<std::vector<std::string>*>(op_data)->emplace_back(name);
  } catch (...) {
    return -1;
  }
  return 0;
}

SeriesData read_series(hid_t g, const std::string& name, const Context& ctx) {
  const std::string object = "/series/" + name;
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
  if (detail::has_attribute(g, object, "description", ctx)) {
    info.description = read_string(g, object, "description", ctx);
  }
  for (auto [attribute, field] :
       {std::pair{"memory", &info.memory}, std::pair{"staging", &info.staging},
        std::pair{"skipped", &info.skipped}, std::pair{"timing", &info.timing},
        std::pair{"continues", &info.continues}}) {
    if (detail::has_attribute(g, object, attribute, ctx)) {
      *field = read_string(g, object, attribute, ctx);
    }
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

  for (const detail::PointRow& row : detail::read_compound_rows<detail::PointRow>(
           g, "points", object, detail::kPointFields, ctx)) {
    series.points.push_back(detail::from_row(row));
  }
  // Only the rows the writer committed: a writer stopped inside a flush (killed, or out of
  // disk space) may have extended a dataset without writing the row.
  constexpr std::array<const char*, 2> kDatasets = {"points", "samples"};
  const auto rows = static_cast<std::size_t>(detail::visible_rows(g, object, kDatasets, ctx));
  series.points.resize(std::min(series.points.size(), rows));
  series.samples_us = detail::read_double_rows(g, "samples", object, series.points.size(),
                                               static_cast<hsize_t>(info.iterations), ctx);
  return series;
}

// Reads /series/<name> into data.series or data.p2p_series, according to its `kind`.
void read_series_group(hid_t series_root, const std::string& name, FileData& data,
                       const Context& ctx) {
  const std::string object = "/series/" + name;
  Hid group = detail::open_group(series_root, name, object, ctx);
  // Version 1 series have no `kind`: they are all collective.
  const std::string kind = detail::has_attribute(group.get(), object, "kind", ctx)
                               ? read_string(group.get(), object, "kind", ctx)
                               : detail::kKindCollective;
  if (kind == detail::kKindCollective) {
    data.series.push_back(read_series(group.get(), name, ctx));
  } else if (kind == detail::kKindP2P) {
    data.p2p_series.push_back(detail::read_p2p_series(group.get(), name, ctx));
  } else {
    ctx.fail(object + "@kind is '" + kind + "', expected 'collective' or 'p2p'");
  }
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
  if (!detail::has_attribute(root, "/", "schema", ctx)) {
    ctx.fail("not a fabricbench results file (no schema attribute)");
  }
  data.schema = read_string(root, "/", "schema", ctx);
  if (data.schema != kSchemaName) {
    ctx.fail("not a fabricbench results file (schema is '" + data.schema + "')");
  }
  data.schema_version = read_int64(root, "/", "schema_version", ctx);
  if (data.schema_version < detail::kOldestSchemaVersion || data.schema_version > kSchemaVersion) {
    ctx.fail("unsupported schema_version " + std::to_string(data.schema_version) +
             " (this reader understands " + std::to_string(detail::kOldestSchemaVersion) + " to " +
             std::to_string(kSchemaVersion) + ")");
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
  // Provenance added within schema version 2; absent in older files.
  if (has_attribute(root, "/", "environment", ctx)) {
    run.environment = read_string_list(root, "/", "environment", ctx);
    run.slurm_job_id = read_string(root, "/", "slurm_job_id", ctx);
    run.slurm_nodelist = read_string(root, "/", "slurm_nodelist", ctx);
    run.slurm_partition = read_string(root, "/", "slurm_partition", ctx);
    run.local_ranks = read_int64_list(root, "/", "local_ranks", ctx);
    run.cpu_bindings = read_string_list(root, "/", "cpu_bindings", ctx);
  }
  if (has_attribute(root, "/", "nccl_version", ctx)) {
    run.cuda_runtime_version = read_string(root, "/", "cuda_runtime_version", ctx);
    run.nccl_version = read_string(root, "/", "nccl_version", ctx);
    run.cuda_devices = read_string_list(root, "/", "cuda_devices", ctx);
  }
  if (has_attribute(root, "/", "topology", ctx)) {
    run.topology = read_string(root, "/", "topology", ctx);
    run.rank_hosts = read_string_list(root, "/", "rank_hosts", ctx);
    run.rank_nics = read_string_list(root, "/", "rank_nics", ctx);
    run.rank_rails = read_int64_list(root, "/", "rank_rails", ctx);
  }
  if (has_attribute(root, "/", "rank_locality", ctx))
    run.rank_locality = read_string_list(root, "/", "rank_locality", ctx);
  run.status = has_attribute(root, "/", "status", ctx) ? read_string(root, "/", "status", ctx) : "";

  if (detail::has_link(root, "series", "/series", ctx)) {
    Hid series_root = detail::open_group(root, "series", "/series", ctx);
    for (const std::string& name : detail::link_names(series_root.get(), "/series", ctx)) {
      read_series_group(series_root.get(), name, data, ctx);
    }
  }
  if (detail::has_link(root, "matrix", "/matrix", ctx)) {
    Hid matrix_root = detail::open_group(root, "matrix", "/matrix", ctx);
    for (const std::string& name : detail::link_names(matrix_root.get(), "/matrix", ctx)) {
      Hid group = detail::open_group(matrix_root.get(), name, "/matrix/" + name, ctx);
      data.matrices.emplace_back(name, detail::read_link_matrix(group.get(), name, ctx));
    }
  }
  if (detail::has_link(root, "verdicts", "/verdicts", ctx)) {
    Hid verdicts_root = detail::open_group(root, "verdicts", "/verdicts", ctx);
    for (const std::string& name : detail::link_names(verdicts_root.get(), "/verdicts", ctx)) {
      Hid group = detail::open_group(verdicts_root.get(), name, "/verdicts/" + name, ctx);
      data.verdicts.emplace_back(name, detail::read_verdict_set(group.get(), name, ctx));
    }
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
