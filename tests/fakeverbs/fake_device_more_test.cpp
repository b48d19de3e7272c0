// The software RDMA device's tests of shared receive queues, asynchronous events and the
// port-down fault.
#include <arpa/inet.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fakeverbs/fake_device_more_fixture.hpp"

namespace {

using namespace fakeverbs_test;  // NOLINT(google-build-using-namespace)

// ---- shared receive queues ----

TEST_F(FakeDeviceMore, SrqReceivesCarryTheQueuePairTheMessageArrivedOn) {
  configure("ib");
  open_pair();
  open(c_);
  srq_ = make_srq(b_, 8);
  ASSERT_NE(srq_, nullptr);
  ASSERT_EQ(ibv_destroy_qp(b_.qp), 0);
  b_.qp = create_qp(b_, srq_);
  ASSERT_NE(b_.qp, nullptr);
  extra_qps_.push_back(create_qp(b_, srq_));
  ibv_qp* second = extra_qps_.back();
  ASSERT_NE(second, nullptr);
  connect_qps(a_, a_.qp, b_, b_.qp);
  connect_qps(c_, c_.qp, b_, second);
  EXPECT_EQ(post_recv(b_, 0, 64, 5), EINVAL);  // the queue pair has no receive queue of its own
  ASSERT_EQ(post_srq(srq_, b_, 0, 64, 1), 0);
  ASSERT_EQ(post_srq(srq_, b_, 64, 64, 2), 0);
  std::strcpy(a_.buffer.data(), "from a");
  std::strcpy(c_.buffer.data(), "from c");
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 7, 10), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  auto first = next(b_.cq);
  EXPECT_EQ(first.status, IBV_WC_SUCCESS);
  EXPECT_EQ(first.wr_id, 1U);
  EXPECT_EQ(first.qp_num, b_.qp->qp_num);
  EXPECT_EQ(first.src_qp, a_.qp->qp_num);
  EXPECT_EQ(first.byte_len, 7U);
  EXPECT_STREQ(b_.buffer.data(), "from a");
  ASSERT_EQ(post_send(c_, IBV_WR_SEND, 7, 11), 0);
  EXPECT_EQ(next(c_.cq).status, IBV_WC_SUCCESS);
  auto later = next(b_.cq);
  EXPECT_EQ(later.status, IBV_WC_SUCCESS);
  EXPECT_EQ(later.wr_id, 2U);
  EXPECT_EQ(later.qp_num, second->qp_num);
  EXPECT_EQ(later.src_qp, c_.qp->qp_num);
  EXPECT_STREQ(b_.buffer.data() + 64, "from c");
  ibv_qp_attr attr{};
  ibv_qp_init_attr init{};
  ASSERT_EQ(ibv_query_qp(b_.qp, &attr, IBV_QP_CAP, &init), 0);
  EXPECT_EQ(init.srq, srq_);
}

TEST_F(FakeDeviceMore, EmptySrqIsReceiverNotReady) {
  configure("ib");
  Link link;
  link.rnr_retry = 2;
  srq_pair(link);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RNR_RETRY_EXC_ERR);
}

TEST_F(FakeDeviceMore, EmptySrqWaitsForAPostedReceive) {
  configure("ib");
  srq_pair();  // rnr_retry 7: forever
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  ibv_wc wc{};
  EXPECT_EQ(ibv_poll_cq(a_.cq, 1, &wc), 0);
  ASSERT_EQ(post_srq(srq_, b_, 0, 64, 9), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  EXPECT_EQ(next(b_.cq).wr_id, 9U);
}

TEST_F(FakeDeviceMore, SrqReceiveTooSmallIsLocalLengthError) {
  configure("ib");
  srq_pair();
  ASSERT_EQ(post_srq(srq_, b_, 0, 8, 1), 0);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 16, 2), 0);
  const auto receive = next(b_.cq);
  EXPECT_EQ(receive.status, IBV_WC_LOC_LEN_ERR);
  EXPECT_EQ(receive.qp_num, b_.qp->qp_num);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_REM_INV_REQ_ERR);
  // The queue pair went to error; the SRQ's other receives stay for the others, and the
  // queue pair says it will take no more.
  ibv_async_event event{};
  ASSERT_TRUE(pending_async(b_.context, event));
  EXPECT_EQ(event.event_type, IBV_EVENT_QP_LAST_WQE_REACHED);
  EXPECT_EQ(event.element.qp, b_.qp);
}

TEST_F(FakeDeviceMore, SrqCapabilitiesAndLimits) {
  configure("ib", {{"FB_FAKEVERBS_MAX_SRQ_WR", "1024"}});
  open(b_);
  ibv_device_attr device{};
  ASSERT_EQ(ibv_query_device(b_.context, &device), 0);
  EXPECT_EQ(device.max_srq, 8388608);
  EXPECT_EQ(device.max_srq_wr, 1024);
  EXPECT_EQ(device.max_srq_sge, 30);
  errno = 0;
  EXPECT_EQ(make_srq(b_, 1025), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(make_srq(b_, 16, 31), nullptr);
  EXPECT_EQ(errno, EINVAL);
  ibv_srq_init_attr init{};
  init.attr.max_wr = 100;
  init.attr.max_sge = 2;
  srq_ = ibv_create_srq(b_.pd, &init);
  ASSERT_NE(srq_, nullptr);
  EXPECT_EQ(init.attr.max_wr, 127U);  // mlx5: the next power of two above, less one
  ibv_srq_attr attr{};
  ASSERT_EQ(ibv_query_srq(srq_, &attr), 0);
  EXPECT_EQ(attr.max_wr, 127U);
  EXPECT_EQ(attr.max_sge, 2U);
  attr.max_wr = 200;
  EXPECT_EQ(ibv_modify_srq(srq_, &attr, IBV_SRQ_MAX_WR), EINVAL);  // no resizing
  attr.srq_limit = 128;
  EXPECT_EQ(ibv_modify_srq(srq_, &attr, IBV_SRQ_LIMIT), EINVAL);  // above max_wr
  for (std::uint64_t i = 0; i < 127; ++i)
    ASSERT_EQ(post_srq(srq_, b_, 0, 64, i), 0);
  EXPECT_EQ(post_srq(srq_, b_, 0, 64, 127), ENOMEM);
  ibv_sge sges[3] = {};
  ibv_recv_wr wr{};
  wr.sg_list = sges;
  wr.num_sge = 3;
  ibv_recv_wr* bad = nullptr;
  ASSERT_EQ(ibv_destroy_srq(srq_), 0);
  srq_ = make_srq(b_, 4, 2);
  ASSERT_NE(srq_, nullptr);
  EXPECT_EQ(ibv_post_srq_recv(srq_, &wr, &bad), EINVAL);  // more scatter entries than max_sge
  EXPECT_EQ(bad, &wr);
  ASSERT_EQ(ibv_destroy_qp(b_.qp), 0);
  b_.qp = create_qp(b_, srq_);
  ASSERT_NE(b_.qp, nullptr);
  EXPECT_EQ(ibv_destroy_srq(srq_), EBUSY);  // a queue pair is attached
  EXPECT_EQ(ibv_dealloc_pd(b_.pd), EBUSY);
  ASSERT_EQ(ibv_destroy_qp(b_.qp), 0);
  b_.qp = nullptr;
  EXPECT_EQ(ibv_destroy_srq(srq_), 0);
  srq_ = nullptr;
}

TEST_F(FakeDeviceMore, SrqLimitRaisesOneEventWhenReceivesDropBelowIt) {
  configure("ib");
  srq_pair();
  for (std::uint64_t i = 0; i < 4; ++i)
    ASSERT_EQ(post_srq(srq_, b_, 0, 64, i), 0);
  ibv_srq_attr attr{};
  attr.srq_limit = 3;
  ASSERT_EQ(ibv_modify_srq(srq_, &attr, IBV_SRQ_LIMIT), 0);
  ibv_async_event event{};
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  EXPECT_EQ(next(b_.cq).wr_id, 0U);
  EXPECT_FALSE(pending_async(b_.context, event));  // 3 left: not below the limit
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 2), 0);
  EXPECT_EQ(next(b_.cq).wr_id, 1U);
  ASSERT_TRUE(pending_async(b_.context, event));  // 2 left
  EXPECT_EQ(event.event_type, IBV_EVENT_SRQ_LIMIT_REACHED);
  EXPECT_EQ(event.element.srq, srq_);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 3), 0);
  EXPECT_EQ(next(b_.cq).wr_id, 2U);
  EXPECT_FALSE(pending_async(b_.context, event));  // disarmed: once
}

TEST_F(FakeDeviceMore, SrqSlotIsFreeAgainWhenItsCompletionIsPolled) {
  configure("ib");
  srq_pair(Link{}, 1);  // granted: 1
  ASSERT_EQ(post_srq(srq_, b_, 0, 64, 1), 0);
  EXPECT_EQ(post_srq(srq_, b_, 0, 64, 2), ENOMEM);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  EXPECT_EQ(post_srq(srq_, b_, 0, 64, 2), ENOMEM);  // consumed, not yet polled
  EXPECT_EQ(next(b_.cq).wr_id, 1U);
  EXPECT_EQ(post_srq(srq_, b_, 0, 64, 2), 0);
}

TEST_F(FakeDeviceMore, StarvedSrqReceivesNeverArrive) {
  configure("ib", {{"FB_FAKEVERBS_STARVE_RECV", "1"}});
  Link link;
  link.rnr_retry = 2;
  srq_pair(link);
  ASSERT_EQ(post_srq(srq_, b_, 0, 64, 1), 0);
  ASSERT_EQ(post_srq(srq_, b_, 0, 64, 2), 0);  // accepted, lost on the way to the device
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 1), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  ASSERT_EQ(post_send(a_, IBV_WR_SEND, 8, 2), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RNR_RETRY_EXC_ERR);
}

// ---- asynchronous events and the port-down fault ----

TEST_F(FakeDeviceMore, NonBlockingAsyncFdSaysEagainWhenNothingIsPending) {
  configure("ib");
  open(a_);
  const int flags = ::fcntl(a_.context->async_fd, F_GETFL);
  ASSERT_EQ(::fcntl(a_.context->async_fd, F_SETFL, flags | O_NONBLOCK), 0);
  ibv_async_event event{};
  errno = 0;
  EXPECT_EQ(ibv_get_async_event(a_.context, &event), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(FakeDeviceMore, PortGoesDownAtTheNthSendAndTheLinkIsDead) {
  configure_traced("ib", {{"FB_FAKEVERBS_PORT_DOWN_AFTER", "2"}, {"FB_FAKEVERBS_PORTS", "2"}});
  open_pair();
  Link link;
  link.timeout = 8;
  connect(link);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 1, true, remote(b_), b_.mr->rkey), 0);
  EXPECT_EQ(next(a_.cq).status, IBV_WC_SUCCESS);
  ibv_async_event event{};
  EXPECT_FALSE(pending_async(a_.context, event));
  ibv_port_attr port{};
  ASSERT_EQ(ibv_query_port(a_.context, 1, &port), 0);
  EXPECT_EQ(port.state, IBV_PORT_ACTIVE);
  ASSERT_EQ(post_send(a_, IBV_WR_RDMA_WRITE, 8, 2, true, remote(b_), b_.mr->rkey), 0);
  for (int number = 1; number <= 2; ++number) {
    ASSERT_TRUE(pending_async(a_.context, event));
    EXPECT_EQ(event.event_type, IBV_EVENT_PORT_ERR);
    EXPECT_EQ(event.element.port_num, number);
  }
  EXPECT_FALSE(pending_async(a_.context, event));  // once per port
  for (std::uint8_t number = 1; number <= 2; ++number) {
    ASSERT_EQ(ibv_query_port(a_.context, number, &port), 0);
    EXPECT_EQ(port.state, IBV_PORT_DOWN);
    EXPECT_EQ(port.phys_state, 3);  // Disabled
  }
  ASSERT_EQ(ibv_query_port(b_.context, 1, &port), 0);
  EXPECT_EQ(port.state, IBV_PORT_ACTIVE);  // only the context that posted them
  EXPECT_EQ(next(a_.cq).status, IBV_WC_RETRY_EXC_ERR);
  // The peer's requests to the dead port are lost too.
  ASSERT_EQ(post_send(b_, IBV_WR_RDMA_WRITE, 8, 3, true, remote(a_), a_.mr->rkey), 0);
  EXPECT_EQ(next(b_.cq).status, IBV_WC_RETRY_EXC_ERR);
  const auto lines = trace_lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "async event=IBV_EVENT_PORT_ERR port=1"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "async event=IBV_EVENT_PORT_ERR port=2"), 1);
}

}  // namespace
