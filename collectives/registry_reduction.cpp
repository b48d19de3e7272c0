// Registry lines for all-reduce, reduce-scatter and all-gather.
#include "collectives/bruck_allgather.hpp"
#include "collectives/halving_doubling.hpp"
#include "collectives/mpi_baseline.hpp"
#include "collectives/mpi_types.hpp"
#include "collectives/nccl_baseline.hpp"
#include "collectives/recursive_doubling.hpp"
#include "collectives/registry.hpp"
#include "collectives/ring.hpp"
#include "collectives/tree_allreduce.hpp"

namespace fb {

std::vector<AlgorithmEntry> reduction_family_algorithms() {
  return {
      {Collective::allreduce, "ring", true, true,
       "ring reduce-scatter + all-gather, pipelined segments", make_ring_allreduce},
      {Collective::allreduce, "tree", true, true,
       "double binary tree, pipelined reduce up / broadcast down", make_tree_allreduce},
      {Collective::allreduce, "halving-doubling", true, true,
       "Rabenseifner: recursive halving reduce-scatter + recursive doubling all-gather",
       make_halving_doubling_allreduce},
      {Collective::allreduce, "recursive-doubling", true, true,
       "recursive doubling: log2(n) exchanges of the whole vector (small messages)",
       make_recursive_doubling_allreduce},
      {Collective::allreduce, "mpi", false, true, "MPI_Allreduce (baseline)", make_mpi_allreduce,
       mpi_can_reduce},
      {Collective::reducescatter, "ring", true, true, "ring reduce-scatter, pipelined segments",
       make_ring_reducescatter},
      {Collective::reducescatter, "mpi", false, false, "MPI_Reduce_scatter_block (baseline)",
       make_mpi_reducescatter, mpi_can_reduce},
      {Collective::allgather, "ring", true, true, "ring all-gather, pipelined segments",
       make_ring_allgather},
      {Collective::allgather, "recursive-doubling", true, true,
       "recursive doubling: log2(n) exchanges of everything gathered so far (small messages)",
       make_recursive_doubling_allgather},
      {Collective::allgather, "bruck", true, true,
       "Bruck: ceil(log2 n) steps for any rank count (small messages)", make_bruck_allgather},
      {Collective::allgather, "mpi", false, true, "MPI_Allgather (baseline)", make_mpi_allgather},
      nccl_entry(Collective::allreduce, true, "ncclAllReduce"),
      nccl_entry(Collective::reducescatter, true, "ncclReduceScatter"),
      nccl_entry(Collective::allgather, true, "ncclAllGather"),
  };
}

}  // namespace fb
