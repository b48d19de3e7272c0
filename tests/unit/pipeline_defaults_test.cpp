// Pipeline parameters that follow the transport's path (collectives/pipeline_defaults.hpp),
// the `auto` defaults of the pipeline options, and the UCX transport's path classification.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collectives/pipeline_defaults.hpp"
#include "collectives/registry.hpp"
#include "harness/cli/options.hpp"
#include "solo_bootstrap.hpp"
#include "transports/ucx_transport.hpp"

namespace fb {
namespace {

AlgorithmOptions all_auto() {
  AlgorithmOptions o;
  for (const PipelineOption& opt : pipeline_options())
    (o.*opt.field).automatic = true;
  return o;
}

TransportPath network_tcp() {
  return {TransportPath::Kind::network, true,
          "tcp; eager protocol over tcp, rendezvous threshold inf"};
}

TEST(PipelineDefaults, NetworkPathKeepsMoreSegmentsInFlight) {
  const auto o = resolve_pipeline(all_auto(), network_tcp());
  EXPECT_EQ(o.ring_segment_bytes.value, 256U << 10);
  EXPECT_EQ(o.ring_slots.value, 4U);
  EXPECT_EQ(o.hd_segment_bytes.value, 256U << 10);
  EXPECT_EQ(o.hd_slots.value, 4U);
  EXPECT_EQ(o.tree_chunk_bytes.value, 256U << 10);
  EXPECT_EQ(o.tree_slots.value, 4U);
  EXPECT_EQ(o.pairwise_window.value, 4U);
  EXPECT_EQ(pipeline_origin(all_auto(), network_tcp()),
            "auto for a network path (tcp; eager protocol over tcp, rendezvous threshold inf)");
}

TEST(PipelineDefaults, SharedMemoryAndUnknownPathsKeepTheTunedValues) {
  const TransportPath shm{TransportPath::Kind::shared_memory, false, "cma, posix"};
  for (const auto& path : {shm, TransportPath{}}) {
    const auto o = resolve_pipeline(all_auto(), path);
    EXPECT_EQ(o.ring_segment_bytes.value, 256U << 10);
    EXPECT_EQ(o.ring_slots.value, 2U);
    EXPECT_EQ(o.hd_segment_bytes.value, 256U << 10);
    EXPECT_EQ(o.hd_slots.value, 2U);
    EXPECT_EQ(o.tree_chunk_bytes.value, 256U << 10);
    EXPECT_EQ(o.tree_slots.value, 4U);
    EXPECT_EQ(o.pairwise_window.value, 2U);
  }
  EXPECT_EQ(pipeline_origin(all_auto(), shm), "auto for a shared-memory path (cma, posix)");
  EXPECT_EQ(pipeline_origin(all_auto(), TransportPath{}),
            "auto for a path the transport does not report (shared-memory values)");
}

TEST(PipelineDefaults, ExplicitValuesOverrideThePath) {
  auto requested = all_auto();
  requested.ring_segment_bytes = {1 << 20};
  requested.ring_slots = {8};
  const auto o = resolve_pipeline(requested, network_tcp());
  EXPECT_EQ(o.ring_segment_bytes.value, 1U << 20);
  EXPECT_EQ(o.ring_slots.value, 8U);
  EXPECT_EQ(o.hd_slots.value, 4U);  // its own option: the ring's does not reach it
  EXPECT_EQ(o.tree_slots.value, 4U);
  EXPECT_EQ(pipeline_origin(requested, network_tcp()),
            "--ring-segment and --ring-slots as given; the others auto for a network path "
            "(tcp; eager protocol over tcp, rendezvous threshold inf)");
  EXPECT_EQ(pipeline_origin(AlgorithmOptions{}, network_tcp()),
            "explicit options (--ring-segment, --ring-slots, --hd-segment, --hd-slots, "
            "--tree-chunk, --tree-slots, --pairwise-window)");
}

// A transport that only reports a path: enough to build an algorithm and read its parameters.
class PathOnlyTransport final : public Transport {
 public:
  explicit PathOnlyTransport(TransportPath path) : path_(std::move(path)) {}
  std::string_view name() const override { return "path-only"; }
  TransportCapabilities capabilities() const override { return {}; }
  TransportPath path() const override { return path_; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> bytes) override {
    return std::make_unique<MemoryRegion>(bytes);
  }
  Request isend(int, Tag, const MemoryRegion&, std::size_t, std::size_t) override { return {}; }
  Request irecv(int, Tag, const MemoryRegion&, std::size_t, std::size_t) override { return {}; }
  void progress() override {}
  bool test(Request&) override { return true; }

 private:
  TransportPath path_;
};

std::int64_t parameter(const Parameters& p, const std::string& name) {
  for (const auto& [key, value] : p) {
    if (key == name) return value;
  }
  ADD_FAILURE() << "no parameter " << name;
  return -1;
}

TEST(PipelineDefaults, RegistryBuildsAlgorithmsWithTheTransportsPath) {
  SoloBootstrap boot;
  PathOnlyTransport net(network_tcp());
  const AlgorithmContext ctx{boot, &net, all_auto()};
  const auto ring = find_algorithm(Collective::allreduce, "ring")->create(ctx);
  EXPECT_EQ(parameter(ring->parameters(), "segment_bytes"), 256 << 10);
  EXPECT_EQ(parameter(ring->parameters(), "slots"), 4);
  EXPECT_EQ(ring->parameters_origin(),
            "auto for a network path (tcp; eager protocol over tcp, rendezvous threshold inf)");
  const auto chain = find_algorithm(Collective::broadcast, "chain")->create(ctx);
  EXPECT_EQ(parameter(chain->parameters(), "chunk_bytes"), 256 << 10);
  EXPECT_EQ(parameter(chain->parameters(), "slots"), 4);
  const auto pairwise = find_algorithm(Collective::alltoall, "pairwise")->create(ctx);
  EXPECT_EQ(parameter(pairwise->parameters(), "window"), 4);
  const auto hd = find_algorithm(Collective::allreduce, "halving-doubling")->create(ctx);
  EXPECT_EQ(parameter(hd->parameters(), "segment_bytes"), 256 << 10);
  EXPECT_EQ(parameter(hd->parameters(), "slots"), 4);
  // No pipeline parameters, no origin.
  EXPECT_EQ(find_algorithm(Collective::sendrecv, "ring")->create(ctx)->parameters_origin(), "");

  PathOnlyTransport shm({TransportPath::Kind::shared_memory, false, "posix"});
  const AlgorithmContext shm_ctx{boot, &shm, all_auto()};
  EXPECT_EQ(parameter(find_algorithm(Collective::allreduce, "ring")->create(shm_ctx)->parameters(),
                      "slots"),
            2);
}

ParseOutcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fabricbench");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const auto& a : args)
    argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(PipelineDefaults, OptionsDefaultToAutoAndTakeExplicitValues) {
  const auto plain = parse({"run"});
  ASSERT_TRUE(plain.options) << plain.message;
  const auto& a = plain.options->algorithm;
  for (const PipelineOption& opt : pipeline_options())
    EXPECT_TRUE((a.*opt.field).automatic) << opt.flag;
  const auto given = parse({"run", "--ring-segment", "1M", "--ring-slots", "8", "--tree-slots",
                            "auto", "--tree-chunk", "512K", "--hd-segment", "64K", "--hd-slots",
                            "3", "--pairwise-window", "1"});
  ASSERT_TRUE(given.options) << given.message;
  const auto& g = given.options->algorithm;
  EXPECT_FALSE(g.ring_segment_bytes.automatic);
  EXPECT_EQ(g.ring_segment_bytes.value, 1U << 20);
  EXPECT_FALSE(g.ring_slots.automatic);
  EXPECT_EQ(g.ring_slots.value, 8U);
  EXPECT_FALSE(g.tree_chunk_bytes.automatic);
  EXPECT_EQ(g.tree_chunk_bytes.value, 512U << 10);
  EXPECT_TRUE(g.tree_slots.automatic);
  EXPECT_EQ(g.hd_segment_bytes.value, 64U << 10);
  EXPECT_EQ(g.hd_slots.value, 3U);
  EXPECT_FALSE(g.pairwise_window.automatic);
  EXPECT_EQ(g.pairwise_window.value, 1U);
  // Each option's bound, named in one line.
  for (const auto& [args, flag] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"run", "--ring-slots", "automatic"}, "--ring-slots"},
           {{"run", "--ring-slots", "1"}, "--ring-slots"},
           {{"run", "--hd-slots", "1"}, "--hd-slots"},
           {{"run", "--hd-segment", "32"}, "--hd-segment"},
           {{"run", "--tree-chunk", "63"}, "--tree-chunk"},
           {{"run", "--pairwise-window", "0"}, "--pairwise-window"}}) {
    const auto bad = parse(args);
    EXPECT_EQ(bad.exit_code, kExitBadInput) << flag;
    EXPECT_NE(bad.message.find(flag), std::string::npos) << bad.message;
  }
}

// What ucp_ep_print_info prints for an endpoint (UCX 1.13), over TCP and on one host.
constexpr const char* kTcpEndpoint = R"(#
# UCP endpoint
#
#               peer: <no debug data>
#                 lane[0]:  1:tcp/fbf0.0 md[1]              -> md[1]/tcp/sysdev[255] am am_bw#0 keepalive wireup
#
#                tag_send: 0..<egr/short>..8185..<egr/zcopy>..19522..<rndv>..(inf)
#                  rma_bw: mds rndv_rkey_size 9
#
)";
constexpr const char* kLocalEndpoint = R"(#
#                 lane[0]:  3:posix/memory.0 md[3]      -> md[3]/posix/sysdev[255] am am_bw#0
#                 lane[1]:  6:cma/memory.0 md[5]        -> md[5]/cma/sysdev[255] rma_bw#0
#                 lane[2]:  1:tcp/lo.0 md[1]            -> md[1]/tcp/sysdev[255] wireup
#                tag_send: 0..<egr/short>..2k..<rndv>..(inf)
)";

TEST(UcxPath, LaneTransportsAreReadFromTheEndpointInfo) {
  EXPECT_EQ(ucx_lane_transports(kTcpEndpoint), (std::set<std::string>{"tcp"}));
  // The tcp lane there only connects the endpoint: it carries no data.
  EXPECT_EQ(ucx_lane_transports(kLocalEndpoint), (std::set<std::string>{"cma", "posix"}));
  EXPECT_TRUE(ucx_lane_transports("# no lanes here").empty());
}

TEST(UcxPath, ClassifiesNetworkAndSharedMemory) {
  const auto tcp = classify_ucx_path({"tcp"});
  EXPECT_EQ(tcp.kind, TransportPath::Kind::network);
  EXPECT_TRUE(tcp.tcp);
  EXPECT_EQ(tcp.detail, "tcp");
  const auto rdma = classify_ucx_path({"rc_mlx5", "posix", "self"});
  EXPECT_EQ(rdma.kind, TransportPath::Kind::network);
  EXPECT_FALSE(rdma.tcp);
  EXPECT_EQ(rdma.detail, "rc_mlx5");
  const auto shm = classify_ucx_path({"cma", "posix"});
  EXPECT_EQ(shm.kind, TransportPath::Kind::shared_memory);
  EXPECT_EQ(shm.detail, "cma, posix");
  EXPECT_EQ(classify_ucx_path({}).kind, TransportPath::Kind::unknown);
}

}  // namespace
}  // namespace fb
