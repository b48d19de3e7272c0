// The local IPC path (transports/ipc_transport.hpp) between processes: the ranks under
// mpirun share one host, so their shared-memory mailboxes cross process boundaries as on a
// GPU host. The "device" memory is memfd-backed host memory that another process maps
// through /proc/<pid>/fd (MemfdIpc below), standing for CUDA IPC's handles; copies finish
// on the second time they are polled, so a receive that completed early, or a sender that
// reused its bytes before the receiver's copy, shows as wrong results. Every algorithm over
// the path, over MPI, checked exactly.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/reduce_kernels.hpp"
#include "collectives/registry.hpp"
#include "core/memory_steps.hpp"
#include "harness/call_setup.hpp"
#include "harness/validation.hpp"
#include "transports/error.hpp"
#include "transports/ipc_transport.hpp"
#include "transports/mpi_bootstrap.hpp"
#include "transports/registry.hpp"

namespace fb {
namespace {

class MemfdIpc final : public DeviceIpc {
 public:
  ~MemfdIpc() override {
    for (const auto& [base, a] : allocations_) {
      ::munmap(base, a.bytes);
      ::close(a.fd);
    }
  }
  MemfdIpc() = default;
  MemfdIpc(const MemfdIpc&) = delete;
  MemfdIpc& operator=(const MemfdIpc&) = delete;

  std::span<std::byte> allocate(std::size_t bytes) {
    const int fd = ::memfd_create("fb-ipc-test", MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0)
      throw std::runtime_error("memfd");
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap");
    auto* base = static_cast<std::byte*>(p);
    allocations_[base] = {fd, bytes, ++serial_};
    return {base, bytes};
  }
  void release(std::byte* base) {
    const auto it = allocations_.find(base);
    ::munmap(base, it->second.bytes);
    ::close(it->second.fd);
    allocations_.erase(it);
  }

  std::string_view name() const override { return "memfd-ipc"; }
  std::string location() const override { return "host memory"; }
  std::optional<std::string> unreachable(const std::string&) const override { return {}; }

  IpcExport export_range(std::span<std::byte> bytes) override {
    for (const auto& [base, a] : allocations_) {
      if (bytes.data() >= base && bytes.data() + bytes.size() <= base + a.bytes) {
        const Handle h{static_cast<std::int64_t>(::getpid()), a.fd, a.bytes, a.serial};
        IpcExport exported;
        std::memcpy(exported.handle.bytes.data(), &h, sizeof h);
        exported.offset = static_cast<std::uint64_t>(bytes.data() - base);
        return exported;
      }
    }
    throw std::runtime_error("not a memfd allocation");
  }
  std::byte* open(const IpcHandle& handle) override {
    Handle h{};
    std::memcpy(&h, handle.bytes.data(), sizeof h);
    const std::string path = "/proc/" + std::to_string(h.pid) + "/fd/" + std::to_string(h.fd);
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path);
    void* p = ::mmap(nullptr, h.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map " + path);
    ++opens;
    opened_[static_cast<std::byte*>(p)] = h.bytes;
    return static_cast<std::byte*>(p);
  }
  void close(std::byte* base) override {
    ::munmap(base, opened_.at(base));
    opened_.erase(base);
  }
  std::uint64_t copy(std::byte* dst, const std::byte* src, std::size_t bytes) override {
    pending_[next_] = {dst, src, bytes, 0};
    return next_++;
  }
  bool done(std::uint64_t ticket) override {
    auto& c = pending_.at(ticket);
    if (++c.asked < 2) return false;
    std::memcpy(c.dst, c.src, c.bytes);
    ++copies;
    pending_.erase(ticket);
    return true;
  }

  int opens = 0;
  int copies = 0;

 private:
  // The serial makes a handle unique, as CUDA's are: a file descriptor number is reused
  // once its allocation is freed.
  struct Handle {
    std::int64_t pid;
    int fd;
    std::size_t bytes;
    std::uint64_t serial;
  };
  struct Allocation {
    int fd;
    std::size_t bytes;
    std::uint64_t serial;
  };
  struct Copy {
    std::byte* dst;
    const std::byte* src;
    std::size_t bytes;
    int asked;
  };
  std::map<std::byte*, Allocation> allocations_;
  std::map<std::byte*, std::size_t> opened_;
  std::map<std::uint64_t, Copy> pending_;
  std::uint64_t next_ = 1;
  std::uint64_t serial_ = 0;
};

// Device-style steps whose scratch is exportable memfd memory; the work itself is done at
// once on the CPU (the path, not the steps, is under test here).
class MemfdSteps final : public MemorySteps {
 public:
  explicit MemfdSteps(MemfdIpc& ipc) : ipc_(ipc) {}
  std::string_view name() const override { return "memfd steps"; }
  Allocation allocate(std::size_t bytes) override {
    auto span = ipc_.allocate(bytes);
    return Allocation(span.data(), [this](std::byte* p) { ipc_.release(p); });
  }
  void copy(std::byte* dst, const std::byte* src, std::size_t bytes) override {
    std::memmove(dst, src, bytes);
  }
  void combine(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a, const std::byte* b,
               std::size_t elems) override {
    reduce_kernels(dtype, op).combine(dst, a, b, elems);
  }
  void combine3(DType dtype, ReduceOp op, std::byte* dst, const std::byte* a, const std::byte* b,
                const std::byte* c, std::size_t elems) override {
    reduce_kernels(dtype, op).combine3(dst, a, b, c, elems);
  }
  void finalize(DType dtype, ReduceOp op, std::byte* data, std::size_t elems,
                int n_ranks) override {
    const auto kernels = reduce_kernels(dtype, op);
    if (kernels.finalize != nullptr) kernels.finalize(data, elems, n_ranks);
  }
  void sync() override {}

 private:
  MemfdIpc& ipc_;
};

TEST(IpcAcrossProcesses, EveryAlgorithmExactOverTheLocalPath) {
  MpiBootstrap boot;
  const int n = boot.size();
  auto mpi = find_transport("mpi")->create(boot);
  MemfdIpc memfd;
  // Every rank of this job shares the host (mpirun on one machine).
  IpcTransport ipc(*mpi, boot, memfd, IpcTransport::same_machine(boot));
  ASSERT_TRUE(ipc.capabilities().device_memory) << ipc.path().detail;
  MemfdSteps steps(memfd);
  constexpr std::size_t kStore = 1 << 16;
  auto send = memfd.allocate(kStore);
  auto recv = memfd.allocate(kStore);
  const auto send_region = ipc.register_device_memory(send);
  const auto recv_region = ipc.register_device_memory(recv);
  int calls = 0;
  for (const auto& entry : algorithm_registry()) {
    if (!entry.uses_transport || entry.device_only) continue;
    const DType dtype = DType::int32;
    const ReduceOp op = ReduceOp::sum;
    if (!entry.handles(dtype, op)) continue;
    AlgorithmOptions options;
    options.ring_segment_bytes = {64};
    options.tree_chunk_bytes = {256};
    options.hd_segment_bytes = {128};
    AlgorithmContext ctx{boot, &ipc, options};
    auto algorithm = entry.create(ctx);
    for (const std::size_t count : {std::size_t{1}, static_cast<std::size_t>(n) * 37 + 3}) {
      auto layout =
          layout_call(entry.collective, false, count, dtype, op, n > 1 ? 1 % n : 0, boot.rank(), n,
                      {send, send_region.get()}, {recv, recv_region.get()});
      layout.args.memory = &steps;
      const CheckSpec spec{entry.collective, dtype, op, boot.rank(), n, n > 1 ? 1 % n : 0, count};
      fill_send(spec, layout.input);
      algorithm->run(layout.args);
      EXPECT_EQ(count_mismatches(spec, layout.output), 0u)
          << to_string(entry.collective) << " " << entry.name << " count " << count << " on rank "
          << boot.rank();
      ++calls;
    }
  }
  EXPECT_GT(calls, 20);
  // Each peer allocation opened once however many messages came from it (the stores and
  // the algorithms' scratch), not once per message.
  if (n > 1) {
    EXPECT_GE(memfd.opens, 1);
    EXPECT_LT(memfd.opens * 4, memfd.copies)
        << memfd.opens << " opens for " << memfd.copies << " messages";
  }
  boot.barrier();
}

}  // namespace
}  // namespace fb
