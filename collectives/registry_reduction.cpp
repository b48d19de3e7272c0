// Registry lines for all-reduce, reduce-scatter and all-gather.
#include "collectives/bruck_allgather.hpp"
#include "collectives/halving_doubling.hpp"
#include "collectives/hierarchical.hpp"
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
      {.collective = Collective::allreduce,
       .name = "ring",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "ring reduce-scatter + all-gather, pipelined segments",
       .create = make_ring_allreduce},
      {.collective = Collective::allreduce,
       .name = "tree",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "double binary tree, pipelined reduce up / broadcast down",
       .create = make_tree_allreduce},
      {.collective = Collective::allreduce,
       .name = "hierarchical",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "reduce-scatter inside each host, ring all-reduce across hosts per "
                      "local rank (one rail each), all-gather inside each host",
       .create = make_hierarchical_allreduce},
      {.collective = Collective::allreduce,
       .name = "halving-doubling",
       .uses_transport = true,
       .supports_in_place = true,
       .description =
           "Rabenseifner: recursive halving reduce-scatter + recursive doubling all-gather",
       .create = make_halving_doubling_allreduce},
      {.collective = Collective::allreduce,
       .name = "recursive-doubling",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "recursive doubling: log2(n) exchanges of the whole vector (small messages)",
       .create = make_recursive_doubling_allreduce},
      {.collective = Collective::allreduce,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = true,
       .description = "MPI_Allreduce (baseline)",
       .create = make_mpi_allreduce,
       .supports = mpi_can_reduce},
      {.collective = Collective::reducescatter,
       .name = "ring",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "ring reduce-scatter, pipelined segments",
       .create = make_ring_reducescatter},
      {.collective = Collective::reducescatter,
       .name = "hierarchical",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "reduce-scatter inside each host, then across hosts per local rank "
                      "(one rail each)",
       .create = make_hierarchical_reducescatter},
      {.collective = Collective::reducescatter,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = false,
       .description = "MPI_Reduce_scatter_block (baseline)",
       .create = make_mpi_reducescatter,
       .supports = mpi_can_reduce},
      {.collective = Collective::allgather,
       .name = "ring",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "ring all-gather, pipelined segments",
       .create = make_ring_allgather},
      {.collective = Collective::allgather,
       .name = "hierarchical",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "all-gather across hosts per local rank (one rail each), then inside "
                      "each host",
       .create = make_hierarchical_allgather},
      {.collective = Collective::allgather,
       .name = "recursive-doubling",
       .uses_transport = true,
       .supports_in_place = true,
       .description =
           "recursive doubling: log2(n) exchanges of everything gathered so far (small messages)",
       .create = make_recursive_doubling_allgather},
      {.collective = Collective::allgather,
       .name = "bruck",
       .uses_transport = true,
       .supports_in_place = true,
       .description = "Bruck: ceil(log2 n) steps for any rank count (small messages)",
       .create = make_bruck_allgather},
      {.collective = Collective::allgather,
       .name = "mpi",
       .uses_transport = false,
       .supports_in_place = true,
       .description = "MPI_Allgather (baseline)",
       .create = make_mpi_allgather},
      nccl_entry(Collective::allreduce, true, "ncclAllReduce"),
      nccl_entry(Collective::reducescatter, true, "ncclReduceScatter"),
      nccl_entry(Collective::allgather, true, "ncclAllGather"),
  };
}

}  // namespace fb
