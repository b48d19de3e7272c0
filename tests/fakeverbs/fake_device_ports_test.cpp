// The software RDMA device's tests of the test trace, devices of other transports, link
// layers and subnets, XDR through active_speed_ex, partition keys and optional access flags.
#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/fakeverbs/fake_device_more_fixture.hpp"

namespace {

using namespace fakeverbs_test;  // NOLINT(google-build-using-namespace)

// ---- the trace ----

TEST_F(FakeDeviceMore, TraceRecordsEveryEventExactly) {
  configure_traced("ib");
  ASSERT_EQ(ibv_fork_init(), 0);
  open_pair();
  connect();
  const auto qa = std::to_string(a_.qp->qp_num);
  const auto qb = std::to_string(b_.qp->qp_num);
  for (std::uint64_t i = 0; i < 4; ++i)
    ASSERT_EQ(post_recv(b_, 0, 64, i), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 0, 2, false, remote(b_), b_.mr->rkey), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 3, true, remote(b_), b_.mr->rkey), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE_WITH_IMM, 8, 4, true, remote(b_), b_.mr->rkey), 0);
  ibv_sge sge{reinterpret_cast<std::uintptr_t>(a_.buffer.data()), 8, a_.mr->lkey};
  ibv_send_wr wr{};
  wr.wr_id = 5;
  wr.sg_list = &sge;
  wr.num_sge = 1;
  wr.opcode = IBV_WR_SEND;
  wr.send_flags = IBV_SEND_SIGNALED | IBV_SEND_INLINE;
  ibv_send_wr* bad = nullptr;
  ASSERT_EQ(ibv_post_send(a_.qp, &wr, &bad), 0);
  for (std::uint64_t id : {1, 3, 4, 5})
    EXPECT_EQ(next(a_.cq).wr_id, id);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(next(b_.cq).status, IBV_WC_SUCCESS);
  EXPECT_EQ(ibv_dealloc_pd(a_.pd), EBUSY);
  EXPECT_EQ(ibv_destroy_cq(a_.cq), EBUSY);
  EXPECT_EQ(ibv_close_device(a_.context), EBUSY);
  EXPECT_EQ(ibv_dereg_mr(b_.mr), EBUSY);  // the fourth receive names it
  for (auto* side : {&a_, &b_}) {
    ASSERT_EQ(ibv_destroy_qp(side->qp), 0);
    ASSERT_EQ(ibv_dereg_mr(side->mr), 0);
    ASSERT_EQ(ibv_destroy_cq(side->cq), 0);
    ASSERT_EQ(ibv_dealloc_pd(side->pd), 0);
    ASSERT_EQ(ibv_close_device(side->context), 0);
    *side = Side{};
  }
  const std::string rtr = " rc=0 path_mtu=1024 dest_qpn=";
  const std::string route = " dlid=2 sl=0 is_global=0 sgid_index=0 traffic_class=0 hop_limit=0";
  const std::vector<std::string> expected = {
      "fork_init rc=0",
      "reg_mr device=fv_0 length=8192 access=0x3 fork_initialized=1 rc=0",
      "create_qp qpn=" + qa + " srq=0 max_send_wr=16 max_recv_wr=16 max_inline_data=0 rc=0",
      "reg_mr device=fv_0 length=8192 access=0x3 fork_initialized=1 rc=0",
      "create_qp qpn=" + qb + " srq=0 max_send_wr=16 max_recv_wr=16 max_inline_data=0 rc=0",
      "modify_qp qpn=" + qa + " state=INIT rc=0 pkey_index=0 port=1 access=0x3",
      "modify_qp qpn=" + qb + " state=INIT rc=0 pkey_index=0 port=1 access=0x3",
      "modify_qp qpn=" + qa + " state=RTR" + rtr + qb + route,
      "modify_qp qpn=" + qb + " state=RTR" + rtr + qa + route,
      "modify_qp qpn=" + qa + " state=RTS rc=0",
      "modify_qp qpn=" + qb + " state=RTS rc=0",
      "refused call=ibv_dealloc_pd errno=EBUSY",
      "refused call=ibv_destroy_cq errno=EBUSY",
      "refused call=ibv_close_device errno=EBUSY",
      "refused call=ibv_dereg_mr errno=EBUSY",
      "close_device device=fv_0 send_wrs=5 signalled=4 inline=1 sends=2 rdma_writes=2 "
      "rdma_writes_with_imm=1 zero_length_writes=1",
      "close_device device=fv_0 send_wrs=0 signalled=0 inline=0 sends=0 rdma_writes=0 "
      "rdma_writes_with_imm=0 zero_length_writes=0",
  };
  EXPECT_EQ(trace_lines(), expected);
}

TEST_F(FakeDeviceMore, TraceRecordsRefusalsAndSharedReceiveQueues) {
  configure_traced("roce");
  open(a_);
  std::vector<char> memory(4096);
  errno = 0;
  EXPECT_EQ(ibv_reg_mr(a_.pd, memory.data(), memory.size(), IBV_ACCESS_REMOTE_WRITE), nullptr);
  EXPECT_EQ(make_srq(a_, 40000), nullptr);
  srq_ = make_srq(a_, 8);
  ASSERT_NE(srq_, nullptr);
  extra_qps_.push_back(create_qp(a_, srq_));
  ASSERT_NE(extra_qps_.back(), nullptr);
  const auto qpn = std::to_string(extra_qps_.back()->qp_num);
  EXPECT_EQ(ibv_destroy_srq(srq_), EBUSY);
  ibv_qp_init_attr init{};
  init.send_cq = a_.cq;
  init.recv_cq = a_.cq;
  init.qp_type = IBV_QPT_RC;
  init.cap.max_send_wr = 4;
  init.cap.max_recv_wr = 4;
  init.cap.max_inline_data = 100000;  // above the device's: refused, not reduced
  EXPECT_EQ(ibv_create_qp(a_.pd, &init), nullptr);
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_INIT;
  attr.port_num = 1;
  attr.pkey_index = 1;  // RoCE: one pkey
  attr.qp_access_flags = kAccess;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &attr,
                          IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS),
            EINVAL);
  auto lines = trace_lines();
  ASSERT_GE(lines.size(), 3U);
  lines.erase(lines.begin(), lines.begin() + 2);  // a_'s registration and queue pair
  const std::vector<std::string> expected = {
      "reg_mr device=fv_0 length=4096 access=0x2 fork_initialized=0 rc=22",
      "create_srq max_wr=40000 rc=22",
      "create_srq max_wr=8 rc=0",
      "create_qp qpn=" + qpn + " srq=1 max_send_wr=16 max_recv_wr=16 max_inline_data=0 rc=0",
      "refused call=ibv_destroy_srq errno=EBUSY",
      "create_qp qpn=0 srq=0 max_send_wr=4 max_recv_wr=4 max_inline_data=100000 rc=22",
      "modify_qp qpn=" + std::to_string(a_.qp->qp_num) +
          " state=INIT rc=22 pkey_index=1 port=1 access=0x3",
  };
  EXPECT_EQ(lines, expected);
}

TEST_F(FakeDeviceMore, NoTraceVariableNoFile) {
  configure("ib");
  open_pair();
  connect();
  EXPECT_FALSE(std::filesystem::exists(trace_path()));
}

// ---- transports, link layers and subnets ----

TEST_F(FakeDeviceMore, EachDeviceHasItsTransportAndLinkLayer) {
  configure("ib,roce",
            {{"FB_FAKEVERBS_DEVICES", "4"}, {"FB_FAKEVERBS_TRANSPORT", "ib,ib,iwarp,unspecified"}});
  int count = 0;
  ibv_device** list = ibv_get_device_list(&count);
  ASSERT_EQ(count, 4);
  const ibv_node_type nodes[] = {IBV_NODE_CA, IBV_NODE_CA, IBV_NODE_RNIC, IBV_NODE_UNSPECIFIED};
  const ibv_transport_type transports[] = {IBV_TRANSPORT_IB, IBV_TRANSPORT_IB, IBV_TRANSPORT_IWARP,
                                           IBV_TRANSPORT_UNSPECIFIED};
  const std::uint8_t links[] = {IBV_LINK_LAYER_INFINIBAND, IBV_LINK_LAYER_ETHERNET,
                                IBV_LINK_LAYER_ETHERNET, IBV_LINK_LAYER_UNSPECIFIED};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ibv_get_device_name(list[i]), "fv_" + std::to_string(i));
    EXPECT_EQ(list[i]->node_type, nodes[i]) << i;
    EXPECT_EQ(list[i]->transport_type, transports[i]) << i;
    ibv_context* context = ibv_open_device(list[i]);
    ASSERT_NE(context, nullptr);
    ibv_port_attr port{};
    ASSERT_EQ(ibv_query_port(context, 1, &port), 0);
    EXPECT_EQ(port.link_layer, links[i]) << i;
    ASSERT_EQ(ibv_close_device(context), 0);
  }
  ibv_free_device_list(list);
}

TEST_F(FakeDeviceMore, UnspecifiedTransportHasNoReliableConnections) {
  configure("ib", {{"FB_FAKEVERBS_TRANSPORT", "unspecified"}});
  int count = 0;
  ibv_device** list = ibv_get_device_list(&count);
  ASSERT_EQ(count, 1);
  a_.context = ibv_open_device(list[0]);
  ibv_free_device_list(list);
  a_.pd = ibv_alloc_pd(a_.context);
  a_.cq = ibv_create_cq(a_.context, 16, nullptr, nullptr, 0);
  errno = 0;
  EXPECT_EQ(create_qp(a_, nullptr), nullptr);
  EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST_F(FakeDeviceMore, IwarpRefusesWriteWithImmediate) {
  configure("ib", {{"FB_FAKEVERBS_TRANSPORT", "iwarp"}});
  open_pair();
  connect();
  ASSERT_EQ(post_recv(b_, 0, 64, 1), 0);
  EXPECT_EQ(post_send(a_, IBV_WR_RDMA_WRITE_WITH_IMM, 8, 1, true, remote(b_), b_.mr->rkey), EINVAL);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 2, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 3), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  EXPECT_EQ(next(b_.cq).wr_id, 1U);
}

TEST_F(FakeDeviceMore, SubnetPrefixIsTheGidsUpperHalf) {
  configure("ib", {{"FB_FAKEVERBS_DEVICES", "3"},
                   {"FB_FAKEVERBS_SUBNET", "0xfe80000000000000,0xfec0000000000abc"}});
  int count = 0;
  ibv_device** list = ibv_get_device_list(&count);
  ASSERT_EQ(count, 3);
  const std::uint8_t expected[3][8] = {{0xfe, 0x80, 0, 0, 0, 0, 0, 0},
                                       {0xfe, 0xc0, 0, 0, 0, 0, 0x0a, 0xbc},
                                       {0xfe, 0xc0, 0, 0, 0, 0, 0x0a, 0xbc}};
  std::vector<std::vector<std::uint8_t>> guids;
  for (int i = 0; i < 3; ++i) {
    ibv_context* context = ibv_open_device(list[i]);
    ASSERT_NE(context, nullptr);
    ibv_gid gid{};
    ASSERT_EQ(ibv_query_gid(context, 1, 0, &gid), 0);
    EXPECT_EQ(std::memcmp(gid.raw, expected[i], 8), 0) << i;
    guids.emplace_back(gid.raw + 8, gid.raw + 16);
    ASSERT_EQ(ibv_close_device(context), 0);
  }
  ibv_free_device_list(list);
  EXPECT_NE(guids[1], guids[2]);  // the port GUID differs per device
}

TEST_F(FakeDeviceMore, LidRoutedPacketsStayInTheirSubnet) {
  configure("ib", {{"FB_FAKEVERBS_DEVICES", "2"},
                   {"FB_FAKEVERBS_SUBNET", "0xfe80000000000000,0xfec0000000000000"}});
  open_on(a_, 0);
  open_on(b_, 1);
  Link link;
  link.timeout = 8;
  connect_qps(a_, a_.qp, b_, b_.qp, link);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

TEST_F(FakeDeviceMore, RoutedPacketsWithAGrhCrossSubnets) {
  configure("ib", {{"FB_FAKEVERBS_DEVICES", "2"},
                   {"FB_FAKEVERBS_SUBNET", "0xfe80000000000000,0xfec0000000000000"}});
  open_on(a_, 0);
  open_on(b_, 1);
  connect_qps(a_, a_.qp, b_, b_.qp, Link{}, true);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
}

TEST_F(FakeDeviceMore, LidRoutedPacketsWithinOneSubnetAcrossDevicesArrive) {
  configure("ib", {{"FB_FAKEVERBS_DEVICES", "2"}});
  open_on(a_, 0);
  open_on(b_, 1);
  connect_qps(a_, a_.qp, b_, b_.qp);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
}

TEST_F(FakeDeviceMore, InfinibandAndEthernetPortsDoNotReachEachOther) {
  configure("ib,roce", {{"FB_FAKEVERBS_DEVICES", "2"}});
  open_on(a_, 0);
  open_on(b_, 1);
  Link link;
  link.timeout = 8;
  connect_qps(a_, a_.qp, b_, b_.qp, link, true);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
  ASSERT_EQ(post_send(b_, IBV_WR_RDMA_WRITE, 8, 2, true, remote(a_), a_.mr->rkey), 0);
  EXPECT_EQ(next(b_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

// ---- XDR and active_speed_ex ----

TEST_F(FakeDeviceMore, XdrIsReportedThroughActiveSpeedEx) {
  configure("ib", {{"FB_FAKEVERBS_SPEED", "256"}});
  open(a_);
  ibv_port_attr legacy{};
  ASSERT_EQ(ibv_query_port(a_.context, 1, &legacy), 0);
  EXPECT_EQ(legacy.active_speed, 0);  // the code truncated to 8 bits, as the kernel reports it
  auto* ops = verbs_get_ctx(a_.context);
  ASSERT_NE(ops, nullptr);
  std::vector<unsigned char> bigger(sizeof(ibv_port_attr) + 4, 0xab);
  ASSERT_EQ(ops->query_port(a_.context, 1, reinterpret_cast<ibv_port_attr*>(bigger.data()),
                            bigger.size()),
            0);
  std::uint32_t speed_ex = 0;
  std::memcpy(&speed_ex, bigger.data() + 52, sizeof(speed_ex));
  EXPECT_EQ(speed_ex, 256U);
  ibv_port_attr filled{};
  std::memcpy(&filled, bigger.data(), sizeof(filled));
  EXPECT_EQ(filled.state, IBV_PORT_ACTIVE);
  EXPECT_EQ(filled.active_speed, 0);
  // A caller's structure smaller than the legacy one: only that many bytes.
  std::vector<unsigned char> smaller(sizeof(ibv_port_attr) + 4, 0xab);
  ASSERT_EQ(ops->query_port(a_.context, 1, reinterpret_cast<ibv_port_attr*>(smaller.data()), 20),
            0);
  for (std::size_t i = 20; i < smaller.size(); ++i)
    EXPECT_EQ(smaller[i], 0xab) << i;
  // The legacy size: no active_speed_ex written.
  std::vector<unsigned char> exact(sizeof(ibv_port_attr) + 4, 0xab);
  ASSERT_EQ(ops->query_port(a_.context, 1, reinterpret_cast<ibv_port_attr*>(exact.data()),
                            sizeof(ibv_port_attr)),
            0);
  EXPECT_EQ(exact[52], 0xab);
}

TEST_F(FakeDeviceMore, HdrActiveSpeedExMatchesTheLegacyField) {
  configure("ib");
  open(a_);
  std::vector<unsigned char> bigger(sizeof(ibv_port_attr) + 4, 0);
  ASSERT_EQ(verbs_get_ctx(a_.context)
                ->query_port(a_.context, 1, reinterpret_cast<ibv_port_attr*>(bigger.data()),
                             bigger.size()),
            0);
  ibv_port_attr filled{};
  std::memcpy(&filled, bigger.data(), sizeof(filled));
  std::uint32_t speed_ex = 0;
  std::memcpy(&speed_ex, bigger.data() + 52, sizeof(speed_ex));
  EXPECT_EQ(filled.active_speed, 64);
  EXPECT_EQ(speed_ex, 64U);
}

// ---- partition keys ----

TEST_F(FakeDeviceMore, PkeyTableIsMlx5Sized) {
  configure("ib,roce", {{"FB_FAKEVERBS_DEVICES", "2"}});
  int count = 0;
  ibv_device** list = ibv_get_device_list(&count);
  ASSERT_EQ(count, 2);
  const int lengths[] = {128, 1};
  for (int i = 0; i < 2; ++i) {
    ibv_context* context = ibv_open_device(list[i]);
    ibv_port_attr port{};
    ASSERT_EQ(ibv_query_port(context, 1, &port), 0);
    EXPECT_EQ(port.pkey_tbl_len, lengths[i]);
    ibv_device_attr device{};
    ASSERT_EQ(ibv_query_device(context, &device), 0);
    EXPECT_EQ(device.max_pkeys, lengths[i]);
    __be16 pkey = 0;
    ASSERT_EQ(ibv_query_pkey(context, 1, 0, &pkey), 0);
    EXPECT_EQ(ntohs(pkey), 0xffff);
    EXPECT_EQ(ibv_query_pkey(context, 1, lengths[i], &pkey), EINVAL);
    if (lengths[i] > 1) {
      ASSERT_EQ(ibv_query_pkey(context, 1, 1, &pkey), 0);
      EXPECT_EQ(ntohs(pkey), 0);  // empty
    }
    ASSERT_EQ(ibv_close_device(context), 0);
  }
  ibv_free_device_list(list);
}

TEST_F(FakeDeviceMore, PkeyIndexBeyondTheTableIsRefused) {
  configure("ib", {{"FB_FAKEVERBS_PKEYS", "4"}, {"FB_FAKEVERBS_PKEY_TABLE", "0xffff,0x8001"}});
  open(a_);
  __be16 pkey = 0;
  ASSERT_EQ(ibv_query_pkey(a_.context, 1, 1, &pkey), 0);
  EXPECT_EQ(ntohs(pkey), 0x8001);
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_INIT;
  attr.port_num = 1;
  attr.pkey_index = 4;
  attr.qp_access_flags = kAccess;
  constexpr int kInit = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &attr, kInit), EINVAL);
  attr.pkey_index = 3;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &attr, kInit), 0);
}

TEST_F(FakeDeviceMore, PacketsOfAnotherPartitionAreDropped) {
  configure("ib", {{"FB_FAKEVERBS_PKEY_TABLE", "0xffff,0x8001"}});
  open_pair();
  Link link;
  link.timeout = 8;
  connect_qps(a_, a_.qp, b_, b_.qp, link, false, 1, 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

TEST_F(FakeDeviceMore, PacketsOfTheSamePartitionArrive) {
  configure("ib", {{"FB_FAKEVERBS_PKEY_TABLE", "0xffff,0x8001"}});
  open_pair();
  connect_qps(a_, a_.qp, b_, b_.qp, Link{}, false, 1, 1);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
}

// ---- optional access flags ----

TEST_F(FakeDeviceMore, RelaxedOrderingAndOptionalBitsAreAcceptedOthersRefused) {
  configure_traced("ib");
  open(a_);
  std::vector<char> memory(4096);
  const unsigned relaxed = kAccess | IBV_ACCESS_RELAXED_ORDERING;
  ibv_mr* mr = ibv_reg_mr(a_.pd, memory.data(), memory.size(), relaxed);
  ASSERT_NE(mr, nullptr);
  ASSERT_EQ(ibv_dereg_mr(mr), 0);
  mr = ibv_reg_mr_iova2(a_.pd, memory.data(), memory.size(), 0, kAccess | (1U << 27));
  ASSERT_NE(mr, nullptr);
  ASSERT_EQ(ibv_dereg_mr(mr), 0);
  errno = 0;
  EXPECT_EQ(ibv_reg_mr(a_.pd, memory.data(), memory.size(), kAccess | (1 << 14)), nullptr);
  EXPECT_EQ(errno, EINVAL);  // not an optional bit
  errno = 0;
  EXPECT_EQ(ibv_reg_mr(a_.pd, memory.data(), memory.size(), kAccess | IBV_ACCESS_ON_DEMAND),
            nullptr);
  EXPECT_EQ(errno, EOPNOTSUPP);  // no on-demand paging
  auto lines = trace_lines();
  ASSERT_EQ(lines.size(), 6U);
  EXPECT_EQ(lines[2], "reg_mr device=fv_0 length=4096 access=0x100003 fork_initialized=0 rc=0");
  EXPECT_EQ(lines[3], "reg_mr device=fv_0 length=4096 access=0x8000003 fork_initialized=0 rc=0");
  EXPECT_EQ(lines[4], "reg_mr device=fv_0 length=4096 access=0x4003 fork_initialized=0 rc=22");
  EXPECT_EQ(lines[5], "reg_mr device=fv_0 length=4096 access=0x43 fork_initialized=0 rc=95");
}

}  // namespace
