// PeerProbe over loopback: every verdict the fault report relies on, from real sockets, and
// the responder's defences: only messages carrying the job's secret count, only the
// advertised addresses listen, and idle clients never hold up a real probe.
#include "harness/faults/peer_probe.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/bootstrap.hpp"

namespace fb {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<unsigned char>;

constexpr ProbeSecret kSecret{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr ProbeSecret kOtherSecret{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};

std::uint32_t ipv4(const char* text) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, text, &a), 1);
  return a.s_addr;
}

// A listening socket nobody accepts on: connections open (kernel backlog) but get no answer.
class MuteListener {
 public:
  MuteListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    socklen_t n = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
  }
  ~MuteListener() { close(fd_); }
  MuteListener(const MuteListener&) = delete;
  MuteListener& operator=(const MuteListener&) = delete;
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A port that was just free: connecting to it is refused.
std::uint16_t closed_port() {
  MuteListener l;
  return l.port();
}

// A client connection to a responder, as anyone on the host could open one.
class Client {
 public:
  explicit Client(std::uint16_t port, const char* address = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = ipv4(address);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    timeval limit{10, 0};  // a bound for a broken responder, not a measurement
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void send_bytes(const Bytes& bytes) const {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void end_sending() const { shutdown(fd_, SHUT_WR); }
  // Everything the responder sends until it closes the connection; `closed` false if it
  // did not close it within the receive limit.
  Bytes answer(bool* closed = nullptr) const {
    Bytes out;
    std::array<unsigned char, 64> buffer{};
    for (;;) {
      const auto n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = n == 0;
        return out;
      }
      out.insert(out.end(), buffer.begin(), buffer.begin() + n);
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

Bytes message(const ProbeSecret& secret, int rank, bool failing) {
  const auto m = encode_probe_message(secret, rank, failing);
  return {m.begin(), m.end()};
}

// The format before the job secret: 4-byte big-endian rank, then 1 for "failing".
Bytes old_failing_message(int rank) {
  return {0, 0, 0, static_cast<unsigned char>(rank), 1};
}

ProbeEndpoint local(std::uint16_t port) {
  return {"probe-test-host", {}, port};
}

// Waits (bounded) for a counter the responder thread updates after closing a connection.
bool eventually(const std::function<bool()>& condition) {
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(PeerProbe, EndpointRoundTrip) {
  const ProbeEndpoint e{"node07", {0x0100007FU, 0x0A4D0001U}, 40123};
  const auto back = decode_endpoint(encode_endpoint(e));
  EXPECT_EQ(back.host, e.host);
  EXPECT_EQ(back.ipv4, e.ipv4);
  EXPECT_EQ(back.port, e.port);
  const auto none = decode_endpoint(encode_endpoint({"h", {}, 1}));
  EXPECT_TRUE(none.ipv4.empty());
  EXPECT_THROW(decode_endpoint("no tabs"), std::invalid_argument);
  EXPECT_THROW(decode_endpoint("h\t70000\t"), std::invalid_argument);
}

TEST(PeerProbe, SecretsAreDrawnFreshEachTime) {
  const auto a = draw_probe_secret();
  const auto b = draw_probe_secret();
  EXPECT_FALSE(same_secret(a, b));  // equal with probability 2^-128
  EXPECT_TRUE(same_secret(a, a));
  EXPECT_FALSE(same_secret(kSecret, kOtherSecret));
  EXPECT_FALSE(same_secret(std::span(kSecret).first(15), kSecret));
}

TEST(PeerProbe, MessageCheck) {
  const auto check = [](const Bytes& b) { return check_probe_message(b, kSecret, 4, 1); };
  const auto genuine = check(message(kSecret, 2, true));
  EXPECT_EQ(genuine.reject, ProbeReject::none);
  EXPECT_EQ(genuine.rank, 2);
  EXPECT_TRUE(genuine.failing);
  EXPECT_FALSE(check(message(kSecret, 3, false)).failing);

  EXPECT_EQ(check(message(kOtherSecret, 2, true)).reject, ProbeReject::wrong_secret);
  EXPECT_EQ(check(old_failing_message(2)).reject, ProbeReject::not_a_probe);
  EXPECT_EQ(check(Bytes(25, 0xAB)).reject, ProbeReject::not_a_probe);
  EXPECT_EQ(check({}).reject, ProbeReject::incomplete);
  EXPECT_EQ(check({'f', 'b'}).reject, ProbeReject::incomplete);
  auto truncated = message(kSecret, 2, true);
  truncated.pop_back();
  EXPECT_EQ(check(truncated).reject, ProbeReject::incomplete);
  auto longer = message(kSecret, 2, true);
  longer.push_back(0);
  EXPECT_EQ(check(longer).reject, ProbeReject::malformed);
  EXPECT_EQ(check(message(kSecret, 4, true)).reject, ProbeReject::malformed);   // not a rank
  EXPECT_EQ(check(message(kSecret, -1, true)).reject, ProbeReject::malformed);  // 0xffffffff
  EXPECT_EQ(check(message(kSecret, 1, true)).reject, ProbeReject::malformed);   // itself
  auto state = message(kSecret, 2, false);
  state.back() = 7;
  EXPECT_EQ(check(state).reject, ProbeReject::malformed);
  EXPECT_TRUE(may_become_probe(Bytes{'f', 'b'}));
  EXPECT_FALSE(may_become_probe(Bytes{0, 0}));
}

TEST(PeerProbe, ClassifiesAliveGoneAndSilentPeers) {
  MuteListener mute;
  // Ranks 0 and 1 run responders; rank 2's port refuses; rank 3 never answers.
  std::vector<ProbeEndpoint> endpoints{local(0), local(0), local(closed_port()),
                                       local(mute.port())};
  auto r1 = std::make_unique<PeerProbe>(1, endpoints, kSecret, true);
  endpoints[1].port = r1->endpoint().port;
  PeerProbe r0(0, endpoints, kSecret, true);
  ASSERT_NE(r1->endpoint().port, 0);

  const auto start = std::chrono::steady_clock::now();
  const auto verdicts = r0.probe(500ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_EQ(verdicts.size(), 3U);
  EXPECT_EQ(verdicts[0].rank, 1);
  EXPECT_EQ(verdicts[0].state, PeerState::alive) << verdicts[0].detail;
  EXPECT_EQ(verdicts[1].rank, 2);
  EXPECT_EQ(verdicts[1].state, PeerState::gone);
  EXPECT_NE(verdicts[1].detail.find("refused"), std::string::npos) << verdicts[1].detail;
  EXPECT_EQ(verdicts[2].rank, 3);
  EXPECT_EQ(verdicts[2].state, PeerState::silent) << verdicts[2].detail;
  EXPECT_EQ(verdicts[2].host, "probe-test-host");

  // Rank 1 learned that rank 0 probed it.
  EXPECT_TRUE(r1->wait_probed_by({0}, 1s));
  EXPECT_FALSE(r1->wait_probed_by({0, 3}, 50ms));

  // A failing rank answers "failing": stopping too, not lost.
  r1->set_failing();
  EXPECT_EQ(r0.probe(500ms)[0].state, PeerState::failing);

  // Probes say whether the prober is failing: a rank that is not learns who is.
  EXPECT_EQ(r1->failure_reported_by(), -1);
  r0.set_failing();
  r0.probe(500ms);
  EXPECT_TRUE(r1->wait_probed_by({0}, 1s));
  EXPECT_EQ(r1->failure_reported_by(), 0);

  // Once its process is gone, the same rank is reported gone.
  r1.reset();
  EXPECT_EQ(r0.probe(500ms)[0].state, PeerState::gone);
  EXPECT_EQ(r0.ignored().total(), 0U);
}

TEST(PeerProbe, AnotherProcessOnThePortIsNotThePeer) {
  // Rank 2's advertised port is now served by rank 1's responder (a restarted job, say).
  std::vector<ProbeEndpoint> endpoints{local(0), local(0), local(0)};
  PeerProbe r1(1, endpoints, kSecret, true);
  endpoints[1].port = r1.endpoint().port;
  endpoints[2].port = r1.endpoint().port;
  PeerProbe r0(0, endpoints, kSecret, false);
  const auto verdicts = r0.probe(500ms);
  ASSERT_EQ(verdicts.size(), 2U);
  EXPECT_EQ(verdicts[0].state, PeerState::alive);
  EXPECT_EQ(verdicts[1].state, PeerState::gone);
  EXPECT_NE(verdicts[1].detail.find("rank 1 answers"), std::string::npos) << verdicts[1].detail;
}

// The attack this guards against: one connection with the old 5-byte "rank 0 is failing"
// used to stop a healthy run.
TEST(PeerProbe, ForgedFailingMessageIsIgnoredAndCounted) {
  std::vector<ProbeEndpoint> endpoints{local(0), local(0)};
  PeerProbe r1(1, endpoints, kSecret, true);
  const auto port = r1.endpoint().port;
  const auto& ignored = r1.ignored();

  {
    Client forger(port);
    ASSERT_TRUE(forger.connected());
    forger.send_bytes(old_failing_message(0));
    bool closed = false;
    EXPECT_TRUE(forger.answer(&closed).empty());  // no answer: nothing learned either
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(ignored.count(ProbeReject::not_a_probe), 1U);
  EXPECT_EQ(ignored.total(), 1U);

  // The right layout with another job's secret: the same.
  {
    Client forger(port);
    forger.send_bytes(message(kOtherSecret, 0, true));
    EXPECT_TRUE(forger.answer().empty());
  }
  EXPECT_EQ(ignored.count(ProbeReject::wrong_secret), 1U);

  EXPECT_EQ(r1.failure_reported_by(), -1);
  EXPECT_FALSE(r1.wait_probed_by({0}, 0ms));
  EXPECT_EQ(ignored.breakdown(), "1 not a probe, 1 wrong secret; latest from 127.0.0.1");
}

TEST(PeerProbe, TruncatedLongAndGarbageMessagesAreIgnored) {
  std::vector<ProbeEndpoint> endpoints{local(0), local(0), local(0)};
  PeerProbe r1(1, endpoints, kSecret, true);
  const auto port = r1.endpoint().port;
  const auto sent = [&](const Bytes& bytes) {
    Client c(port);
    c.send_bytes(bytes);
    c.end_sending();
    return c.answer();
  };
  auto truncated = message(kSecret, 0, true);
  truncated.resize(20);
  EXPECT_TRUE(sent(truncated).empty());
  EXPECT_TRUE(sent({}).empty());
  auto longer = message(kSecret, 0, true);
  longer.insert(longer.end(), {0xde, 0xad});
  EXPECT_TRUE(sent(longer).empty());
  EXPECT_TRUE(sent(message(kSecret, 5, true)).empty());  // no such rank
  EXPECT_TRUE(sent(message(kSecret, 1, true)).empty());  // the responder's own rank
  EXPECT_TRUE(sent(Bytes(100, 0x17)).empty());
  Bytes mostly_magic{'f', 'b', 'p', '2'};
  mostly_magic.resize(25, 0xff);
  EXPECT_TRUE(sent(mostly_magic).empty());

  const auto& ignored = r1.ignored();
  EXPECT_EQ(ignored.count(ProbeReject::incomplete), 2U);
  EXPECT_EQ(ignored.count(ProbeReject::malformed), 3U);
  EXPECT_EQ(ignored.count(ProbeReject::not_a_probe), 1U);
  EXPECT_EQ(ignored.count(ProbeReject::wrong_secret), 1U);
  EXPECT_EQ(r1.failure_reported_by(), -1);
  EXPECT_FALSE(r1.wait_probed_by({0}, 0ms));
  EXPECT_FALSE(r1.wait_probed_by({2}, 0ms));

  // The genuine message still works: answered with the job's secret and the rank.
  Client genuine(port);
  genuine.send_bytes(message(kSecret, 2, true));
  const auto answer = genuine.answer();
  const auto check = check_probe_message(answer, kSecret, 3, 2);
  EXPECT_EQ(check.reject, ProbeReject::none);
  EXPECT_EQ(check.rank, 1);
  EXPECT_FALSE(check.failing);
  EXPECT_TRUE(r1.wait_probed_by({2}, 10s));
  EXPECT_EQ(r1.failure_reported_by(), 2);
  EXPECT_EQ(ignored.total(), 7U);
}

TEST(PeerProbe, IdleConnectionIsClosedAtItsReadDeadline) {
  std::vector<ProbeEndpoint> endpoints{local(0), local(0)};
  PeerProbe r1(1, endpoints, kSecret, true, {std::chrono::milliseconds(100), 8});
  Client idle(r1.endpoint().port);
  Client slow(r1.endpoint().port);
  slow.send_bytes({'f', 'b', 'p'});
  bool closed = false;
  EXPECT_TRUE(idle.answer(&closed).empty());
  EXPECT_TRUE(closed);
  EXPECT_TRUE(slow.answer(&closed).empty());
  EXPECT_TRUE(closed);
  EXPECT_EQ(r1.ignored().count(ProbeReject::incomplete), 2U);
}

// A fake peer that answers each probe with `reply` (the old format, another job's...).
class FakeResponder {
 public:
  explicit FakeResponder(Bytes reply)
      : thread_([this, reply = std::move(reply)] {
          const int fd = accept(listener_.fd(), nullptr, nullptr);
          if (fd < 0) return;
          std::array<unsigned char, kProbeMessageBytes> probe{};
          [[maybe_unused]] const auto got = recv(fd, probe.data(), probe.size(), MSG_WAITALL);
          [[maybe_unused]] const auto sent = send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
          close(fd);
        }) {}
  ~FakeResponder() { thread_.join(); }
  FakeResponder(const FakeResponder&) = delete;
  FakeResponder& operator=(const FakeResponder&) = delete;
  std::uint16_t port() const { return listener_.port(); }

 private:
  MuteListener listener_;
  std::thread thread_;
};

TEST(PeerProbe, AnswersNotFromTheJobAreIgnored) {
  for (const auto& reply : {message(kOtherSecret, 1, false), Bytes{0, 0, 0, 1, 0}}) {
    FakeResponder fake(reply);
    PeerProbe r0(0, {local(0), local(fake.port())}, kSecret, false);
    const auto verdicts = r0.probe(2s);
    ASSERT_EQ(verdicts.size(), 1U);
    EXPECT_EQ(verdicts[0].state, PeerState::gone);
    EXPECT_NE(verdicts[0].detail.find("not from this job"), std::string::npos)
        << verdicts[0].detail;
    EXPECT_EQ(r0.ignored().total(), 1U);
  }
}

TEST(PeerProbe, GenuineProbeAnsweredWhileIdleConnectionsAreOpen) {
  // Read deadline far beyond the probe's, so only concurrency (and the cap) can help.
  constexpr std::size_t kCap = 16;
  std::vector<ProbeEndpoint> endpoints{local(0), local(0)};
  PeerProbe r1(1, endpoints, kSecret, true, {std::chrono::minutes(10), kCap});
  endpoints[1].port = r1.endpoint().port;
  PeerProbe r0(0, endpoints, kSecret, false);

  std::vector<std::unique_ptr<Client>> idle;
  for (std::size_t i = 0; i < kCap / 2; ++i) {
    idle.push_back(std::make_unique<Client>(r1.endpoint().port));
    if (i % 2 == 1) idle.back()->send_bytes({'f', 'b'});  // slow: a prefix, then nothing
  }
  auto verdicts = r0.probe(2s);
  EXPECT_EQ(verdicts.at(0).state, PeerState::alive) << verdicts[0].detail;

  // More idle clients than the cap: the oldest make room, and the probe still gets through.
  for (std::size_t i = 0; i < 2 * kCap; ++i) {
    idle.push_back(std::make_unique<Client>(r1.endpoint().port));
  }
  const auto beyond_cap = idle.size() - kCap;
  EXPECT_TRUE(eventually([&] {
    return r1.ignored().count(ProbeReject::crowded_out) >= beyond_cap;
  })) << r1.ignored().breakdown();
  bool closed = false;
  EXPECT_TRUE(idle.front()->answer(&closed).empty());
  EXPECT_TRUE(closed);  // the oldest was dropped
  verdicts = r0.probe(2s);
  EXPECT_EQ(verdicts.at(0).state, PeerState::alive) << verdicts[0].detail;
  EXPECT_TRUE(r1.wait_probed_by({0}, 10s));
  EXPECT_EQ(r1.failure_reported_by(), -1);
}

TEST(PeerProbe, ListensOnlyOnTheAdvertisedAddresses) {
  // 127.0.0.2 stands for a NIC's address: advertised, so listened on; 127.0.0.3 is not.
  std::vector<ProbeEndpoint> endpoints{{"host-a", {}, 0}, {"host-b", {ipv4("127.0.0.2")}, 0}};
  PeerProbe r1(1, endpoints, kSecret, true);
  const auto port = r1.endpoint().port;
  EXPECT_EQ(r1.listening_addresses(),
            (std::vector<std::uint32_t>{ipv4("127.0.0.1"), ipv4("127.0.0.2")}));
  EXPECT_EQ(r1.endpoint().ipv4, std::vector<std::uint32_t>{ipv4("127.0.0.2")});
  EXPECT_TRUE(Client(port, "127.0.0.1").connected());
  EXPECT_TRUE(Client(port, "127.0.0.2").connected());
  EXPECT_FALSE(Client(port, "127.0.0.3").connected());  // a wildcard listener would accept

  // A peer on another host reaches it at the advertised address.
  endpoints[1].port = port;
  PeerProbe r0(0, endpoints, kSecret, false);
  const auto verdicts = r0.probe(2s);
  EXPECT_EQ(verdicts.at(0).state, PeerState::alive) << verdicts[0].detail;
}

// Ranks of one process, each on its own thread: enough of a world for the bootstrap steps.
class ThreadWorld {
 public:
  explicit ThreadWorld(int size) : size_(size), sync_(size) {}
  int size() const { return size_; }
  void wait() { sync_.arrive_and_wait(); }
  std::mutex mutex;
  std::vector<std::byte> bytes;
  std::vector<std::int64_t> sums;

 private:
  int size_;
  std::barrier<> sync_;
};

class ThreadBootstrap final : public Bootstrap {
 public:
  ThreadBootstrap(ThreadWorld& world, int rank) : world_(world), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return world_.size(); }
  void allgather(std::span<const std::byte> mine, std::span<std::byte> all) override {
    {
      std::lock_guard lock(world_.mutex);
      world_.bytes.resize(all.size());
      std::copy(mine.begin(), mine.end(),
                world_.bytes.begin() + static_cast<std::ptrdiff_t>(mine.size()) * rank_);
    }
    world_.wait();
    std::copy(world_.bytes.begin(), world_.bytes.end(), all.begin());
    world_.wait();
  }
  void broadcast(std::span<std::byte> data, int root) override {
    if (rank_ == root) world_.bytes.assign(data.begin(), data.end());
    world_.wait();
    if (rank_ != root) std::copy(world_.bytes.begin(), world_.bytes.end(), data.begin());
    world_.wait();
  }
  void barrier() override { world_.wait(); }
  void barrier_progressing(const std::function<void()>& progress) override {
    progress();
    world_.wait();
  }
  void allreduce_max(std::span<double> /*values*/) override {
    throw std::logic_error("not needed by the probe");
  }
  void send(std::span<const std::byte> /*data*/, int /*peer*/) override {
    throw std::logic_error("not needed by the probe");
  }
  void receive(std::span<std::byte> /*data*/, int /*peer*/) override {
    throw std::logic_error("not needed by the probe");
  }
  void allreduce_sum(std::span<std::int64_t> values) override {
    if (rank_ == 0) world_.sums.assign(values.size(), 0);
    world_.wait();
    {
      std::lock_guard lock(world_.mutex);
      for (std::size_t i = 0; i < values.size(); ++i)
        world_.sums[i] += values[i];
    }
    world_.wait();
    std::copy(world_.sums.begin(), world_.sums.end(), values.begin());
    world_.wait();
  }

 private:
  ThreadWorld& world_;
  int rank_;
};

TEST(PeerProbe, SecretIsSharedThroughTheBootstrap) {
  ThreadWorld world(2);
  std::array<std::unique_ptr<PeerProbe>, 2> probes;
  std::vector<std::thread> ranks;
  ranks.reserve(2);
  for (int r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      ThreadBootstrap bootstrap(world, r);
      probes[static_cast<std::size_t>(r)] = std::make_unique<PeerProbe>(bootstrap);
    });
  }
  for (auto& t : ranks)
    t.join();
  // Rank 0 reaches rank 1 (same host: loopback) with the shared secret; rank 1 accepts it.
  const auto verdicts = probes[0]->probe(2s);
  EXPECT_EQ(verdicts.at(0).state, PeerState::alive) << verdicts[0].detail;
  EXPECT_TRUE(probes[1]->wait_probed_by({0}, 10s));
  EXPECT_EQ(probes[1]->ignored().total(), 0U);
  EXPECT_EQ(probes[0]->ignored().total(), 0U);
  // Nothing listens on the wildcard address: only loopback and the advertised addresses.
  const auto listening = probes[1]->listening_addresses();
  EXPECT_EQ(listening.front(), htonl(INADDR_LOOPBACK));
  EXPECT_EQ(std::count(listening.begin(), listening.end(), htonl(INADDR_ANY)), 0);
  EXPECT_EQ(std::vector<std::uint32_t>(listening.begin() + 1, listening.end()),
            probes[1]->endpoint().ipv4);
  // A probe with a secret of its own (another job's rank 0) is not believed.
  std::vector<ProbeEndpoint> endpoints{probes[0]->endpoint(), probes[1]->endpoint()};
  PeerProbe outsider(0, endpoints, draw_probe_secret(), false);
  outsider.set_failing();
  outsider.probe(2s);
  EXPECT_TRUE(eventually([&] { return probes[1]->ignored().total() == 1; }));
  EXPECT_EQ(probes[1]->failure_reported_by(), -1);
}

}  // namespace
}  // namespace fb
