// A plain MPI reference for `fabricbench p2p --transport mpi`: ping-pong half round trip
// and a windowed bandwidth loop (the receiver acknowledges each window), written the way
// the OSU micro-benchmarks measure them, with nothing of fabricbench in the path.
// Usage: mpirun -n 2 fb_mpi_pingpong LAT_BYTES BW_BYTES ITERS WINDOW
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 5 || size != 2) {
    if (rank == 0)
      std::fprintf(stderr, "usage: mpirun -n 2 %s LAT_BYTES BW_BYTES ITERS WINDOW\n", argv[0]);
    MPI_Finalize();
    return 2;
  }
  const int lat_bytes = std::atoi(argv[1]);
  const int bw_bytes = std::atoi(argv[2]);
  const int iters = std::atoi(argv[3]);
  const int window = std::atoi(argv[4]);
  const int peer = 1 - rank;
  std::vector<char> buf(static_cast<std::size_t>(std::max(lat_bytes, bw_bytes)), 1);
  std::vector<char> rbuf(buf.size(), 0);
  char ack = 0;

  // Ping-pong: median half round trip.
  std::vector<double> half(static_cast<std::size_t>(iters));
  for (int i = -iters / 10; i < iters; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    if (rank == 0) {
      MPI_Send(buf.data(), lat_bytes, MPI_CHAR, peer, 1, MPI_COMM_WORLD);
      MPI_Recv(rbuf.data(), lat_bytes, MPI_CHAR, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(rbuf.data(), lat_bytes, MPI_CHAR, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf.data(), lat_bytes, MPI_CHAR, peer, 1, MPI_COMM_WORLD);
    }
    if (i >= 0) half[static_cast<std::size_t>(i)] = (MPI_Wtime() - t0) * 1e6 / 2;
  }
  std::sort(half.begin(), half.end());

  // Windowed bandwidth: rank 0 sends `window` messages, rank 1 acknowledges the window.
  std::vector<MPI_Request> reqs(static_cast<std::size_t>(window));
  std::vector<double> times(static_cast<std::size_t>(iters));
  for (int i = -iters / 10; i < iters; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    for (int w = 0; w < window; ++w) {
      if (rank == 0) {
        MPI_Isend(buf.data(), bw_bytes, MPI_CHAR, peer, 2, MPI_COMM_WORLD,
                  &reqs[static_cast<std::size_t>(w)]);
      } else {
        MPI_Irecv(rbuf.data(), bw_bytes, MPI_CHAR, peer, 2, MPI_COMM_WORLD,
                  &reqs[static_cast<std::size_t>(w)]);
      }
    }
    MPI_Waitall(window, reqs.data(), MPI_STATUSES_IGNORE);
    if (rank == 0) {
      MPI_Recv(&ack, 1, MPI_CHAR, peer, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Send(&ack, 1, MPI_CHAR, peer, 3, MPI_COMM_WORLD);
    }
    if (i >= 0) times[static_cast<std::size_t>(i)] = MPI_Wtime() - t0;
  }
  std::sort(times.begin(), times.end());
  if (rank == 0) {
    const double median_window = times[times.size() / 2];
    std::printf("mpi_pingpong latency_bytes %d median_half_rtt_us %.3f\n", lat_bytes,
                half[half.size() / 2]);
    std::printf("mpi_pingpong bandwidth_bytes %d window %d bw_GBps %.3f\n", bw_bytes, window,
                static_cast<double>(bw_bytes) * window / median_window / 1e9);
  }
  MPI_Finalize();
  return 0;
}
