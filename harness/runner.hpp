// Runner: measures every series of the plan over every size and feeds the sinks.
//
// Three collective phases: prepare() sets up the transports and algorithms and says what
// every series will record (nothing large is allocated yet, so a resumed file can be checked
// against it first); allocate() takes the buffers, every rank learning whether all could;
// run() measures.
//
// Timing (--timing, harness/timing.hpp): by default each timed iteration starts right after
// the control step (harness/run_control.hpp), a barrier that also carries stop requests, so
// ranks start together; each rank times its own call, and the iteration's time is the maximum
// over ranks (gathered once per point, after the loop, so the loop itself carries no extra
// communication). back-to-back and window timing are the alternatives described there.
// Warm-up iterations run first and are not recorded. With --check, one more untimed
// iteration runs on fresh input and freshly poisoned output and is validated element by
// element (harness/validation.hpp), so checking never slows the timed iterations.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "core/bootstrap.hpp"
#include "harness/call_setup.hpp"
#include "harness/cli/options.hpp"
#include "harness/device_staging.hpp"
#include "harness/faults/watchdog.hpp"
#include "harness/plan.hpp"
#include "harness/run_control.hpp"
#include "harness/sinks.hpp"
#include "harness/timing.hpp"
#include "harness/transport_set.hpp"
#include "transports/transport.hpp"

namespace fb {

struct RunSummary {
  std::size_t series = 0;
  std::size_t points = 0;
  std::int64_t wrong = 0;          // mismatching elements over all checked points
  int stop_signal = 0;             // non-zero: the run stopped early on this signal
  std::size_t skipped = 0;         // points already in the file being resumed
  std::size_t skipped_series = 0;  // not measured (no usable GPU, a transport that cannot start)
  bool results_failed = false;     // rank 0's results file could not be written: stopped
};

class Runner {
 public:
  Runner(const RunOptions& options, Bootstrap& bootstrap, Watchdog& watchdog);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Collective: creates the transports and algorithms the plan needs and returns what every
  // series will record (the names carry the tag_series suffix). Series that cannot run here
  // (cuda memory without a usable GPU, a transport that cannot start) are marked skipped with
  // the reason, once for every rank. Call tag_series first.
  const std::vector<SeriesHeader>& prepare(const std::vector<SeriesPlan>& plan);
  // Allocates the host buffers, registers them with the transports and pins them for device
  // series. Local: returns "" when this rank could, else a message naming the buffer and its
  // size; the caller agrees on it among the ranks before anyone waits on another.
  std::string allocate();
  // Collective: measures the prepared plan. Sinks are used on rank 0 only (pass none
  // elsewhere). `done`: (series name, size_bytes) points an earlier run already measured
  // (--resume). Stops within one iteration when a rank is signalled or a sink fails.
  RunSummary run(const std::vector<Sink*>& sinks,
                 const std::set<std::pair<std::string, std::uint64_t>>& done = {});

  // Appended to every series name, and parameters added to every series (the node subset
  // of a topology sweep: ".nodes2x4", {nodes 2, ranks_per_node 4}).
  void tag_series(std::string suffix, Parameters parameters) {
    series_suffix_ = std::move(suffix);
    series_parameters_ = std::move(parameters);
  }
  // Where the ranks sit (the order our rings and trees take, which ranks share a host), and
  // the sentence the series' descriptions carry about it (empty: none). Call before prepare.
  void set_layout(std::shared_ptr<const topo::RankLayout> layout, std::string description) {
    layout_ = std::move(layout);
    layout_description_ = std::move(description);
  }

 private:
  struct Prepared {
    SeriesPlan plan;
    SeriesHeader header;
    std::unique_ptr<Algorithm> algorithm;      // null when skipped
    TransportSet::Entry* transport = nullptr;  // null for baselines
    bool resident = false;  // our algorithm on the device buffers (--staging none)
    // What moves device memory for a cuda series: the transport, or the local IPC path
    // over it (DeviceStaging::device_path); null for host series and baselines.
    Transport* device_transport = nullptr;
  };
  // `device`: the same call laid out in the device stores (cuda series), else null;
  // `resident`: our algorithm runs on it (--staging none) instead of staging through the
  // host layout. Empty when the run was told to stop (control_) before the point was
  // complete.
  std::optional<PointResult> measure(Algorithm& algorithm, const SeriesPlan& series,
                                     const CallLayout& layout, const CallLayout* device,
                                     bool resident, std::uint64_t size_bytes);
  // The device stores registered with `entry`'s transport as device memory (resident
  // series), once per transport.
  // The device stores registered with `moving` (once per transport name).
  std::pair<const MemoryRegion*, const MemoryRegion*> device_regions(const std::string& transport,
                                                                     Transport& moving);
  // The control step that starts every iteration: true when the run must stop.
  bool stop_requested();
  // A note on stderr (rank 0) when many of a point's timing windows opened late.
  void note_timing(const TimedPoint& timed, std::uint64_t size_bytes) const;

  const RunOptions& options_;
  std::shared_ptr<const topo::RankLayout> layout_;
  std::string layout_description_;
  Bootstrap& bootstrap_;
  Watchdog& watchdog_;
  // The host stores; the transports register them and device series stage through them.
  // Declared before what uses them, so they go last.
  AlignedBuffer send_;
  AlignedBuffer recv_;
  TransportSet transports_;
  DeviceStaging device_;
  // The device stores' registrations per transport (resident series): released before the
  // device memory (device_) and the transports go.
  std::map<std::string, std::pair<std::unique_ptr<MemoryRegion>, std::unique_ptr<MemoryRegion>>>
      device_regions_;
  std::vector<Prepared> prepared_;
  std::vector<SeriesHeader> headers_;
  std::unique_ptr<RunControl> control_;
  std::string series_suffix_;
  Parameters series_parameters_;
};

}  // namespace fb
