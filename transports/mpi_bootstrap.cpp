#include "transports/mpi_bootstrap.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace fb {

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  std::vector<char> text(MPI_MAX_ERROR_STRING);
  int len = 0;
  MPI_Error_string(rc, text.data(), &len);
  throw std::runtime_error(std::string("mpi: ") + call +
                           " failed: " + std::string(text.data(), static_cast<std::size_t>(len)));
}

void abort_job(int exit_code) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) MPI_Abort(MPI_COMM_WORLD, exit_code);
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  owns_ = true;
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_ && !finalized) MPI_Finalize();
}

std::string mpi_library_version() {
  std::vector<char> text(MPI_MAX_LIBRARY_VERSION_STRING);
  int len = 0;
  MPI_Get_library_version(text.data(), &len);
  std::string version(text.data(), static_cast<std::size_t>(len));
  if (const auto pos = version.find_first_of("\r\n,"); pos != std::string::npos) {
    version.resize(pos);
  }
  return version;
}

MpiBootstrap::MpiBootstrap(MPI_Comm parent) {
  check_mpi(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

MpiBootstrap::~MpiBootstrap() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiBootstrap::allgather(std::span<const std::byte> mine, std::span<std::byte> all) {
  if (all.size() != mine.size() * static_cast<std::size_t>(size_)) {
    throw std::invalid_argument("bootstrap allgather: output size must be size() * input size");
  }
  check_mpi(MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
                          static_cast<int>(mine.size()), MPI_BYTE, comm_),
            "MPI_Allgather");
}

void MpiBootstrap::broadcast(std::span<std::byte> data, int root) {
  check_mpi(MPI_Bcast(data.data(), static_cast<int>(data.size()), MPI_BYTE, root, comm_),
            "MPI_Bcast");
}

void MpiBootstrap::barrier() {
  check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
}

void MpiBootstrap::barrier_progressing(const std::function<void()>& progress) {
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(comm_, &req), "MPI_Ibarrier");
  int done = 0;
  while (!done) {
    progress();
    check_mpi(MPI_Test(&req, &done, MPI_STATUS_IGNORE), "MPI_Test(barrier)");
  }
}

std::unique_ptr<Bootstrap> MpiBootstrap::split(bool member) {
  MPI_Comm comm = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(comm_, member ? 0 : MPI_UNDEFINED, rank_, &comm), "MPI_Comm_split");
  if (!member) return nullptr;
  struct FreeComm {
    MPI_Comm& comm;
    ~FreeComm() { MPI_Comm_free(&comm); }
  } free_comm{comm};
  return std::make_unique<MpiBootstrap>(comm);
}

void MpiBootstrap::barrier_sleeping() {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(comm_, &request), "MPI_Ibarrier");
  int done = 0;
  while (true) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void MpiBootstrap::allreduce_max(std::span<double> values) {
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE,
                          MPI_MAX, comm_),
            "MPI_Allreduce(max)");
}

void MpiBootstrap::allreduce_sum(std::span<std::int64_t> values) {
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T,
                          MPI_SUM, comm_),
            "MPI_Allreduce(sum)");
}

namespace {
// Point-to-point messages of the bootstrap never meet its collectives (MPI keeps the two apart
// on one communicator); one tag for all of them keeps their order between a pair.
constexpr int kPointTag = 0x6662;
}  // namespace

void MpiBootstrap::send(std::span<const std::byte> data, int peer) {
  check_mpi(MPI_Send(data.data(), static_cast<int>(data.size()), MPI_BYTE, peer, kPointTag, comm_),
            "MPI_Send(bootstrap)");
}

void MpiBootstrap::receive(std::span<std::byte> data, int peer) {
  check_mpi(MPI_Recv(data.data(), static_cast<int>(data.size()), MPI_BYTE, peer, kPointTag, comm_,
                     MPI_STATUS_IGNORE),
            "MPI_Recv(bootstrap)");
}

}  // namespace fb
