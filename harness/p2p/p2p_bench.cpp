#include "harness/p2p/p2p_bench.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <thread>

#include "harness/statistics.hpp"
#include "topologies/tournament.hpp"

namespace fb {

namespace {

constexpr std::array<std::pair<std::string_view, P2PTest>, 7> kTests{{
    {"latency", P2PTest::latency},
    {"bandwidth", P2PTest::bandwidth},
    {"bibw", P2PTest::bibw},
    {"msgrate", P2PTest::msgrate},
    {"multipair", P2PTest::multipair},
    {"matrix", P2PTest::matrix},
    {"bisection", P2PTest::bisection},
}};

// Receive space: a window lands in distinct slots while that fits this budget, else the
// slots wrap (messages of one window then overwrite each other, as in ucx_perftest).
constexpr std::size_t kMinRecvBudget = std::size_t{1} << 20;

std::byte pattern_byte(int rank, std::size_t i) {
  return static_cast<std::byte>((i * 131 + static_cast<std::size_t>(rank) * 7 + 1) & 0xFF);
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  return summarize(v).median_us;
}

}  // namespace

std::string_view to_string(P2PTest t) {
  for (const auto& [name, value] : kTests) {
    if (value == t) return name;
  }
  return "?";
}

std::optional<P2PTest> parse_p2p_test(std::string_view name) {
  for (const auto& [n, value] : kTests) {
    if (n == name) return value;
  }
  return std::nullopt;
}

std::vector<std::string> p2p_test_names() {
  std::vector<std::string> names;
  names.reserve(kTests.size());
  for (const auto& [name, value] : kTests)
    names.emplace_back(name);
  return names;
}

P2PBench::P2PBench(Transport& transport, Bootstrap& bootstrap, P2PConfig config,
                   std::size_t max_bytes)
    : transport_(transport),
      bootstrap_(bootstrap),
      config_(config),
      max_bytes_(max_bytes),
      send_(max_bytes),
      recv_(std::max(max_bytes, kMinRecvBudget)),
      ack_(64),
      send_region_(transport.register_memory(send_.span())),
      recv_region_(transport.register_memory(recv_.span())),
      ack_region_(transport.register_memory(ack_.span())) {
  if (config_.window < 1) throw std::invalid_argument("p2p: window must be >= 1");
}

std::size_t P2PBench::recv_slots(std::size_t bytes) const {
  if (bytes == 0) return 1;
  const std::size_t fit = recv_.size() / bytes;
  return std::max<std::size_t>(
      1, std::min<std::size_t>(fit, static_cast<std::size_t>(config_.window)));
}

void P2PBench::fill_pattern(std::size_t bytes) {
  const int me = bootstrap_.rank();
  for (std::size_t i = 0; i < bytes; ++i)
    send_.data()[i] = pattern_byte(me, i);
}

std::int64_t P2PBench::check_pattern(int sender, std::size_t slot_bytes, std::size_t slots) const {
  std::int64_t wrong = 0;
  for (std::size_t s = 0; s < slots; ++s) {
    const std::byte* slot = recv_.data() + s * slot_bytes;
    for (std::size_t i = 0; i < slot_bytes; ++i)
      wrong += slot[i] == pattern_byte(sender, i) ? 0 : 1;
  }
  return wrong;
}

void P2PBench::maybe_delay() const {
  if (bootstrap_.rank() != config_.delay_rank || config_.delay.count() == 0) return;
  // Sleep rather than spin: only this rank's links slow down, not every rank sharing its core.
  std::this_thread::sleep_for(config_.delay);
}

P2PBench::Role P2PBench::role_in(const std::vector<std::pair<int, int>>& pairs,
                                 bool bidirectional) const {
  Role role;
  const int me = bootstrap_.rank();
  for (const auto& [a, b] : pairs) {
    if (a == me) role.send_to.push_back(b);
    if (b == me) role.recv_from.push_back(a);
    if (bidirectional && b == me) role.send_to.push_back(a);
    if (bidirectional && a == me) role.recv_from.push_back(b);
  }
  return role;
}

double P2PBench::window_exchange(const Role& role, std::size_t bytes, std::int64_t count,
                                 Tag data_tag, Tag ack_tag) {
  const std::size_t slots = recv_slots(bytes);
  const auto n = static_cast<std::size_t>(count);
  const Deadline until = deadline();
  const auto t0 = Clock::now();
  reqs_.clear();
  std::vector<Request> acks;
  for (const int peer : role.send_to)
    acks.push_back(transport_.irecv(peer, ack_tag, *ack_region_, 0, 1));
  for (const int peer : role.recv_from) {
    for (std::size_t j = 0; j < n; ++j) {
      reqs_.push_back(transport_.irecv(peer, data_tag, *recv_region_, (j % slots) * bytes, bytes));
    }
  }
  const std::size_t n_recvs = reqs_.size();
  for (const int peer : role.send_to) {
    for (std::size_t j = 0; j < n; ++j) {
      maybe_delay();
      reqs_.push_back(transport_.isend(peer, data_tag, *send_region_, 0, bytes));
      transport_.progress();
    }
  }
  // Acknowledge each sender once its messages are all in.
  for (std::size_t k = 0; k < n_recvs; ++k)
    transport_.wait(reqs_[k], until);
  std::vector<Request> ack_sends;
  for (const int peer : role.recv_from) {
    ack_sends.push_back(transport_.isend(peer, ack_tag, *ack_region_, 8, 1));
  }
  for (std::size_t k = n_recvs; k < reqs_.size(); ++k)
    transport_.wait(reqs_[k], until);
  transport_.wait_all(acks, until);
  transport_.wait_all(ack_sends, until);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<double> P2PBench::stream_local(const Role& role, std::size_t bytes, std::int64_t iters,
                                           std::int64_t per_iteration, Tag data_tag, Tag ack_tag,
                                           std::int64_t warmup) {
  std::vector<double> samples;
  if (role.send_to.empty() && role.recv_from.empty()) return samples;
  for (std::int64_t i = 0; i < warmup; ++i)
    window_exchange(role, bytes, per_iteration, data_tag, ack_tag);
  samples.reserve(static_cast<std::size_t>(iters));
  for (std::int64_t i = 0; i < iters; ++i) {
    samples.push_back(window_exchange(role, bytes, per_iteration, data_tag, ack_tag) * 1e6);
  }
  return samples;
}

std::int64_t P2PBench::checked_window(const Role& role, std::size_t bytes, Tag data_tag,
                                      Tag ack_tag) {
  const std::size_t slots =
      std::min<std::size_t>(recv_slots(bytes), static_cast<std::size_t>(config_.window));
  std::memset(recv_.data(), 0xA5, std::min(recv_.size(), slots * bytes));
  std::int64_t wrong = 0;
  if (role.send_to.empty() && role.recv_from.empty()) return 0;
  window_exchange(role, bytes, static_cast<std::int64_t>(slots), data_tag, ack_tag);
  for (const int peer : role.recv_from)
    wrong += check_pattern(peer, bytes, slots);
  return wrong;
}

std::vector<double> P2PBench::pingpong(int peer, bool initiator, std::size_t bytes,
                                       std::int64_t iters, Tag tag) {
  std::vector<double> samples;
  const Deadline until = deadline();
  auto once = [&] {
    if (initiator) {
      auto r = transport_.irecv(peer, tag, *recv_region_, 0, bytes);
      const auto t0 = Clock::now();
      maybe_delay();
      auto s = transport_.isend(peer, tag, *send_region_, 0, bytes);
      transport_.wait(r, until);
      const auto t1 = Clock::now();
      transport_.wait(s, until);
      return std::chrono::duration<double, std::micro>(t1 - t0).count() / 2;
    }
    auto r = transport_.irecv(peer, tag, *recv_region_, 0, bytes);
    transport_.wait(r, until);
    maybe_delay();
    auto s = transport_.isend(peer, tag, *send_region_, 0, bytes);
    transport_.wait(s, until);
    return 0.0;
  };
  for (std::int64_t i = 0; i < config_.warmup; ++i)
    once();
  for (std::int64_t i = 0; i < iters; ++i) {
    const double half = once();
    if (initiator) samples.push_back(half);
  }
  return samples;
}

std::vector<double> P2PBench::latency(int a, int b, std::size_t bytes, std::int64_t& wrong) {
  if (bytes > max_bytes_) throw std::invalid_argument("p2p latency: size above the buffers");
  const int me = bootstrap_.rank();
  ++call_seq_;
  const Tag tag = make_tag(call_seq_, 0);
  fill_pattern(bytes);
  bootstrap_.barrier();
  std::vector<double> samples(static_cast<std::size_t>(config_.iters), 0.0);
  if (me == a || me == b) {
    auto mine = pingpong(me == a ? b : a, me == a, bytes, config_.iters, tag);
    if (me == a) samples = std::move(mine);
  }
  // Checked exchange: a -> b -> a into poisoned buffers.
  std::vector<std::int64_t> bad{0};
  if (me == a || me == b) {
    std::memset(recv_.data(), 0xA5, bytes);
    const int peer = me == a ? b : a;
    const Tag check_tag = make_tag(call_seq_, 1);
    const Deadline until = deadline();
    if (me == a) {
      auto s = transport_.isend(peer, check_tag, *send_region_, 0, bytes);
      auto r = transport_.irecv(peer, check_tag, *recv_region_, 0, bytes);
      transport_.wait(s, until);
      transport_.wait(r, until);
    } else {
      auto r = transport_.irecv(peer, check_tag, *recv_region_, 0, bytes);
      transport_.wait(r, until);
      auto s = transport_.isend(peer, check_tag, *send_region_, 0, bytes);
      transport_.wait(s, until);
    }
    bad[0] = check_pattern(peer, bytes, 1);
  }
  bootstrap_.allreduce_sum(bad);
  wrong = bad[0];
  // Everyone gets the initiator's samples.
  bootstrap_.broadcast(std::as_writable_bytes(std::span(samples)), a);
  return samples;
}

StreamResult P2PBench::stream(const std::vector<std::pair<int, int>>& pairs, bool bidirectional,
                              std::size_t bytes) {
  if (bytes > max_bytes_) throw std::invalid_argument("p2p stream: size above the buffers");
  const int n = bootstrap_.size();
  const int me = bootstrap_.rank();
  ++call_seq_;
  const Tag data_tag = make_tag(call_seq_, 0);
  const Tag ack_tag = make_tag(call_seq_, 1);
  const Role role = role_in(pairs, bidirectional);
  fill_pattern(bytes);
  bootstrap_.barrier();
  // Several pairs: warm up, then start the timed loops together and take the aggregate over
  // the wall clock from that start to the end of the last loop (see below).
  const bool concurrent = pairs.size() > 1;
  const bool active = !(role.send_to.empty() && role.recv_from.empty());
  if (concurrent && active) {
    for (std::int64_t i = 0; i < config_.warmup; ++i) {
      window_exchange(role, bytes, config_.window, data_tag, ack_tag);
    }
  }
  if (concurrent) bootstrap_.barrier();
  const auto loop_start = Clock::now();
  auto local = stream_local(role, bytes, config_.iters, config_.window, data_tag, ack_tag,
                            concurrent ? 0 : config_.warmup);
  const double loop_us =
      std::chrono::duration<double, std::micro>(Clock::now() - loop_start).count();

  StreamResult result;
  result.samples_us.assign(static_cast<std::size_t>(config_.iters), 0.0);
  for (std::size_t i = 0; i < local.size(); ++i)
    result.samples_us[i] = local[i];
  bootstrap_.allreduce_max(result.samples_us);

  // Each sender's own bandwidth: window bytes over its median window time.
  std::vector<double> rate(static_cast<std::size_t>(n), 0.0);
  const double window_bytes = static_cast<double>(bytes) * config_.window;
  if (!role.send_to.empty() && !local.empty()) {
    rate[static_cast<std::size_t>(me)] =
        window_bytes * static_cast<double>(role.send_to.size()) / (median_of(local) * 1e-6) / 1e9;
  }
  bootstrap_.allreduce_max(rate);
  // A pair's bandwidth: what its sender moved, plus what the other member moved when both
  // directions run at once.
  for (const auto& [a, b] : pairs) {
    double pair_bw = rate[static_cast<std::size_t>(a)];
    if (bidirectional) pair_bw += rate[static_cast<std::size_t>(b)];
    result.per_pair_GBps.push_back(pair_bw);
    result.bw_GBps += pair_bw;
  }
  if (pairs.size() > 1) {
    // Concurrent pairs time their windows independently and may take turns on a shared
    // link, so the sum of their median rates can exceed what the links carried. The
    // aggregate is wall clock instead: all bytes moved, from the common start to the end of
    // the last timed loop.
    std::vector<double> wall_us{active ? loop_us : 0.0};
    bootstrap_.allreduce_max(wall_us);
    const double directions = bidirectional ? 2.0 : 1.0;
    const double total_bytes = window_bytes * directions * static_cast<double>(pairs.size()) *
                               static_cast<double>(config_.iters);
    if (wall_us[0] > 0) result.bw_GBps = total_bytes / (wall_us[0] * 1e-6) / 1e9;
  }
  result.msg_rate_Mps =
      result.bw_GBps * 1e9 / static_cast<double>(std::max<std::size_t>(bytes, 1)) / 1e6;
  if (bytes == 0) result.msg_rate_Mps = 0;

  std::vector<std::int64_t> bad{
      checked_window(role, bytes, make_tag(call_seq_, 2), make_tag(call_seq_, 3))};
  bootstrap_.allreduce_sum(bad);
  result.wrong = bad[0];
  return result;
}

StreamResult P2PBench::message_rate(const std::vector<std::pair<int, int>>& pairs,
                                    std::size_t bytes) {
  if (bytes > max_bytes_) throw std::invalid_argument("p2p msgrate: size above the buffers");
  const int n = bootstrap_.size();
  const int me = bootstrap_.rank();
  ++call_seq_;
  const Role role = role_in(pairs, false);
  fill_pattern(bytes);
  bootstrap_.barrier();
  // One sample = `window` back-to-back batches of `window` messages, one acknowledgement.
  const std::int64_t per_iteration = static_cast<std::int64_t>(config_.window) * config_.window;
  auto local = stream_local(role, bytes, config_.iters, per_iteration, make_tag(call_seq_, 0),
                            make_tag(call_seq_, 1), config_.warmup);
  StreamResult result;
  result.samples_us.assign(static_cast<std::size_t>(config_.iters), 0.0);
  for (std::size_t i = 0; i < local.size(); ++i)
    result.samples_us[i] = local[i];
  bootstrap_.allreduce_max(result.samples_us);
  std::vector<double> rate(static_cast<std::size_t>(n), 0.0);  // messages per second
  if (!role.send_to.empty() && !local.empty()) {
    rate[static_cast<std::size_t>(me)] =
        static_cast<double>(per_iteration) / (median_of(local) * 1e-6);
  }
  bootstrap_.allreduce_max(rate);
  for (const auto& [a, b] : pairs) {
    const double msgs = rate[static_cast<std::size_t>(a)];
    result.msg_rate_Mps += msgs / 1e6;
    result.per_pair_GBps.push_back(msgs * static_cast<double>(bytes) / 1e9);
    result.bw_GBps += msgs * static_cast<double>(bytes) / 1e9;
  }
  std::vector<std::int64_t> bad{
      checked_window(role, bytes, make_tag(call_seq_, 2), make_tag(call_seq_, 3))};
  bootstrap_.allreduce_sum(bad);
  result.wrong = bad[0];
  return result;
}

MatrixResult P2PBench::matrix(std::size_t latency_bytes, std::size_t bandwidth_bytes,
                              std::int64_t latency_iters, std::int64_t bandwidth_iters) {
  if (std::max(latency_bytes, bandwidth_bytes) > max_bytes_) {
    throw std::invalid_argument("p2p matrix: size above the buffers");
  }
  const int n = bootstrap_.size();
  const int me = bootstrap_.rank();
  const auto un = static_cast<std::size_t>(n);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> lat_row(un, nan), bw_row(un, nan);
  // This rank's samples per peer, laid out [peer][iteration] for one allgather each.
  const auto lat_width = static_cast<std::size_t>(latency_iters);
  const auto bw_width = static_cast<std::size_t>(bandwidth_iters);
  std::vector<double> lat_samples(un * lat_width, nan), bw_samples(un * bw_width, nan);
  std::int64_t wrong = 0;
  fill_pattern(std::max(latency_bytes, bandwidth_bytes));
  for (const auto& round : topo::round_robin_rounds(n)) {
    ++call_seq_;
    bootstrap_.barrier();
    for (const auto& [a, b] : round) {
      if (me != a && me != b) continue;
      const int peer = me == a ? b : a;
      auto lat = pingpong(peer, me == a, latency_bytes, latency_iters, make_tag(call_seq_, 0));
      // The initiator's median stands for the link both ways: a round trip crosses both.
      std::vector<double> median{me == a ? median_of(lat) : 0.0};
      const Role to_b = me == a ? Role{{b}, {}} : Role{{}, {a}};
      const Role to_a = me == b ? Role{{a}, {}} : Role{{}, {b}};
      auto ab = stream_local(to_b, bandwidth_bytes, bandwidth_iters, config_.window,
                             make_tag(call_seq_, 1), make_tag(call_seq_, 2), config_.warmup);
      wrong +=
          checked_window(to_b, bandwidth_bytes, make_tag(call_seq_, 3), make_tag(call_seq_, 4));
      auto ba = stream_local(to_a, bandwidth_bytes, bandwidth_iters, config_.window,
                             make_tag(call_seq_, 5), make_tag(call_seq_, 6), config_.warmup);
      wrong +=
          checked_window(to_a, bandwidth_bytes, make_tag(call_seq_, 7), make_tag(call_seq_, 8));
      const auto& sent = me == a ? ab : ba;  // the direction this rank sent in
      const double window_bytes = static_cast<double>(bandwidth_bytes) * config_.window;
      bw_row[static_cast<std::size_t>(peer)] = window_bytes / (median_of(sent) * 1e-6) / 1e9;
      const auto p = static_cast<std::size_t>(peer);
      std::copy_n(sent.begin(), std::min(sent.size(), bw_width),
                  bw_samples.begin() + static_cast<std::ptrdiff_t>(p * bw_width));
      if (me == a) {
        lat_row[p] = median[0];
        std::copy_n(lat.begin(), std::min(lat.size(), lat_width),
                    lat_samples.begin() + static_cast<std::ptrdiff_t>(p * lat_width));
      }
    }
  }
  bootstrap_.barrier();
  MatrixResult result;
  result.n = n;
  result.latency_us.resize(un * un);
  result.bandwidth_GBps.resize(un * un);
  bootstrap_.allgather(std::as_bytes(std::span(lat_row)),
                       std::as_writable_bytes(std::span(result.latency_us)));
  bootstrap_.allgather(std::as_bytes(std::span(bw_row)),
                       std::as_writable_bytes(std::span(result.bandwidth_GBps)));
  std::vector<double> all_lat(un * un * lat_width), all_bw(un * un * bw_width);
  bootstrap_.allgather(std::as_bytes(std::span(lat_samples)),
                       std::as_writable_bytes(std::span(all_lat)));
  bootstrap_.allgather(std::as_bytes(std::span(bw_samples)),
                       std::as_writable_bytes(std::span(all_bw)));
  result.latency_samples_us.resize(un * un);
  result.bandwidth_samples_us.resize(un * un);
  for (std::size_t k = 0; k < un * un; ++k) {
    const auto lat_at = all_lat.begin() + static_cast<std::ptrdiff_t>(k * lat_width);
    const auto bw_at = all_bw.begin() + static_cast<std::ptrdiff_t>(k * bw_width);
    result.latency_samples_us[k].assign(lat_at, lat_at + static_cast<std::ptrdiff_t>(lat_width));
    result.bandwidth_samples_us[k].assign(bw_at, bw_at + static_cast<std::ptrdiff_t>(bw_width));
  }
  // Latency was measured once per pair (by the lower rank): mirror it.
  for (std::size_t i = 0; i < un; ++i) {
    for (std::size_t j = 0; j < un; ++j) {
      if (std::isnan(result.latency_us[i * un + j]) && !std::isnan(result.latency_us[j * un + i])) {
        result.latency_us[i * un + j] = result.latency_us[j * un + i];
        result.latency_samples_us[i * un + j] = result.latency_samples_us[j * un + i];
      }
    }
  }
  std::vector<std::int64_t> bad{wrong};
  bootstrap_.allreduce_sum(bad);
  result.wrong = bad[0];
  return result;
}

}  // namespace fb
