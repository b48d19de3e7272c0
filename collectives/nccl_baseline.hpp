// NCCL baselines: every collective through NCCL on device buffers, one GPU per rank. The
// communicator (gpu::NcclComm) and the stream come from the harness in AlgorithmContext; a
// call launches on that stream between two CUDA events and waits for it with the deadline
// (--timeout), so the host never blocks in NCCL and a hang becomes an NcclTimeoutError
// after ncclCommAbort. The time recorded is the events' (device_time_us).
#pragma once

#include <memory>

#include "collectives/algorithm.hpp"
#include "collectives/registry.hpp"

namespace fb {

std::unique_ptr<Algorithm> make_nccl(Collective collective, const AlgorithmContext& ctx);

// The registry line of the NCCL baseline of `collective` (device_only). Every dtype and op
// but floating-point avg: NCCL scales each input by 1/n before summing, which rounds
// differently from the sum-then-divide that exact validation checks.
AlgorithmEntry nccl_entry(Collective collective, bool in_place, const char* call);

}  // namespace fb
