// HDF5 results file, schema version 2 (documented in results/SCHEMA.md).
//
// The writer is used by rank 0 only. It knows nothing about transports or algorithms:
// everything arrives as strings and numbers. Every append is followed by a flush, so a run
// killed at any moment keeps every point it finished and the file still opens.
//
// A writer never destroys a file it did not make: it creates only new files (or replaces an
// existing fabricbench results file when asked to), locks its file against every other
// writer for its whole life, and stops touching the file at the first failed write, so that
// what it flushed before stays readable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fb::results {

inline constexpr const char* kSchemaName = "fabricbench";
inline constexpr std::int64_t kSchemaVersion = 2;

// Root attributes: who made the file, when, how, and with what.
struct RunInfo {
  std::string tool_version;
  std::string git_revision;
  std::string created_utc;  // ISO 8601, e.g. 2026-11-21T21:39:52Z
  std::string command_line;
  std::int64_t world_size = 0;
  std::vector<std::string> hostnames;  // one per rank, rank order
  std::string mpi_version;
  std::string ucx_version;
  std::string hdf5_version;
  // Batch and launch provenance: the UCX_*, NCCL_*, OMPI_*, FI_* and SLURM_* environment
  // of rank 0 as KEY=VALUE, the Slurm job (empty outside Slurm), and per rank its local
  // rank on its host and the CPUs it may run on (e.g. "0-3,8").
  std::vector<std::string> environment;
  std::string slurm_job_id;
  std::string slurm_nodelist;
  std::string slurm_partition;
  std::vector<std::int64_t> local_ranks;
  std::vector<std::string> cpu_bindings;
  // GPU provenance: CUDA runtime and NCCL versions ("" when built without CUDA), and per
  // rank the CUDA device it would use ("" when it has none).
  std::string cuda_runtime_version;
  std::string nccl_version;
  std::vector<std::string> cuda_devices;
  // The fabric's model the run used (canonical JSON, topologies/topology.hpp; "" in files
  // from before it was recorded) and per rank the model's host, the NIC it drives ("" when
  // unnamed) and that NIC's rail (-1: none).
  std::string topology;
  std::vector<std::string> rank_hosts;
  std::vector<std::string> rank_nics;
  std::vector<std::int64_t> rank_rails;
  // Per rank, where its host's NICs and GPUs sit and which are closest to the rank's CPUs,
  // from hwloc (one JSON object each; empty in files from before it was recorded).
  std::vector<std::string> rank_locality;
  // "running" while measuring; "complete", or "interrupted by SIGTERM" (for example) at the
  // end. A file whose status is still "running" comes from a run that was killed.
  std::string status = "running";
};

// Attributes of one series group under /series/.
struct SeriesInfo {
  std::string collective;
  std::string algorithm;
  std::string transport;  // "none" for a baseline that does not use our transports
  std::string dtype;
  std::string op;
  std::int64_t n_ranks = 0;
  std::int64_t iterations = 0;  // timed iterations per point: the width of `samples`
  std::int64_t warmup = 0;
  double busbw_factor = 1.0;
  // What the algorithm is, in words; for `auto`, the rule that picks per size.
  std::string description;
  // Algorithm parameters (segment size, slots in flight, ...) recorded next to the numbers.
  std::vector<std::pair<std::string, std::int64_t>> parameters;
  // Where the buffers live ("host" or "cuda"); for cuda series that run on the host, how
  // the data is staged; non-empty `skipped`: the series was not measured, and why.
  std::string memory = "host";
  std::string staging;
  std::string skipped;
  // How timed iterations became samples: iteration, back-to-back or window (--timing).
  std::string timing = "iteration";
  // Non-empty: this series holds more samples of points of the series named here (taken by
  // `fabricbench qualify` for an inconclusive check), to be pooled with them per size.
  std::string continues;
};

// One row of the compound dataset `points`.
struct PointRecord {
  std::uint64_t size_bytes = 0;
  std::uint64_t count = 0;
  std::uint64_t iterations = 0;
  double time_min_us = 0;
  double time_median_us = 0;
  double time_mean_us = 0;
  double time_p99_us = 0;
  double time_max_us = 0;
  double algbw_GBps = 0;
  double busbw_GBps = 0;
  std::int64_t wrong = -1;  // mismatching elements summed over ranks; -1 when not checked
};

struct SeriesData {
  std::string name;  // group name under /series/
  SeriesInfo info;
  std::vector<PointRecord> points;
  std::vector<std::vector<double>> samples_us;  // [point][iteration]
};

// Point-to-point series (schema version 2): /series/<name> with attribute kind = "p2p".
struct P2PSeriesInfo {
  std::string test;       // latency, bandwidth, bibw, msgrate, multipair, bisection
  std::string transport;  // ucx, mpi, verbs
  std::int64_t n_ranks = 0;
  std::int64_t iterations = 0;  // timed iterations per point: the width of `samples`
  std::int64_t warmup = 0;
  std::int64_t window = 1;         // messages in flight (bandwidth tests); 1 for latency
  std::vector<std::string> pairs;  // e.g. {"0-1"} or {"0-2", "1-3"}: sender-receiver ranks
  double line_rate_Gbps = 0;       // 0 when unknown
  std::string continues;           // as SeriesInfo::continues
  // Bisection series (one per pairing of the hosts): "worst" or "random N", the host pairs
  // ("n1->n3", sender first) and the sum of the sending hosts' rates (0 when unknown).
  std::string pairing;
  std::vector<std::string> host_pairs;
  double host_rate_sum_Gbps = 0;
};

// Latency tests: half round trips, in microseconds. Bandwidth tests: bw_GBps and
// msg_rate_Mps (aggregate over pairs), per_pair_GBps one entry per pair (multipair).
struct P2PPointRecord {
  std::uint64_t size_bytes = 0;
  std::uint64_t iterations = 0;
  double lat_min_us = 0, lat_p50_us = 0, lat_p90_us = 0, lat_p99_us = 0, lat_p999_us = 0,
         lat_max_us = 0;
  double bw_GBps = 0;
  double msg_rate_Mps = 0;
  std::vector<double> per_pair_GBps;
};

// The all-pairs link matrix: /matrix/<name>.
struct LinkMatrix {
  std::string transport;
  std::int64_t n_ranks = 0;
  std::vector<std::string> hostnames;  // rank order
  std::uint64_t latency_bytes = 0;
  std::uint64_t bandwidth_bytes = 0;
  std::vector<double> latency_us;      // n x n, row = sender; NaN on the diagonal
  std::vector<double> bandwidth_GBps;  // n x n
  double threshold_fraction = 0;       // a pair below fraction x median bandwidth is flagged
  double median_bandwidth_GBps = 0;
  std::vector<std::string> flagged;  // e.g. "host-a (rank 0) <-> host-b (rank 3): 1.2 GB/s"
  // The links grouped by where they run in the fabric's model (p2p_report.hpp group_links):
  // one line per class ("within leaf0: 2 links, median 0.05 GB/s"), and the classes, leaves
  // and hosts whose links are slow together. Empty in files from before they were recorded.
  std::vector<std::string> link_groups;
  std::vector<std::string> flagged_groups;
  double line_rate_Gbps = 0;
  // Per-entry samples (files written since the matrix kept them; empty before): for every
  // ordered pair (row i * n + j) `iterations` timed iterations, NaN rows on the diagonal.
  // Latency: half round trips (us), measured once per pair and mirrored. Bandwidth: the
  // sender's time for one window of `window` messages of bandwidth_bytes (us).
  std::int64_t iterations = 0;
  std::int64_t window = 0;
  std::vector<std::vector<double>> latency_samples_us;    // [n * n][iterations]
  std::vector<std::vector<double>> bandwidth_samples_us;  // [n * n][iterations]
  std::string continues;  // as SeriesInfo::continues: more samples of the matrix named here
};

// The verdicts of one `fabricbench qualify` judgement: /verdicts/<name>.
struct VerdictCheck {
  std::string check;      // e.g. "p2p-bandwidth ucx 1 MiB"
  std::string rule;       // the profile rule
  std::string test;       // p2p_latency, p2p_bandwidth, p2p_bibw, link_matrix, collective
  std::string series;     // the series or matrix judged ("" when nothing was measured)
  std::string concerns;   // the ranks and hosts, e.g. "h0 (rank 0) -> h2 (rank 2)"
  std::string statistic;  // median, p99, ...
  std::string unit;       // of estimate, bounds and thresholds: "GB/s" or "us"
  std::string verdict;    // PASS, WARN, FAIL, INCONCLUSIVE
  std::string note;       // why, when INCONCLUSIVE
  std::uint64_t size_bytes = 0;
  std::uint64_t samples = 0;
  double estimate = 0, lower = 0, upper = 0;  // NaN when there is no interval
  double level = 0;                           // coverage achieved by [lower, upper]
  double warn_threshold = 0, fail_threshold = 0;
};

struct VerdictSet {
  std::string profile;         // its name
  std::string profile_source;  // its file, or "built-in"
  double line_rate_Gbps = 0;
  std::string created_utc;
  std::string command_line;
  std::string overall;                // the worst verdict
  std::vector<std::string> findings;  // link matrix localisation, one sentence each
  std::vector<VerdictCheck> checks;
};

struct P2PSeriesData {
  std::string name;
  P2PSeriesInfo info;
  std::vector<P2PPointRecord> points;
  std::vector<std::vector<double>> samples_us;
};

struct FileData {
  std::string schema;
  std::int64_t schema_version = 0;
  RunInfo run;
  std::vector<SeriesData> series;                            // collective series, sorted by name
  std::vector<P2PSeriesData> p2p_series;                     // sorted by name (schema version 2)
  std::vector<std::pair<std::string, LinkMatrix>> matrices;  // sorted by name
  std::vector<std::pair<std::string, VerdictSet>> verdicts;  // sorted by name
};

// The file was refused before anything was written to it; every message starts with the path.
class ResultsFileRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Creating a new file: something exists at the path already.
class ResultsFileExists final : public ResultsFileRefused {
 public:
  using ResultsFileRefused::ResultsFileRefused;
};
// Replacing or reopening: the file is not a regular file holding a fabricbench results file.
class NotAResultsFile final : public ResultsFileRefused {
 public:
  using ResultsFileRefused::ResultsFileRefused;
};
// Replacing or reopening: another writer (a running fabricbench) holds the file.
class ResultsFileInUse final : public ResultsFileRefused {
 public:
  using ResultsFileRefused::ResultsFileRefused;
};
// The file could not be written: permissions, a full disk, an I/O error. The message names
// the file and the reason (HDF5's or the operating system's, e.g. "No space left on device").
class ResultsWriteFailed final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Hdf5Writer {
 public:
  enum class Create {
    kNew,      // refuse (ResultsFileExists) when the path exists
    kReplace,  // replace an existing fabricbench results file that no writer holds
  };
  // Creates `path` with the root attributes, flushed, under a temporary name that becomes
  // `path` only once complete: a failed creation leaves nothing behind. Throws a
  // ResultsFileRefused when the path is refused, ResultsWriteFailed when it cannot be written.
  Hdf5Writer(const std::filesystem::path& path, const RunInfo& run, Create mode = Create::kNew);
  // Reopens an existing fabricbench file to add to it (--resume), never truncating it:
  // begin_series on a series that exists continues it after its last committed row. Sets
  // `status` back to "running" and counts the resumption in the root attribute
  // `resume_count`. Refuses (ResultsFileInUse) a file another writer holds.
  // The resumed part's command line is appended to the root attribute
  // `resume_command_lines` (one entry per resumption), next to the original `command_line`.
  struct Append {
    std::string command_line;
  };
  Hdf5Writer(const std::filesystem::path& path, Append append);
  ~Hdf5Writer();
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  // Creates /series/<name> with its attributes and empty `points` and `samples`
  // datasets; returns an index for append_point. Names must be unique in the file.
  std::size_t begin_series(const std::string& name, const SeriesInfo& info);

  // Appends one row to `points` and one row (samples_us.size() == info.iterations) to
  // `samples`, then flushes the file to disk.
  void append_point(std::size_t series, const PointRecord& point,
                    const std::vector<double>& samples_us);

  // Point-to-point series (schema version 2). Latency tests write the lat_* fields, the
  // others bw_GBps, msg_rate_Mps and (multipair) a per-pair row; see SCHEMA.md.
  std::size_t begin_p2p_series(const std::string& name, const P2PSeriesInfo& info);
  void append_p2p_point(std::size_t series, const P2PPointRecord& point,
                        const std::vector<double>& samples_us);
  // Writes /matrix/<name> in one go and flushes.
  void write_matrix(const std::string& name, const LinkMatrix& matrix);

  // Writes /verdicts/<name> in one go and flushes (replacing a set of that name).
  void write_verdicts(const std::string& name, const VerdictSet& verdicts);

  // Rewrites the root attribute `status` and flushes.
  void set_status(const std::string& status);

  const std::filesystem::path& path() const;

  // After a write failed (or the space for the next point could not be reserved), the writer
  // stops touching the file: every later write throws ResultsWriteFailed with the first
  // failure's message, and closing writes nothing. Empty while nothing failed.
  const std::string& failure() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds /verdicts/<name> to an existing results file (replacing a set of that name) and
// changes nothing else in it: not its status, not its resume counters. Locks the file as a
// writer does; throws what the Append constructor throws.
void record_verdicts(const std::filesystem::path& path, const std::string& name,
                     const VerdictSet& verdicts);

// Reads a whole file written by Hdf5Writer. Throws std::runtime_error with the path and the
// problem when the file is missing, not HDF5, or not a fabricbench file.
FileData read_file(const std::filesystem::path& path);

// Version string of the HDF5 library in use, e.g. "1.10.8".
std::string hdf5_library_version();

}  // namespace fb::results
