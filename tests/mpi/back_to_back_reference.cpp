// The anchors' measurement written out plainly, to hold `--timing back-to-back` against:
// MPI_Allreduce on float32 (sum, out of place), `warmup` untimed calls, then a barrier, `iters`
// calls back to back, a barrier; each rank's time / iters, averaged over ranks (what
// osu_allreduce reports). Usage: back_to_back_reference SIZE_BYTES ITERS WARMUP. Rank 0 prints
// the time per call in microseconds.
//
// MPI starts at the thread level fabricbench asks for (MPI_THREAD_FUNNELED: it has helper
// threads that never call MPI), because that level alone changes the library's per-call cost:
// Open MPI 4.1 with UCX takes about 0.7 us per 8 B MPI_Allreduce on 2 ranks at FUNNELED and
// about 0.45 us at MPI_Init's default. The comparison is of the timing, not of the init.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SIZE_BYTES ITERS WARMUP\n", argv[0]);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const auto count = static_cast<int>(std::strtoull(argv[1], nullptr, 10) / sizeof(float));
  const long iters = std::strtol(argv[2], nullptr, 10);
  const long warmup = std::strtol(argv[3], nullptr, 10);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<float> send(static_cast<std::size_t>(count), 1.0F);
  std::vector<float> recv(static_cast<std::size_t>(count), 0.0F);
  for (long i = 0; i < warmup; ++i)
    MPI_Allreduce(send.data(), recv.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iters; ++i)
    MPI_Allreduce(send.data(), recv.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  const auto t1 = std::chrono::steady_clock::now();
  MPI_Barrier(MPI_COMM_WORLD);
  double per_call_us =
      std::chrono::duration<double, std::micro>(t1 - t0).count() / static_cast<double>(iters);
  double sum_us = 0;
  MPI_Reduce(&per_call_us, &sum_us, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%.6f\n", sum_us / size);
  MPI_Finalize();
  return 0;
}
