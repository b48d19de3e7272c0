// Point-to-point measurements over any Transport: latency (ping-pong), unidirectional and
// bidirectional windowed bandwidth, message rate, many pairs at once, and the all-pairs
// link matrix. Every function is collective: all ranks call it with the same arguments;
// ranks outside the measured pairs wait at a barrier.
//
// Timing: a latency iteration is one round trip measured by the first rank of the pair,
// halved. A bandwidth iteration is one window: the sender posts `window` sends and waits
// for a one-byte acknowledgement that the receiver sends after its last receive (as
// ib_write_bw and osu_bw do), so a window's time covers delivery, not just posting.
// Message rate streams iterations x window messages back to back with one final
// acknowledgement. Payloads carry a pattern that the receiver checks after the timed loop
// (one more untimed window into poisoned buffers): `wrong` counts mismatching bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectives/aligned_buffer.hpp"
#include "core/bootstrap.hpp"
#include "transports/transport.hpp"

namespace fb {

enum class P2PTest { latency, bandwidth, bibw, msgrate, multipair, matrix, bisection };
std::string_view to_string(P2PTest t);
std::optional<P2PTest> parse_p2p_test(std::string_view name);
std::vector<std::string> p2p_test_names();

struct P2PConfig {
  std::int64_t iters = 1000;
  std::int64_t warmup = 100;
  int window = 64;  // messages in flight per bandwidth iteration
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Testing aid: this rank waits `delay` before each message it sends (a planted slow link).
  int delay_rank = -1;
  std::chrono::microseconds delay{0};
};

struct StreamResult {
  std::vector<double> samples_us;     // per iteration (window), max over the pairs
  double bw_GBps = 0;                 // aggregate over pairs (directions), GB = 1e9 bytes
  double msg_rate_Mps = 0;            // aggregate, million messages per second
  std::vector<double> per_pair_GBps;  // one per pair
  std::int64_t wrong = 0;             // mismatching payload bytes, summed over ranks
};

struct MatrixResult {
  int n = 0;
  std::vector<double> latency_us;      // n x n, [sender][receiver], NaN where not measured
  std::vector<double> bandwidth_GBps;  // n x n
  // Per entry (row i * n + j) every timed iteration: half round trips (us, measured by the
  // lower rank, mirrored) and the sender's window times (us); NaN rows on the diagonal.
  std::vector<std::vector<double>> latency_samples_us;
  std::vector<std::vector<double>> bandwidth_samples_us;
  std::int64_t wrong = 0;
};

class P2PBench {
 public:
  P2PBench(Transport& transport, Bootstrap& bootstrap, P2PConfig config, std::size_t max_bytes);

  // Half round trips (us) of ping-pong between ranks a and b; on every rank. `wrong` gets
  // the mismatching bytes of a checked exchange.
  std::vector<double> latency(int a, int b, std::size_t bytes, std::int64_t& wrong);
  // Each pair streams first -> second (and second -> first too when bidirectional).
  StreamResult stream(const std::vector<std::pair<int, int>>& pairs, bool bidirectional,
                      std::size_t bytes);
  // Back-to-back messages first -> second of every pair, one acknowledgement at the end.
  StreamResult message_rate(const std::vector<std::pair<int, int>>& pairs, std::size_t bytes);
  // Every pair of ranks, in round-robin rounds: latency at `latency_bytes` and bandwidth in
  // each direction at `bandwidth_bytes`.
  MatrixResult matrix(std::size_t latency_bytes, std::size_t bandwidth_bytes,
                      std::int64_t latency_iters, std::int64_t bandwidth_iters);

 private:
  struct Role {
    std::vector<int> send_to;
    std::vector<int> recv_from;
  };
  Role role_in(const std::vector<std::pair<int, int>>& pairs, bool bidirectional) const;
  void fill_pattern(std::size_t bytes);
  std::int64_t check_pattern(int sender, std::size_t slot_bytes, std::size_t slots) const;
  std::size_t recv_slots(std::size_t bytes) const;
  void maybe_delay() const;
  // One window (or a run of `count` messages) of the stream protocol; returns seconds.
  double window_exchange(const Role& role, std::size_t bytes, std::int64_t count, Tag data_tag,
                         Tag ack_tag);
  // Pair-local pieces (no collective calls), used by the collective tests and the matrix.
  std::vector<double> pingpong(int peer, bool initiator, std::size_t bytes, std::int64_t iters,
                               Tag tag);
  std::vector<double> stream_local(const Role& role, std::size_t bytes, std::int64_t iters,
                                   std::int64_t per_iteration, Tag data_tag, Tag ack_tag,
                                   std::int64_t warmup);
  std::int64_t checked_window(const Role& role, std::size_t bytes, Tag data_tag, Tag ack_tag);
  Deadline deadline() const { return Clock::now() + config_.timeout; }

  Transport& transport_;
  Bootstrap& bootstrap_;
  P2PConfig config_;
  std::size_t max_bytes_;
  AlignedBuffer send_;
  AlignedBuffer recv_;
  AlignedBuffer ack_;
  std::unique_ptr<MemoryRegion> send_region_;
  std::unique_ptr<MemoryRegion> recv_region_;
  std::unique_ptr<MemoryRegion> ack_region_;
  std::uint64_t call_seq_ = 0;
  std::vector<Request> reqs_;
};

}  // namespace fb
