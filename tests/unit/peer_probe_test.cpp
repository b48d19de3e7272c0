// PeerProbe over loopback: every verdict the fault report relies on, from real sockets.
#include "harness/peer_probe.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

namespace fb {
namespace {

using namespace std::chrono_literals;

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

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A port that was just free: connecting to it is refused.
std::uint16_t closed_port() {
  MuteListener l;
  return l.port();
}

ProbeEndpoint local(std::uint16_t port) {
  return {"probe-test-host", {}, port};
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

TEST(PeerProbe, ClassifiesAliveGoneAndSilentPeers) {
  MuteListener mute;
  // Ranks 0 and 1 run responders; rank 2's port refuses; rank 3 never answers.
  std::vector<ProbeEndpoint> endpoints{local(0), local(0), local(closed_port()),
                                       local(mute.port())};
  auto r1 = std::make_unique<PeerProbe>(1, endpoints, true);
  endpoints[1].port = r1->endpoint().port;
  PeerProbe r0(0, endpoints, true);
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
}

TEST(PeerProbe, AnotherProcessOnThePortIsNotThePeer) {
  // Rank 2's advertised port is now served by rank 1's responder (a restarted job, say).
  std::vector<ProbeEndpoint> endpoints{local(0), local(0), local(0)};
  PeerProbe r1(1, endpoints, true);
  endpoints[1].port = r1.endpoint().port;
  endpoints[2].port = r1.endpoint().port;
  PeerProbe r0(0, endpoints, false);
  const auto verdicts = r0.probe(500ms);
  ASSERT_EQ(verdicts.size(), 2U);
  EXPECT_EQ(verdicts[0].state, PeerState::alive);
  EXPECT_EQ(verdicts[1].state, PeerState::gone);
  EXPECT_NE(verdicts[1].detail.find("rank 1 answers"), std::string::npos) << verdicts[1].detail;
}

}  // namespace
}  // namespace fb
