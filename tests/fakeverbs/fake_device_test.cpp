// The software RDMA device's own tests: two queue pairs (two contexts of one process, each
// with its own wire thread, exactly as two processes would use it) and the places where
// real hardware is strict. Each test configures the device through the environment first.
#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakeverbs/fake_device_fixture.hpp"

namespace {

using namespace fakeverbs_test;  // NOLINT(google-build-using-namespace)

TEST_F(FakeDevice, SendAndWriteWithImmediateArrive) {
  configure("ib");
  open_pair();
  connect();
  std::strcpy(a_.buffer.data(), "hello over the fake device");
  ASSERT_EQ(post_recv(b_, 0, 64, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 27, 10), 0);
  auto sent = next(a_.cq);
  EXPECT_EQ(sent.status, IBV_WC_SUCCESS);
  EXPECT_EQ(sent.opcode, IBV_WC_SEND);
  auto received = next(b_.cq);
  EXPECT_EQ(received.status, IBV_WC_SUCCESS);
  EXPECT_EQ(received.opcode, IBV_WC_RECV);
  EXPECT_EQ(received.byte_len, 27U);
  EXPECT_STREQ(b_.buffer.data(), "hello over the fake device");

  std::strcpy(a_.buffer.data(), "written");
  ASSERT_EQ(post_recv(b_, 0, 0, 2), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE_WITH_IMM, 8, 11, true, remote(b_, 4096), b_.mr->rkey),
            0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  received = next(b_.cq);
  EXPECT_EQ(received.opcode, IBV_WC_RECV_RDMA_WITH_IMM);
  EXPECT_EQ(ntohl(received.imm_data), 77U);
  EXPECT_STREQ(b_.buffer.data() + 4096, "written");
}

// A dma-buf registration (GPUDirect RDMA's ibv_reg_dmabuf_mr, a memfd standing for the GPU's
// dma-buf): work requests name the region by its iova, and the device moves the bytes through
// the fd at the given offset, so data written to it lands in the fd's pages, wherever the
// iova points.
TEST_F(FakeDevice, DmaBufRegionTakesWritesThroughItsFd) {
  configure("ib");
  open_pair();
  connect();
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const int fd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(2 * page)), 0);
  auto* pages =
      static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  ASSERT_NE(pages, MAP_FAILED);
  // The region: 256 bytes at offset page + 100 of the fd, named by an iova of the caller's
  // choosing (here the address of b's ordinary buffer, which must stay untouched).
  const std::uint64_t iova = remote(b_);
  ibv_mr* mr = ibv_reg_dmabuf_mr(b_.pd, page + 100, 256, iova, fd, kAccess);
  ASSERT_NE(mr, nullptr);
  std::strcpy(a_.buffer.data(), "through the dma-buf");
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 20, 5, true, iova + 8, mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  EXPECT_STREQ(pages + page + 108, "through the dma-buf");
  EXPECT_EQ(b_.buffer[8], 0);
  // Past the region's end: a remote access error, as for any region.
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 20, 6, true, iova + 250, mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_REM_ACCESS_ERR);
  EXPECT_EQ(ibv_dereg_mr(mr), 0);
  // A range past the end of the fd, or no fd at all, is refused.
  EXPECT_EQ(ibv_reg_dmabuf_mr(b_.pd, 2 * page - 10, 64, iova, fd, kAccess), nullptr);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ibv_reg_dmabuf_mr(b_.pd, 0, 64, iova, -1, kAccess), nullptr);
  munmap(pages, 2 * page);
  close(fd);
}

TEST_F(FakeDevice, StateMachineRequiresEachTransitionsMasks) {
  configure("ib");
  open_pair();
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_RTR;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &attr, IBV_QP_STATE), EINVAL);  // RESET -> RTR
  attr.qp_state = IBV_QPS_INIT;
  attr.port_num = 1;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT),
            EINVAL);  // no access flags
  ASSERT_EQ(to_init(a_.qp), 0);
  ASSERT_EQ(to_init(b_.qp), 0);
  Link link;
  auto rtr = rtr_attr(a_, b_, IBV_MTU_1024, link);
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask & ~IBV_QP_MIN_RNR_TIMER), EINVAL);
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask | IBV_QP_TIMEOUT), EINVAL);  // not allowed here
  EXPECT_EQ(to_rts(a_.qp, link), EINVAL);                                    // INIT -> RTS
  ASSERT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask), 0);
  ibv_qp_attr rts{};
  rts.qp_state = IBV_QPS_RTS;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rts, kRtsMask & ~IBV_QP_SQ_PSN), EINVAL);
  EXPECT_EQ(to_rts(a_.qp, link), 0);
  EXPECT_EQ(state(a_.qp), IBV_QPS_RTS);
}

TEST_F(FakeDevice, PostingOutsideRtsIsRefused) {
  configure("ib");
  open_pair();
  EXPECT_EQ(post_recv(a_, 0, 64, 1), EINVAL);  // RESET
  ASSERT_EQ(to_init(a_.qp), 0);
  EXPECT_EQ(post_recv(a_, 0, 64, 1), 0);  // receives may be posted from INIT on
  EXPECT_EQ(post_send(a_, IBV_WR_SEND, 8, 2), EINVAL);
}

TEST_F(FakeDevice, PathMtuAboveActiveMtuIsRefused) {
  configure("roce", {{"FB_FAKEVERBS_MTU", "1024"}});
  open_pair();
  ASSERT_EQ(to_init(a_.qp), 0);
  auto rtr = rtr_attr(a_, b_, IBV_MTU_4096, Link{});
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask), EINVAL);
  rtr.path_mtu = IBV_MTU_1024;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask), 0);
}

TEST_F(FakeDevice, UnequalPathMtuDropsLargePackets) {
  configure("ib");
  open_pair();
  Link link;
  link.timeout = 8;  // 1 ms: the drop is given up on quickly
  link.mtu_a = IBV_MTU_2048;
  link.mtu_b = IBV_MTU_512;
  connect(link);
  ASSERT_EQ(post_recv(b_, 0, 4096, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 2048, 2), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

TEST_F(FakeDevice, RoceWithoutGrhIsRefusedAndRoceV1IsDropped) {
  configure("roce");
  open_pair();
  ASSERT_EQ(to_init(a_.qp), 0);
  auto rtr = rtr_attr(a_, b_, IBV_MTU_1024, Link{});
  rtr.ah_attr.is_global = 0;
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask), EINVAL);
  rtr.ah_attr.is_global = 1;
  rtr.ah_attr.grh.sgid_index = 5;  // an empty entry
  EXPECT_EQ(ibv_modify_qp(a_.qp, &rtr, kRtrMask), EINVAL);
  // A complete connection through the RoCE v1 GID: the routed fabric never delivers.
  ibv_qp_attr reset{};
  reset.qp_state = IBV_QPS_RESET;
  ASSERT_EQ(ibv_modify_qp(a_.qp, &reset, IBV_QP_STATE), 0);
  Link v1;
  v1.timeout = 8;
  v1.sgid_index = 2;
  connect(v1);
  ASSERT_EQ(post_recv(b_, 0, 64, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 2), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

TEST_F(FakeDevice, RemoteWriteNeedsLocalWrite) {
  configure("ib");
  open(a_);
  std::vector<char> memory(4096);
  errno = 0;
  EXPECT_EQ(ibv_reg_mr(a_.pd, memory.data(), memory.size(), IBV_ACCESS_REMOTE_WRITE), nullptr);
  EXPECT_EQ(errno, EINVAL);
}

TEST_F(FakeDevice, WrongRkeyIsRemoteAccessErrorAndBothQueuePairsFail) {
  configure("ib");
  open_pair();
  connect();
  ASSERT_EQ(post_recv(b_, 0, 64, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 2, true, remote(b_), b_.mr->rkey ^ 0x10000U), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 3, false), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_REM_ACCESS_ERR);
  const auto flushed = next(a_.cq);  // unsignalled, but flushed work requests complete
  EXPECT_EQ(flushed.status, IBV_WC_WR_FLUSH_ERR);
  EXPECT_EQ(flushed.wr_id, 3U);
  EXPECT_EQ(static_cast<int>(flushed.opcode), 0xa5);  // undefined for errors: garbage
  EXPECT_EQ(flushed.byte_len, 0xdeadbeefU);
  const auto receive = next(b_.cq);
  EXPECT_EQ(receive.status, IBV_WC_WR_FLUSH_ERR);
  EXPECT_EQ(receive.wr_id, 1U);
  EXPECT_EQ(state(a_.qp), IBV_QPS_ERR);
  EXPECT_EQ(state(b_.qp), IBV_QPS_ERR);
}

TEST_F(FakeDevice, OutOfBoundsWriteIsRemoteAccessError) {
  configure("ib");
  open_pair();
  connect();
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 16, 2, true, remote(b_, 8192 - 8), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_REM_ACCESS_ERR);
}

TEST_F(FakeDevice, SendQueueSlotsHeldUntilCoveringCompletionIsPolled) {
  configure("ib");
  open_pair(64, 4);
  connect();
  for (std::uint64_t i = 0; i < 3; ++i)
    ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, i, false, remote(b_), b_.mr->rkey), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 3, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 4, true, remote(b_), b_.mr->rkey), ENOMEM);
  const auto done = next(a_.cq);
  EXPECT_EQ(done.wr_id, 3U);
  EXPECT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 4, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).wr_id, 4U);
}

TEST_F(FakeDevice, CompletionQueueOverrunRaisesCqError) {
  configure("ib");
  open_pair(1);  // granted: 1 entry
  connect();
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 2, true, remote(b_), b_.mr->rkey), 0);
  ibv_async_event event{};
  ASSERT_EQ(ibv_get_async_event(a_.context, &event), 0);  // blocks until it happens
  EXPECT_EQ(event.event_type, IBV_EVENT_CQ_ERR);
  EXPECT_EQ(event.element.cq, a_.cq);
  ibv_ack_async_event(&event);
  ibv_wc wc{};
  EXPECT_LT(ibv_poll_cq(a_.cq, 1, &wc), 0);
}

TEST_F(FakeDevice, ReceiverNotReadyRetriesThenFails) {
  configure("ib");
  open_pair();
  Link link;
  link.rnr_retry = 2;
  connect(link);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RNR_RETRY_EXC_ERR);
}

TEST_F(FakeDevice, ReceiverNotReadyWaitsForAPostedReceive) {
  configure("ib");
  open_pair();
  connect();  // rnr_retry 7: forever
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  ibv_wc wc{};
  EXPECT_EQ(ibv_poll_cq(a_.cq, 1, &wc), 0);
  ASSERT_EQ(post_recv(b_, 0, 64, 9), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  EXPECT_EQ(next(b_.cq).wr_id, 9U);
}

TEST_F(FakeDevice, ReceiveBufferTooSmall) {
  configure("ib");
  open_pair();
  connect();
  ASSERT_EQ(post_recv(b_, 0, 8, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 16, 2), 0);
  EXPECT_EQ(next(b_.cq).status, IBV_WC_LOC_LEN_ERR);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_REM_INV_REQ_ERR);
}

TEST_F(FakeDevice, ErrorStateFlushesEveryOutstandingRequest) {
  configure("ib");
  open_pair();
  connect();
  for (std::uint64_t i = 0; i < 3; ++i)
    ASSERT_EQ(post_recv(b_, 0, 64, i), 0);
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_ERR;
  ASSERT_EQ(ibv_modify_qp(b_.qp, &attr, IBV_QP_STATE), 0);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto wc = next(b_.cq);
    EXPECT_EQ(wc.wr_id, i);
    EXPECT_EQ(wc.status, IBV_WC_WR_FLUSH_ERR);
  }
}

TEST_F(FakeDevice, DeadPeerEndsInRetryExceeded) {
  configure("ib");
  open_pair();
  Link link;
  link.timeout = 8;
  connect(link);
  ASSERT_EQ(ibv_destroy_qp(b_.qp), 0);
  b_.qp = nullptr;
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

TEST_F(FakeDevice, PsnMismatchEndsInRetryExceeded) {
  configure("ib");
  open_pair();
  Link link;
  link.timeout = 8;
  link.psn_skew = 5;
  connect(link);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
}

TEST_F(FakeDevice, TeardownWithLiveChildrenIsBusy) {
  configure("ib");
  open_pair();
  ASSERT_EQ(to_init(a_.qp), 0);
  ASSERT_EQ(post_recv(a_, 0, 64, 1), 0);
  EXPECT_EQ(ibv_dereg_mr(a_.mr), EBUSY);  // a posted receive names it
  EXPECT_EQ(ibv_dealloc_pd(a_.pd), EBUSY);
  EXPECT_EQ(ibv_destroy_cq(a_.cq), EBUSY);
  ASSERT_EQ(ibv_destroy_qp(a_.qp), 0);
  a_.qp = nullptr;
  EXPECT_EQ(ibv_dereg_mr(a_.mr), 0);
  a_.mr = nullptr;
  EXPECT_EQ(ibv_destroy_cq(a_.cq), 0);
  a_.cq = nullptr;
  EXPECT_EQ(ibv_dealloc_pd(a_.pd), 0);
  a_.pd = nullptr;
}

TEST_F(FakeDevice, RegistrationBeyondMemlockLimitIsRefused) {
  configure("ib");
  open(a_);
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &limit), 0);
  limit.rlim_cur = 1 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_MEMLOCK, &limit), 0);
  std::vector<char> big(2 << 20);
  errno = 0;
  EXPECT_EQ(ibv_reg_mr(a_.pd, big.data(), big.size(), kAccess), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST_F(FakeDevice, CompletionsKeepOrderWithinAQueuePair) {
  configure("ib", {{"FB_FAKEVERBS_SEED", "7"}});
  open_pair(256, 64);
  connect();
  for (std::uint64_t i = 0; i < 20; ++i) {
    ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, i, true, remote(b_), b_.mr->rkey), 0);
    ASSERT_EQ(post_send(b_, IBV_WR_RDMA_WRITE, 8, 100 + i, true, remote(a_), a_.mr->rkey), 0);
  }
  for (std::uint64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(next(a_.cq).wr_id, i);
    EXPECT_EQ(next(b_.cq).wr_id, 100 + i);
  }
}

// Flushing queues completions synchronously, so the poll order is the device's choice alone:
// within a queue pair in order, across queue pairs shuffled.
TEST_F(FakeDevice, CompletionOrderIsShuffledAcrossQueuePairs) {
  configure("ib", {{"FB_FAKEVERBS_SEED", "3"}});
  // 48 completions per queue pair: a fair shuffle ends with at most one switch between the
  // two with probability about 2^-47, so the check below cannot fail by chance.
  constexpr std::uint64_t kEach = 48;
  open(a_, 128, 16, kEach);
  ibv_qp_init_attr init{};
  init.send_cq = a_.cq;
  init.recv_cq = a_.cq;
  init.qp_type = IBV_QPT_RC;
  init.cap.max_send_wr = 1;
  init.cap.max_recv_wr = kEach;
  init.cap.max_send_sge = 1;
  init.cap.max_recv_sge = 1;
  ibv_qp* second = ibv_create_qp(a_.pd, &init);
  ASSERT_NE(second, nullptr);
  ASSERT_EQ(to_init(a_.qp), 0);
  ASSERT_EQ(to_init(second), 0);
  for (std::uint64_t i = 0; i < kEach; ++i) {
    ASSERT_EQ(post_recv(a_, 0, 64, i), 0);
    ibv_sge sge{reinterpret_cast<std::uintptr_t>(a_.buffer.data()), 64, a_.mr->lkey};
    ibv_recv_wr wr{};
    wr.wr_id = 100 + i;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    ibv_recv_wr* bad = nullptr;
    ASSERT_EQ(ibv_post_recv(second, &wr, &bad), 0);
  }
  ibv_qp_attr error{};
  error.qp_state = IBV_QPS_ERR;
  ASSERT_EQ(ibv_modify_qp(a_.qp, &error, IBV_QP_STATE), 0);
  ASSERT_EQ(ibv_modify_qp(second, &error, IBV_QP_STATE), 0);
  std::vector<std::uint64_t> order;
  ibv_wc wc[2 * kEach];
  const int got = ibv_poll_cq(a_.cq, static_cast<int>(2 * kEach), wc);
  ASSERT_EQ(got, static_cast<int>(2 * kEach));
  for (int i = 0; i < got; ++i)
    order.push_back(wc[i].wr_id);
  std::vector<std::uint64_t> first;
  std::vector<std::uint64_t> later;
  for (const auto id : order)
    (id < 100 ? first : later).push_back(id);
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  EXPECT_TRUE(std::is_sorted(later.begin(), later.end()));
  // Not one queue pair's completions and then the other's.
  const auto switches = std::inner_product(
      order.begin() + 1, order.end(), order.begin(), 0, std::plus<>(),
      [](std::uint64_t x, std::uint64_t y) { return (x < 100) != (y < 100) ? 1 : 0; });
  EXPECT_GT(switches, 1);
  ASSERT_EQ(ibv_destroy_qp(second), 0);
}

TEST_F(FakeDevice, RoceGidTableIsMlx5Like) {
  configure("roce");
  open(a_);
  const ibv_gid_type expected[] = {IBV_GID_TYPE_ROCE_V1, IBV_GID_TYPE_ROCE_V2, IBV_GID_TYPE_ROCE_V1,
                                   IBV_GID_TYPE_ROCE_V2};
  for (std::uint32_t index = 0; index < 4; ++index) {
    ibv_gid_entry entry{};
    ASSERT_EQ(ibv_query_gid_ex(a_.context, 1, index, &entry, 0), 0);
    EXPECT_EQ(entry.gid_type, static_cast<std::uint32_t>(expected[index]));
    EXPECT_EQ(entry.gid.raw[0], index < 2 ? 0xfe : 0x00);  // link-local
    if (index >= 2) {                                      // ::ffff:a.b.c.d
      EXPECT_EQ(entry.gid.raw[10], 0xff);
      EXPECT_EQ(entry.gid.raw[11], 0xff);
    }
  }
  ibv_gid_entry entry{};
  EXPECT_EQ(ibv_query_gid_ex(a_.context, 1, 4, &entry, 0), ENODATA);
}

}  // namespace

namespace {

TEST(FakeDeviceConfig, DevicesPortsAndLimitsFromTheEnvironment) {
  ::setenv("FB_FAKEVERBS_DIR", "/tmp", 1);
  ::setenv("FB_FAKEVERBS_LINK", "ib", 1);
  ::setenv("FB_FAKEVERBS_DEVICES", "2", 1);
  ::setenv("FB_FAKEVERBS_PORTS", "2", 1);
  ::setenv("FB_FAKEVERBS_MTU", "2048", 1);
  ::setenv("FB_FAKEVERBS_MAX_QP_WR", "1024", 1);
  ::setenv("FB_FAKEVERBS_MAX_MSG_SZ", "65536", 1);
  fb_fakeverbs_reconfigure();
  int count = 0;
  ibv_device** list = ibv_get_device_list(&count);
  ASSERT_EQ(count, 2);
  EXPECT_STREQ(ibv_get_device_name(list[1]), "fv_1");
  ibv_context* context = ibv_open_device(list[1]);
  ibv_free_device_list(list);
  ASSERT_NE(context, nullptr);
  ibv_device_attr device{};
  ASSERT_EQ(ibv_query_device(context, &device), 0);
  EXPECT_EQ(device.phys_port_cnt, 2);
  EXPECT_EQ(device.max_qp_wr, 1024);
  ibv_port_attr port1{};
  ibv_port_attr port2{};
  ASSERT_EQ(ibv_query_port(context, 1, &port1), 0);
  ASSERT_EQ(ibv_query_port(context, 2, &port2), 0);
  EXPECT_NE(port1.lid, port2.lid);
  EXPECT_EQ(port1.active_mtu, IBV_MTU_2048);
  EXPECT_EQ(port1.max_msg_sz, 65536U);
  EXPECT_EQ(port1.link_layer, IBV_LINK_LAYER_INFINIBAND);
  EXPECT_EQ(port1.state, IBV_PORT_ACTIVE);
  ibv_port_attr none{};
  EXPECT_EQ(ibv_query_port(context, 3, &none), EINVAL);
  ibv_close_device(context);
}

TEST(FakeDeviceConfig, NoDirectoryNoDevice) {
  ::unsetenv("FB_FAKEVERBS_DIR");
  fb_fakeverbs_reconfigure();
  int count = -1;
  ibv_device** list = ibv_get_device_list(&count);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(count, 0);
  ibv_free_device_list(list);
}

}  // namespace
