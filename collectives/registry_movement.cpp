// Registry lines for broadcast, reduce, all-to-all and sendrecv.
#include "collectives/alltoall.hpp"
#include "collectives/broadcast.hpp"
#include "collectives/knomial.hpp"
#include "collectives/mpi_baseline_movement.hpp"
#include "collectives/mpi_types.hpp"
#include "collectives/nccl_baseline.hpp"
#include "collectives/reduce.hpp"
#include "collectives/registry.hpp"
#include "collectives/scatter_allgather.hpp"
#include "collectives/sendrecv.hpp"

namespace fb {

std::vector<AlgorithmEntry> movement_family_algorithms() {
  return {
      {.collective = Collective::broadcast,
       .name = "binomial",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "binomial tree from the root, pipelined chunks",
       .create = make_binomial_broadcast},
      {.collective = Collective::broadcast,
       .name = "chain",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "chain root -> root+1 -> ..., pipelined chunks",
       .create = make_chain_broadcast},
      {.collective = Collective::broadcast,
       .name = "knomial",
       .uses_transport = true,
       .supports_in_place = true,
       .description =
           "k-nomial tree from the root, whole buffer per message (radix: knomial_radix)",
       .create = make_knomial_broadcast},
      {.collective = Collective::broadcast,
       .name = "scatter-allgather",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "van de Geijn: binomial scatter + ring all-gather (large messages)",
       .create = make_scatter_allgather_broadcast},
      {.collective = Collective::broadcast,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = true,
       .description = "MPI_Bcast (baseline)",
       .create = make_mpi_broadcast},
      {.collective = Collective::reduce,
       .name = "binomial",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "binomial tree towards the root, pipelined chunks",
       .create = make_binomial_reduce},
      {.collective = Collective::reduce,
       .name = "chain",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "chain ... -> root+1 -> root, pipelined chunks",
       .create = make_chain_reduce},
      {.collective = Collective::reduce,
       .name = "knomial",
       .uses_transport = true,
       .supports_in_place = true,
       .description =
           "k-nomial tree towards the root, whole buffer per message (radix: knomial_radix)",
       .create = make_knomial_reduce},
      {.collective = Collective::reduce,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = true,
       .description = "MPI_Reduce (baseline)",
       .create = make_mpi_reduce,
       .supports = mpi_can_reduce},
      {.collective = Collective::alltoall,
       .name = "pairwise",
       .uses_transport = true,
       .supports_in_place = false,
       .description = "n-1 pairwise exchange steps, pairwise_window steps in flight",
       .create = make_pairwise_alltoall},
      {.collective = Collective::alltoall,
       .name = "bruck",
       .uses_transport = true,
       .supports_in_place = false,
       .description = "Bruck: log2(n) rounds of packed blocks (small messages)",
       .create = make_bruck_alltoall},
      {.collective = Collective::alltoall,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = false,
       .description = "MPI_Alltoall (baseline)",
       .create = make_mpi_alltoall},
      {.collective = Collective::sendrecv,
       .name = "ring",
       .uses_transport = true,
       .supports_in_place = false,
       .description = "ring shift: send to r+1, receive from r-1",
       .create = make_ring_sendrecv},
      {.collective = Collective::sendrecv,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = false,
       .description = "MPI_Sendrecv ring shift (baseline)",
       .create = make_mpi_sendrecv},
      nccl_entry(Collective::broadcast, true, "ncclBroadcast"),
      nccl_entry(Collective::reduce, true, "ncclReduce"),
      nccl_entry(Collective::alltoall, false, "ncclSend/ncclRecv to every rank"),
      nccl_entry(Collective::sendrecv, false, "ncclSend/ncclRecv ring shift"),
  };
}

}  // namespace fb
