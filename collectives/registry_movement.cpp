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
      {Collective::broadcast, "binomial", true, true,
       "binomial tree from the root, pipelined chunks", make_binomial_broadcast},
      {Collective::broadcast, "chain", true, true, "chain root -> root+1 -> ..., pipelined chunks",
       make_chain_broadcast},
      {Collective::broadcast, "knomial", true, true,
       "k-nomial tree from the root, whole buffer per message (radix: knomial_radix)",
       make_knomial_broadcast},
      {Collective::broadcast, "scatter-allgather", true, true,
       "van de Geijn: binomial scatter + ring all-gather (large messages)",
       make_scatter_allgather_broadcast},
      {Collective::broadcast, "mpi", false, true, "MPI_Bcast (baseline)", make_mpi_broadcast},
      {Collective::reduce, "binomial", true, true,
       "binomial tree towards the root, pipelined chunks", make_binomial_reduce},
      {Collective::reduce, "chain", true, true, "chain ... -> root+1 -> root, pipelined chunks",
       make_chain_reduce},
      {Collective::reduce, "knomial", true, true,
       "k-nomial tree towards the root, whole buffer per message (radix: knomial_radix)",
       make_knomial_reduce},
      {Collective::reduce, "mpi", false, true, "MPI_Reduce (baseline)", make_mpi_reduce,
       mpi_can_reduce},
      {Collective::alltoall, "pairwise", true, false,
       "n-1 pairwise exchange steps, ring_slots steps in flight", make_pairwise_alltoall},
      {Collective::alltoall, "bruck", true, false,
       "Bruck: log2(n) rounds of packed blocks (small messages)", make_bruck_alltoall},
      {Collective::alltoall, "mpi", false, false, "MPI_Alltoall (baseline)", make_mpi_alltoall},
      {Collective::sendrecv, "ring", true, false, "ring shift: send to r+1, receive from r-1",
       make_ring_sendrecv},
      {Collective::sendrecv, "mpi", false, false, "MPI_Sendrecv ring shift (baseline)",
       make_mpi_sendrecv},
      nccl_entry(Collective::broadcast, true, "ncclBroadcast"),
      nccl_entry(Collective::reduce, true, "ncclReduce"),
      nccl_entry(Collective::alltoall, false, "ncclSend/ncclRecv to every rank"),
      nccl_entry(Collective::sendrecv, false, "ncclSend/ncclRecv ring shift"),
  };
}

}  // namespace fb
