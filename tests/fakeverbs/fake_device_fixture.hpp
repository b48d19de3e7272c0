// The fixture of the software RDMA device's tests: two contexts of one process (each with
// its own wire thread, exactly as two processes would use it), a queue pair on each, and
// helpers to connect and post. Each test configures the device through the environment.
#pragma once

#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

extern "C" void fb_fakeverbs_reconfigure();

namespace fakeverbs_test {

constexpr int kAccess = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;

struct Side {
  ibv_context* context = nullptr;
  ibv_pd* pd = nullptr;
  ibv_cq* cq = nullptr;
  ibv_qp* qp = nullptr;
  std::vector<char> buffer = std::vector<char>(8192);
  ibv_mr* mr = nullptr;
};

struct Link {
  ibv_mtu mtu_a = IBV_MTU_1024;
  ibv_mtu mtu_b = IBV_MTU_1024;
  int sgid_index = 3;         // RoCE: the IPv4-mapped RoCE v2 GID
  std::uint8_t timeout = 14;  // 67 ms, as the transport uses: no spurious retries under load
  std::uint8_t retry_cnt = 7;
  std::uint8_t rnr_retry = 7;
  std::uint8_t min_rnr_timer = 1;
  std::uint32_t psn_skew = 0;  // added to the responder's expected PSN
};

class FakeDevice : public ::testing::Test {
 protected:
  void configure(const std::string& link, const std::map<std::string, std::string>& extra = {}) {
    dir_ =
        std::filesystem::temp_directory_path() / ("fakeverbs-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ::setenv("FB_FAKEVERBS_DIR", dir_.c_str(), 1);
    ::setenv("FB_FAKEVERBS_LINK", link.c_str(), 1);
    for (const auto& [key, value] : extra)
      ::setenv(key.c_str(), value.c_str(), 1);
    fb_fakeverbs_reconfigure();
  }

  void TearDown() override {
    for (auto* side : {&a_, &b_}) {
      if (side->qp != nullptr) ibv_destroy_qp(side->qp);
      if (side->mr != nullptr) ibv_dereg_mr(side->mr);
      if (side->cq != nullptr) ibv_destroy_cq(side->cq);
      if (side->pd != nullptr) ibv_dealloc_pd(side->pd);
      if (side->context != nullptr) ibv_close_device(side->context);
    }
    std::filesystem::remove_all(dir_);
  }

  void open(Side& side, int cq_entries = 64, std::uint32_t send_wr = 16,
            std::uint32_t recv_wr = 16) {
    int count = 0;
    ibv_device** list = ibv_get_device_list(&count);
    ASSERT_GE(count, 1);
    side.context = ibv_open_device(list[0]);
    ibv_free_device_list(list);
    ASSERT_NE(side.context, nullptr);
    side.pd = ibv_alloc_pd(side.context);
    side.cq = ibv_create_cq(side.context, cq_entries, nullptr, nullptr, 0);
    side.mr = ibv_reg_mr(side.pd, side.buffer.data(), side.buffer.size(), kAccess);
    ASSERT_NE(side.mr, nullptr);
    ibv_qp_init_attr init{};
    init.send_cq = side.cq;
    init.recv_cq = side.cq;
    init.qp_type = IBV_QPT_RC;
    init.cap.max_send_wr = send_wr;
    init.cap.max_recv_wr = recv_wr;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    side.qp = ibv_create_qp(side.pd, &init);
    ASSERT_NE(side.qp, nullptr);
  }

  static int to_init(ibv_qp* qp) {
    ibv_qp_attr attr{};
    attr.qp_state = IBV_QPS_INIT;
    attr.port_num = 1;
    attr.qp_access_flags = kAccess;
    return ibv_modify_qp(qp, &attr,
                         IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
  }

  static ibv_qp_attr rtr_attr(const Side& self, const Side& peer, ibv_mtu mtu, const Link& link) {
    ibv_qp_attr attr{};
    attr.qp_state = IBV_QPS_RTR;
    attr.path_mtu = mtu;
    attr.dest_qp_num = peer.qp->qp_num;
    attr.rq_psn = 100 + link.psn_skew;
    attr.max_dest_rd_atomic = 1;
    attr.min_rnr_timer = link.min_rnr_timer;
    attr.ah_attr.port_num = 1;
    ibv_port_attr port{};
    ibv_query_port(self.context, 1, &port);
    if (port.link_layer == IBV_LINK_LAYER_ETHERNET) {
      attr.ah_attr.is_global = 1;
      attr.ah_attr.grh.sgid_index = static_cast<std::uint8_t>(link.sgid_index);
      attr.ah_attr.grh.hop_limit = 64;
      ibv_query_gid(peer.context, 1, link.sgid_index, &attr.ah_attr.grh.dgid);
    } else {
      attr.ah_attr.dlid = port.lid;  // one host: the peer's port is this one
    }
    return attr;
  }

  static constexpr int kRtrMask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
                                  IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
  static constexpr int kRtsMask = IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
                                  IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC;

  static int to_rts(ibv_qp* qp, const Link& link) {
    ibv_qp_attr attr{};
    attr.qp_state = IBV_QPS_RTS;
    attr.timeout = link.timeout;
    attr.retry_cnt = link.retry_cnt;
    attr.rnr_retry = link.rnr_retry;
    attr.sq_psn = 100;
    attr.max_rd_atomic = 1;
    return ibv_modify_qp(qp, &attr, kRtsMask);
  }

  void connect(const Link& link = {}) {
    ASSERT_EQ(to_init(a_.qp), 0);
    ASSERT_EQ(to_init(b_.qp), 0);
    auto attr_a = rtr_attr(a_, b_, link.mtu_a, link);
    auto attr_b = rtr_attr(b_, a_, link.mtu_b, link);
    attr_b.rq_psn = 100 + link.psn_skew;
    attr_a.rq_psn = 100;
    ASSERT_EQ(ibv_modify_qp(a_.qp, &attr_a, kRtrMask), 0);
    ASSERT_EQ(ibv_modify_qp(b_.qp, &attr_b, kRtrMask), 0);
    ASSERT_EQ(to_rts(a_.qp, link), 0);
    ASSERT_EQ(to_rts(b_.qp, link), 0);
  }

  void open_pair(int cq_entries = 64, std::uint32_t send_wr = 16) {
    open(a_, cq_entries, send_wr);
    open(b_, cq_entries, send_wr);
  }

  static int post_recv(Side& side, std::size_t offset, std::uint32_t bytes, std::uint64_t id) {
    ibv_sge sge{reinterpret_cast<std::uintptr_t>(side.buffer.data() + offset), bytes,
                side.mr->lkey};
    ibv_recv_wr wr{};
    wr.wr_id = id;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    ibv_recv_wr* bad = nullptr;
    return ibv_post_recv(side.qp, &wr, &bad);
  }

  static int post_send(Side& side, ibv_wr_opcode opcode, std::uint32_t bytes, std::uint64_t id,
                       bool signalled = true, std::uint64_t remote = 0, std::uint32_t rkey = 0) {
    ibv_sge sge{reinterpret_cast<std::uintptr_t>(side.buffer.data()), bytes, side.mr->lkey};
    ibv_send_wr wr{};
    wr.wr_id = id;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = opcode;
    wr.send_flags = signalled ? IBV_SEND_SIGNALED : 0;
    wr.wr.rdma.remote_addr = remote;
    wr.wr.rdma.rkey = rkey;
    wr.imm_data = htonl(77);
    ibv_send_wr* bad = nullptr;
    return ibv_post_send(side.qp, &wr, &bad);
  }

  // The next completion (a hang guard, not a timing assertion: the device answers in ms).
  static ibv_wc next(ibv_cq* cq) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    ibv_wc wc{};
    while (std::chrono::steady_clock::now() < give_up) {
      const int got = ibv_poll_cq(cq, 1, &wc);
      if (got < 0) {
        ADD_FAILURE() << "ibv_poll_cq failed: " << got;
        return wc;
      }
      if (got == 1) return wc;
      std::this_thread::yield();
    }
    ADD_FAILURE() << "no completion";
    return wc;
  }

  static ibv_qp_state state(ibv_qp* qp) {
    ibv_qp_attr attr{};
    ibv_qp_init_attr init{};
    ibv_query_qp(qp, &attr, IBV_QP_STATE, &init);
    return attr.qp_state;
  }

  std::uint64_t remote(const Side& side, std::size_t offset = 0) const {
    return reinterpret_cast<std::uintptr_t>(side.buffer.data() + offset);
  }

  std::filesystem::path dir_;
  Side a_;
  Side b_;
};

}  // namespace fakeverbs_test
