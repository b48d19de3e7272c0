// The fixture of the device's tests of its later features: a third side, shared receive
// queues, queue pairs on any device, pending async events and the test trace.
#pragma once

#include <fcntl.h>
#include <infiniband/verbs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/fakeverbs/fake_device_fixture.hpp"

namespace fakeverbs_test {

static_assert(sizeof(ibv_port_attr) == 52, "active_speed_ex follows the legacy structure at 52");

class FakeDeviceMore : public FakeDevice {
 protected:
  void TearDown() override {
    for (auto*& qp : extra_qps_) {
      if (qp != nullptr) ibv_destroy_qp(qp);
      qp = nullptr;
    }
    if (c_.qp != nullptr) ibv_destroy_qp(c_.qp);
    c_.qp = nullptr;
    for (auto* side : {&a_, &b_}) {
      if (side->qp != nullptr) ibv_destroy_qp(side->qp);
      side->qp = nullptr;
    }
    if (srq_ != nullptr) ibv_destroy_srq(srq_);
    if (c_.mr != nullptr) ibv_dereg_mr(c_.mr);
    if (c_.cq != nullptr) ibv_destroy_cq(c_.cq);
    if (c_.pd != nullptr) ibv_dealloc_pd(c_.pd);
    if (c_.context != nullptr) ibv_close_device(c_.context);
    FakeDevice::TearDown();
  }

  // Opens device `device` for `side` with a queue pair (on `srq` when given).
  static void open_on(Side& side, int device, ibv_srq* srq = nullptr) {
    int count = 0;
    ibv_device** list = ibv_get_device_list(&count);
    ASSERT_GT(count, device);
    side.context = ibv_open_device(list[device]);
    ibv_free_device_list(list);
    ASSERT_NE(side.context, nullptr);
    side.pd = ibv_alloc_pd(side.context);
    side.cq = ibv_create_cq(side.context, 64, nullptr, nullptr, 0);
    side.mr = ibv_reg_mr(side.pd, side.buffer.data(), side.buffer.size(), kAccess);
    ASSERT_NE(side.mr, nullptr);
    side.qp = create_qp(side, srq);
    ASSERT_NE(side.qp, nullptr);
  }

  static ibv_qp* create_qp(Side& side, ibv_srq* srq) {
    ibv_qp_init_attr init{};
    init.send_cq = side.cq;
    init.recv_cq = side.cq;
    init.srq = srq;
    init.qp_type = IBV_QPT_RC;
    init.cap.max_send_wr = 16;
    init.cap.max_recv_wr = 16;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    return ibv_create_qp(side.pd, &init);
  }

  // Connects qp `x` of side `sx` with qp `y` of side `sy`: through the GRH on Ethernet ports
  // (GID index 3) or when `grh` is set (GID index 0), else by the peer's LID.
  static void connect_qps(Side& sx, ibv_qp* x, Side& sy, ibv_qp* y, const Link& link = {},
                          bool grh = false, std::uint16_t pkey_x = 0, std::uint16_t pkey_y = 0) {
    for (auto [side, qp, peer, peer_qp, pkey] :
         {std::tuple{&sx, x, &sy, y, pkey_x}, std::tuple{&sy, y, &sx, x, pkey_y}}) {
      ibv_qp_attr init{};
      init.qp_state = IBV_QPS_INIT;
      init.port_num = 1;
      init.pkey_index = pkey;
      init.qp_access_flags = kAccess;
      ASSERT_EQ(ibv_modify_qp(qp, &init,
                              IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS),
                0);
      ibv_port_attr self{};
      ibv_port_attr other{};
      ASSERT_EQ(ibv_query_port(side->context, 1, &self), 0);
      ASSERT_EQ(ibv_query_port(peer->context, 1, &other), 0);
      ibv_qp_attr rtr{};
      rtr.qp_state = IBV_QPS_RTR;
      rtr.path_mtu = IBV_MTU_1024;
      rtr.dest_qp_num = peer_qp->qp_num;
      rtr.rq_psn = 100;
      rtr.max_dest_rd_atomic = 1;
      rtr.min_rnr_timer = link.min_rnr_timer;
      rtr.ah_attr.port_num = 1;
      if (self.link_layer == IBV_LINK_LAYER_ETHERNET || grh) {
        const int index = self.link_layer == IBV_LINK_LAYER_ETHERNET ? 3 : 0;
        const int peer_index = other.link_layer == IBV_LINK_LAYER_ETHERNET ? 3 : 0;
        rtr.ah_attr.is_global = 1;
        rtr.ah_attr.grh.sgid_index = static_cast<std::uint8_t>(index);
        rtr.ah_attr.grh.hop_limit = 64;
        ASSERT_EQ(ibv_query_gid(peer->context, 1, peer_index, &rtr.ah_attr.grh.dgid), 0);
      }
      rtr.ah_attr.dlid = other.lid;
      ASSERT_EQ(ibv_modify_qp(qp, &rtr, kRtrMask), 0);
    }
    ASSERT_EQ(to_rts(x, link), 0);
    ASSERT_EQ(to_rts(y, link), 0);
  }

  static int post_srq(ibv_srq* srq, Side& side, std::size_t offset, std::uint32_t bytes,
                      std::uint64_t id) {
    ibv_sge sge{reinterpret_cast<std::uintptr_t>(side.buffer.data() + offset), bytes,
                side.mr->lkey};
    ibv_recv_wr wr{};
    wr.wr_id = id;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    ibv_recv_wr* bad = nullptr;
    return ibv_post_srq_recv(srq, &wr, &bad);
  }

  ibv_srq* make_srq(Side& side, std::uint32_t max_wr, std::uint32_t max_sge = 1) {
    ibv_srq_init_attr init{};
    init.attr.max_wr = max_wr;
    init.attr.max_sge = max_sge;
    return ibv_create_srq(side.pd, &init);
  }

  // b_'s queue pair replaced by one on an SRQ of b_.
  void srq_pair(const Link& link = {}, std::uint32_t srq_depth = 16) {
    open_pair();
    srq_ = make_srq(b_, srq_depth);
    ASSERT_NE(srq_, nullptr);
    ASSERT_EQ(ibv_destroy_qp(b_.qp), 0);
    b_.qp = create_qp(b_, srq_);
    ASSERT_NE(b_.qp, nullptr);
    connect_qps(a_, a_.qp, b_, b_.qp, link);
  }

  static bool pending_async(ibv_context* context, ibv_async_event& event) {
    const int flags = ::fcntl(context->async_fd, F_GETFL);
    ::fcntl(context->async_fd, F_SETFL, flags | O_NONBLOCK);
    errno = 0;
    const bool got = ibv_get_async_event(context, &event) == 0;
    if (!got) {
      EXPECT_EQ(errno, EAGAIN);
    }
    ::fcntl(context->async_fd, F_SETFL, flags);
    if (got) ibv_ack_async_event(&event);
    return got;
  }

  std::vector<std::string> trace_lines() const {
    std::ifstream in(trace_path());
    std::vector<std::string> lines;
    const std::string prefix = "pid=" + std::to_string(::getpid()) + " ";
    for (std::string line; std::getline(in, line);) {
      EXPECT_EQ(line.rfind(prefix, 0), 0U) << line;
      lines.push_back(line.substr(std::min(line.size(), prefix.size())));
    }
    return lines;
  }

  std::string trace_path() const { return (dir_ / "trace").string(); }

  // Configures with a trace file in the test's directory.
  void configure_traced(const std::string& link, std::map<std::string, std::string> extra = {}) {
    dir_ =
        std::filesystem::temp_directory_path() / ("fakeverbs-test-" + std::to_string(::getpid()));
    extra["FB_FAKEVERBS_TRACE"] = trace_path();
    configure(link, extra);
  }

  Side c_;
  ibv_srq* srq_ = nullptr;
  std::vector<ibv_qp*> extra_qps_;
};

}  // namespace fakeverbs_test
