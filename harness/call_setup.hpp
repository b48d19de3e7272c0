// How one collective call's buffers are laid out in the harness's two registered stores,
// for out-of-place and in-place calls (the in-place conventions are in CollArgs' comment).
#pragma once

#include <cstddef>
#include <span>

#include "collectives/algorithm.hpp"
#include "core/types.hpp"

namespace fb {

struct CallLayout {
  CollArgs args;                 // ready to run
  std::span<std::byte> input;    // where this rank's input goes (fill_send writes here)
  std::span<std::byte> output;   // where this rank's result appears (count_mismatches reads)
  std::size_t output_count = 0;  // elements of output
};

// `send_store` and `recv_store` must each hold the larger buffer of the call.
CallLayout layout_call(Collective collective, bool in_place, std::size_t count, DType dtype,
                       ReduceOp op, int root, int rank, int n_ranks, const Buffer& send_store,
                       const Buffer& recv_store);

}  // namespace fb
