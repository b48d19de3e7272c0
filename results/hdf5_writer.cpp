// Hdf5Writer: creates a results file (schema version 2) and appends points to it, flushing
// after every point. Collective series are written here, p2p series and link matrices in
// hdf5_p2p.cpp. Layout: results/SCHEMA.md.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/file_guard.hpp"
#include "results/hdf5_io.hpp"
#include "results/hdf5_p2p.hpp"
#include "results/hdf5_util.hpp"
#include "results/hdf5_verdicts.hpp"
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

// Space reserved ahead of HDF5: for the metadata that any write may add (object headers,
// B-tree nodes, the heap), and per point twice the chunks its rows may start.
constexpr std::uint64_t kMetadataReserveBytes = std::uint64_t{64} * 1024;

std::uint64_t matrix_bytes(const LinkMatrix& matrix) {
  const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(matrix.n_ranks, 0));
  const auto iterations = static_cast<std::uint64_t>(std::max<std::int64_t>(matrix.iterations, 0));
  return kMetadataReserveBytes + std::uint64_t{4} * n * n * sizeof(double) * (1 + iterations);
}

// Ends the process at exit() before HDF5's own clean-up runs (handlers run in reverse order of
// registration, and HDF5 registered its handler when it started), with the status exit() was
// given and the standard streams flushed.
void skip_hdf5_cleanup_at_exit() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    ::on_exit(
        [](int status, void*) {
          std::fflush(nullptr);
          ::_exit(status);
        },
        nullptr);
  });
}

// Refuses (NotAResultsFile) anything but a file this writer could have written: HDF5 with the
// root attributes `schema` = "fabricbench", `schema_version` and `tool_version`.
void require_results_file(const std::string& path) {
  const Context ctx(path);
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) {
    throw NotAResultsFile(path + ": not an HDF5 file, so not a fabricbench results file");
  }
  Hid file;
  try {
    file = ctx.own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen", "");
  } catch (const std::runtime_error& e) {
    // A writer that only takes HDF5's own lock (an older fabricbench, another program).
    if (std::string(e.what()).find("lock") != std::string::npos) {
      throw ResultsFileInUse(path + ": in use by another program (HDF5 file lock)");
    }
    throw NotAResultsFile(std::string(e.what()) + ": not a readable fabricbench results file");
  }
  const hid_t root = file.get();
  bool ours = false;
  try {
    ours = detail::has_attribute(root, "/", "schema", ctx) &&
           detail::read_string(root, "/", "schema", ctx) == kSchemaName &&
           detail::has_attribute(root, "/", "schema_version", ctx) &&
           detail::has_attribute(root, "/", "tool_version", ctx);
  } catch (const std::runtime_error&) {
    ours = false;
  }
  if (!ours) throw NotAResultsFile(path + ": an HDF5 file, but not a fabricbench results file");
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

  ~Impl() {
    const bool clean = failure.empty() && file.get() >= 0;
    series.clear();
    p2p.clear();
    point_memory_type.reset();
    matrix_root.reset();
    series_root.reset();
    if (hdf5_failed) {
      // After a failed flush HDF5 (1.10) cannot close the file: its metadata cache is left
      // mid-flush, and closing the file, now or in the library's clean-up at exit, crashes.
      // The file stays open, detached from the disk, and the process skips that clean-up.
      file.release();
      skip_hdf5_cleanup_at_exit();
    }
    file.reset();
    if (clean && guard) guard->release_reservation();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void flush() const { ctx.check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", "/"); }

  // Collective and p2p series share /series, so a name is unique across both kinds.
  void require_new_series(const std::string& name) const {
    if (detail::has_link(series_root.get(), name, "/series/" + name, ctx)) {
      throw std::invalid_argument(ctx.path() + ": series '" + name + "' already exists");
    }
  }

  // Every change to the file goes through here: first the space for it (`reserve_bytes`
  // beyond the end of the file), then `body`. A failure of either is the end of writing.
  template <typename Body>
  void write(std::uint64_t reserve_bytes, Body&& body) {
    if (!failure.empty()) throw ResultsWriteFailed(failure);
    reserve(reserve_bytes);
    if (!failure.empty()) throw ResultsWriteFailed(failure);
    try {
      body();
    } catch (const std::runtime_error& e) {
      hdf5_failed = true;
      stop(e.what());
      throw ResultsWriteFailed(failure);
    }
  }

  // After a successful flush: the space the next write of `bytes` will need. A failure is
  // recorded (failure()) for the caller to see; the data just written is safe.
  void reserve(std::uint64_t bytes) {
    if (!failure.empty()) return;
    const std::string why = guard->reserve(bytes);
    if (!why.empty()) {
      stop(ctx.path() + ": cannot reserve " + std::to_string(bytes) +
           " bytes on disk for the next point: " + why);
    }
  }

  // Records the first failure and cuts HDF5 off the file: its descriptor is pointed at an
  // anonymous in-memory file, so what HDF5 still does (the flush when the file is closed)
  // succeeds without reaching the disk, and what the last successful flush wrote stays as it
  // was. (Writes that fail instead would leave HDF5's file object half closed, which crashes
  // the library's clean-up at exit.)
  void stop(const std::string& message) noexcept {
    if (failure.empty()) failure = message;
    void* handle = nullptr;
    if (file.get() < 0 || H5Fget_vfd_handle(file.get(), H5P_DEFAULT, &handle) < 0 ||
        handle == nullptr) {
      return;
    }
    // A flush that failed may have recorded an end of file beyond what it wrote; readers
    // refuse a file shorter than that.
    haddr_t eoa = 0;
    if (hdf5_failed && H5Fget_eoa(file.get(), &eoa) >= 0) guard->extend_to(eoa);
    int sink_fd = ::memfd_create("fabricbench-detached", MFD_CLOEXEC);
    if (sink_fd < 0) sink_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (sink_fd < 0) return;
    ::dup2(sink_fd, *static_cast<int*>(handle));
    ::close(sink_fd);
  }

  // Bytes to reserve before a point of a series whose rows are this wide.
  static std::uint64_t point_bytes(std::initializer_list<hsize_t> row_bytes) {
    std::uint64_t bytes = kMetadataReserveBytes;
    for (const hsize_t row : row_bytes) {
      bytes += 2 * detail::row_chunk_bytes(row);
    }
    return bytes;
  }
  std::uint64_t point_bytes(const Series& target) const {
    return point_bytes({sizeof(detail::PointRow), target.iterations * sizeof(double)});
  }
  static std::uint64_t point_bytes(const detail::P2PSeriesHandle& target) {
    return point_bytes({sizeof(detail::PointRow), target.iterations * sizeof(double),
                        target.pairs * sizeof(double)});
  }

  bool appending = false;
  bool hdf5_failed = false;  // an HDF5 call failed (not only a reservation)

  std::filesystem::path path;
  Context ctx;
  std::string failure;
  // Declared before the HDF5 handles: the lock outlives them.
  std::unique_ptr<detail::FileGuard> guard;
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
  s.write(kMetadataReserveBytes, [&] {
    const hid_t root = s.file.get();
    if (has_attribute(root, "/", "status", s.ctx)) {
      s.ctx.check(H5Adelete(root, "status"), "H5Adelete", "/@status");
    }
    write_string_attribute(root, "/", "status", status, s.ctx);
    s.flush();
  });
}

const std::string& Hdf5Writer::failure() const {
  return impl_->failure;
}

Hdf5Writer::Hdf5Writer(const std::filesystem::path& path, const RunInfo& run, Create mode) {
  if (run.world_size < 0 || run.hostnames.size() != static_cast<std::size_t>(run.world_size)) {
    throw std::invalid_argument("results file " + path.string() + ": " +
                                std::to_string(run.hostnames.size()) +
                                " hostnames for world_size " + std::to_string(run.world_size));
  }
  detail::ErrorSilencer quiet;
  impl_ = std::make_unique<Impl>(path);
  Impl& s = *impl_;
  const Context& ctx = s.ctx;

  using Guard = detail::FileGuard;
  s.guard = std::make_unique<Guard>(
      path, mode == Create::kReplace ? Guard::Mode::kReplace : Guard::Mode::kNew);
  if (s.guard->replacing()) require_results_file(path.string());

  // Built under the guard's temporary name; any failure from here on removes it.
  s.write(kMetadataReserveBytes, [&] {
    Hid fapl = make_file_access(ctx);
    s.file = ctx.own(
        H5Fcreate(s.guard->hdf5_path().string().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
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
    if (!run.topology.empty()) {
      write_string_attribute(root, "/", "topology", run.topology, ctx);
      write_string_list_attribute(root, "/", "rank_hosts", run.rank_hosts, ctx);
      write_string_list_attribute(root, "/", "rank_nics", run.rank_nics, ctx);
      write_int64_list_attribute(root, "/", "rank_rails", run.rank_rails, ctx);
    }
    if (!run.rank_locality.empty())
      write_string_list_attribute(root, "/", "rank_locality", run.rank_locality, ctx);
    write_string_attribute(root, "/", "status", run.status, ctx);

    s.series_root = ctx.own(H5Gcreate2(root, "series", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                            H5Gclose, "H5Gcreate2", "/series");
    s.point_memory_type =
        detail::make_compound_type(sizeof(detail::PointRow), detail::kPointFields, false, ctx);
    s.flush();
  });
  // Room for the first series before the file takes its name: a disk too full for that
  // fails here, leaving nothing behind.
  s.reserve(kMetadataReserveBytes * 2);
  if (!s.failure.empty()) throw ResultsWriteFailed(s.failure);
  s.guard->publish();
}

Hdf5Writer::~Hdf5Writer() {
  detail::ErrorSilencer quiet;
  impl_.reset();
}

Hdf5Writer::Hdf5Writer(const std::filesystem::path& path, Append append) {
  detail::ErrorSilencer quiet;
  impl_ = std::make_unique<Impl>(path);
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  s.appending = true;
  // Locked first: a file another writer holds is refused before anything reads or writes it.
  s.guard = std::make_unique<detail::FileGuard>(path, detail::FileGuard::Mode::kReopen);
  require_results_file(path.string());
  Hid fapl = make_file_access(ctx);
  try {
    s.file = ctx.own(H5Fopen(s.path.string().c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose,
                     "H5Fopen", "");
  } catch (const std::runtime_error& e) {
    throw ResultsWriteFailed(e.what());
  }
  const hid_t root = s.file.get();
  s.write(kMetadataReserveBytes, [&] {
    s.series_root = ctx.own(H5Gopen2(root, "series", H5P_DEFAULT), H5Gclose, "H5Gopen2", "/series");
    s.point_memory_type =
        detail::make_compound_type(sizeof(detail::PointRow), detail::kPointFields, false, ctx);
    std::int64_t resumed = 0;
    if (has_attribute(root, "/", "resume_count", ctx)) {
      resumed = detail::read_int64(root, "/", "resume_count", ctx);
      ctx.check(H5Adelete(root, "resume_count"), "H5Adelete", "/@resume_count");
    }
    write_int64_attribute(root, "/", "resume_count", resumed + 1, ctx);
    std::vector<std::string> commands;
    if (has_attribute(root, "/", "resume_command_lines", ctx)) {
      commands = detail::read_string_list(root, "/", "resume_command_lines", ctx);
      ctx.check(H5Adelete(root, "resume_command_lines"), "H5Adelete", "/@resume_command_lines");
    }
    commands.push_back(append.command_line);
    write_string_list_attribute(root, "/", "resume_command_lines", commands, ctx);
    s.flush();
  });
  set_status("running");
}

namespace {
constexpr std::array<const char*, 2> kCollectiveDatasets = {"points", "samples"};
}  // namespace

std::size_t Hdf5Writer::begin_series(const std::string& name, const SeriesInfo& info) {
  validate_series(name, info);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  const std::string object = "/series/" + name;
  if (!s.failure.empty()) throw ResultsWriteFailed(s.failure);

  if (s.appending && detail::has_link(s.series_root.get(), name, object, ctx)) {
    // Continue an existing series after its last committed row.
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
    series.rows = detail::visible_rows(existing.get(), object, kCollectiveDatasets, ctx);
    s.series.push_back(std::move(series));
    s.reserve(s.point_bytes(s.series.back()));
    return s.series.size() - 1;
  }
  s.require_new_series(name);

  Impl::Series series;
  series.name = name;
  series.iterations = static_cast<hsize_t>(info.iterations);
  s.write(kMetadataReserveBytes, [&] {
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
    if (!info.continues.empty()) {
      write_string_attribute(g, object, "continues", info.continues, ctx);
    }
    for (const auto& [parameter, value] : info.parameters) {
      write_int64_attribute(g, object, parameter.c_str(), value, ctx);
    }

    Hid file_type =
        detail::make_compound_type(sizeof(detail::PointRow), detail::kPointFields, true, ctx);
    series.points = detail::create_row_dataset(g, "points", object, file_type.get(), 0, ctx);
    detail::write_committed_rows(series.points.get(), object + "/points", 0, ctx);
    series.samples =
        detail::create_row_dataset(g, "samples", object, H5T_IEEE_F64LE, series.iterations, ctx);
    write_string_attribute(series.samples.get(), object + "/samples", "units", "us", ctx);
    s.flush();
  });
  s.series.push_back(std::move(series));
  s.reserve(s.point_bytes(s.series.back()));
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
  s.write(s.point_bytes(target), [&] {
    detail::write_row(target.points.get(), row, 0, s.point_memory_type.get(), &data,
                      object + "/points", ctx);
    detail::write_row(target.samples.get(), row, target.iterations, H5T_NATIVE_DOUBLE,
                      samples_us.data(), object + "/samples", ctx);
    s.flush();
    // The row counts for readers only once it is on disk.
    detail::write_committed_rows(target.points.get(), object + "/points", row + 1, ctx);
    s.flush();
  });
  target.rows = row + 1;
  s.reserve(s.point_bytes(target));
}

std::size_t Hdf5Writer::begin_p2p_series(const std::string& name, const P2PSeriesInfo& info) {
  detail::validate_p2p_series(name, info);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  if (!s.failure.empty()) throw ResultsWriteFailed(s.failure);
  s.require_new_series(name);
  detail::P2PSeriesHandle handle;
  s.write(kMetadataReserveBytes, [&] {
    handle = detail::create_p2p_series(s.series_root.get(), name, info, s.ctx);
    s.flush();
  });
  s.p2p.push_back(std::move(handle));
  s.reserve(Impl::point_bytes(s.p2p.back()));
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
  s.write(Impl::point_bytes(target), [&] {
    detail::write_p2p_row(target, point, samples_us, s.ctx);
    s.flush();
    // As in append_point: the row counts for readers only once it is on disk.
    detail::write_committed_rows(target.points.get(), "/series/" + target.name + "/points",
                                 target.rows + 1, s.ctx);
    s.flush();
  });
  ++target.rows;
  s.reserve(Impl::point_bytes(target));
}

void Hdf5Writer::write_matrix(const std::string& name, const LinkMatrix& matrix) {
  detail::validate_matrix(name, matrix);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  const Context& ctx = s.ctx;
  if (!s.failure.empty()) throw ResultsWriteFailed(s.failure);
  if (s.matrix_root.get() < 0 && detail::has_link(s.file.get(), "matrix", "/matrix", ctx)) {
    s.matrix_root = detail::open_group(s.file.get(), "matrix", "/matrix", ctx);  // appending
  }
  if (s.matrix_root.get() >= 0 &&
      detail::has_link(s.matrix_root.get(), name, "/matrix/" + name, ctx)) {
    throw std::invalid_argument(ctx.path() + ": matrix '" + name + "' already exists");
  }
  s.write(matrix_bytes(matrix), [&] {
    if (s.matrix_root.get() < 0) {
      s.matrix_root = detail::create_group(s.file.get(), "matrix", "/matrix", false, ctx);
    }
    detail::write_link_matrix(s.matrix_root.get(), name, matrix, ctx);
    s.flush();
  });
}

void Hdf5Writer::write_verdicts(const std::string& name, const VerdictSet& verdicts) {
  detail::validate_verdicts(name, verdicts);
  detail::ErrorSilencer quiet;
  Impl& s = *impl_;
  if (!s.failure.empty()) throw ResultsWriteFailed(s.failure);
  s.write(kMetadataReserveBytes + verdicts.checks.size() * 1024, [&] {
    detail::write_verdict_set(s.file.get(), name, verdicts, s.ctx);
    s.flush();
  });
}

void record_verdicts(const std::filesystem::path& path, const std::string& name,
                     const VerdictSet& verdicts) {
  detail::validate_verdicts(name, verdicts);
  detail::ErrorSilencer quiet;
  const Context ctx(path.string());
  // Locked like a writer, so that a running fabricbench's file is refused, not corrupted.
  detail::FileGuard guard(path, detail::FileGuard::Mode::kReopen);
  require_results_file(path.string());
  Hid fapl = make_file_access(ctx);
  Hid file;
  try {
    file =
        ctx.own(H5Fopen(path.string().c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, "H5Fopen", "");
  } catch (const std::runtime_error& e) {
    throw ResultsWriteFailed(e.what());
  }
  const std::string why = guard.reserve(kMetadataReserveBytes + verdicts.checks.size() * 1024);
  if (!why.empty()) throw ResultsWriteFailed(path.string() + ": " + why);
  try {
    detail::write_verdict_set(file.get(), name, verdicts, ctx);
    ctx.check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush", "/");
  } catch (const std::runtime_error& e) {
    throw ResultsWriteFailed(e.what());
  }
  file.reset();
  guard.release_reservation();
}

const std::filesystem::path& Hdf5Writer::path() const {
  return impl_->path;
}

}  // namespace fb::results
