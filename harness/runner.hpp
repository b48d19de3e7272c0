// Runner: measures every series of the plan over every size and feeds the sinks.
//
// Timing: each timed iteration starts right after a barrier, so ranks start together; each
// rank times its own call, and the iteration's time is the maximum over ranks (gathered
// once per point, after the loop, so the loop itself carries no extra communication).
// Warm-up iterations run first and are not recorded. With --check, one more untimed
// iteration runs on fresh input and freshly poisoned output and is validated element by
// element (harness/validation.hpp), so checking never slows the timed iterations.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "harness/call_setup.hpp"
#include "harness/options.hpp"
#include "harness/plan.hpp"
#include "harness/sinks.hpp"
#include "harness/watchdog.hpp"
#include "transports/bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

struct RunSummary {
  std::size_t series = 0;
  std::size_t points = 0;
  std::int64_t wrong = 0;          // mismatching elements over all checked points
  int stop_signal = 0;             // non-zero: the run stopped early on this signal
  std::size_t skipped = 0;         // points already in the file being resumed
  std::size_t skipped_series = 0;  // not measured (cuda memory without a usable GPU)
};

class Runner {
 public:
  Runner(const RunOptions& options, Bootstrap& bootstrap, Watchdog& watchdog);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Collective over all ranks. Sinks are used on rank 0 only (pass none elsewhere).
  // `done`: (series name, size_bytes) points an earlier run already measured (--resume).
  RunSummary run(const std::vector<SeriesPlan>& plan, const std::vector<Sink*>& sinks,
                 const std::set<std::pair<std::string, std::uint64_t>>& done = {});

  // Appended to every series name, and parameters added to every series (the node subset
  // of a topology sweep: ".nodes2x4", {nodes 2, ranks_per_node 4}).
  void tag_series(std::string suffix, Parameters parameters) {
    series_suffix_ = std::move(suffix);
    series_parameters_ = std::move(parameters);
  }

 private:
  struct TransportState {
    std::unique_ptr<Transport> transport;
    std::unique_ptr<MemoryRegion> send_region;
    std::unique_ptr<MemoryRegion> recv_region;
  };
  // Device memory for --memory cuda: this rank's GPU (local rank modulo the devices), the
  // two device stores, the host stores pinned for staging, a stream, and NCCL when needed.
  struct DeviceState;
  TransportState& transport_state(const std::string& name);
  // Collective: "" when every rank has a usable CUDA device, else why not (one line).
  std::string cuda_unavailable_reason();
  DeviceState& device_state();
  gpu::NcclComm& nccl();
  SeriesHeader series_header(const SeriesPlan& series) const;
  std::size_t point_count(const SeriesPlan& series, std::uint64_t size_bytes) const;
  // `device`: the same call laid out in the device stores (cuda series), else null.
  PointResult measure(Algorithm& algorithm, const SeriesPlan& series, const CallLayout& layout,
                      const CallLayout* device, std::uint64_t size_bytes);

  const RunOptions& options_;
  Bootstrap& bootstrap_;
  Watchdog& watchdog_;
  AlignedBuffer send_;
  AlignedBuffer recv_;
  std::map<std::string, TransportState> transports_;
  std::unique_ptr<DeviceState> device_;
  std::string series_suffix_;
  Parameters series_parameters_;
};

}  // namespace fb
