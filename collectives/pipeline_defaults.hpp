// Pipeline parameters that follow the path. Every option of pipeline_options() defaults to
// `auto`: each algorithm then runs with the values for the path its transport reports
// (TransportPath), and the series records which path that was and which values were given
// on the command line instead.
//
//   path            ring / halving-doubling     tree chunk x slots   pairwise   why
//                   segment x slots                                  window
//   shared memory   256 KiB x 2                 256 KiB x 4          2          tuned on one host:
//   a
//                                                                               segment stays in L2
//                                                                               while it is reduced
//   network         256 KiB x 4                 256 KiB x 4          4          1 MiB in flight per
//                                                                               link covers
//                                                                               bandwidth x round
//                                                                               trip of RDMA
//                                                                               fabrics (400 Gb/s x
//                                                                               20 us)
//   unknown         as shared memory
//
// Over TCP the UCX transport also switches UCX to its eager protocol (transports/
// ucx_transport.hpp): that, not the window, is what lets a TCP link run at its rate; with it,
// 256 KiB x 2 to 1 MiB x 8 measured within noise on the emulated fabric (docs/PERFORMANCE.md).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "collectives/algorithm.hpp"

namespace fb {

// One pipelining option: its flag, the field it sets, its bounds and its defaults by path.
struct PipelineOption {
  const char* flag;                  // "--ring-segment"
  Tunable AlgorithmOptions::*field;  // the value it sets
  bool bytes;                        // a size (K/M/G suffixes) rather than a count
  std::size_t min;                   // smallest value accepted
  std::size_t shared_memory;         // auto over shared memory, and over a path not reported
  std::size_t network;               // auto over a network path
  const char* help;                  // what it governs, for --help
};

// Every pipelining option, in the order the command line lists them.
std::span<const PipelineOption> pipeline_options();

// The options an algorithm runs with: those marked auto taken from `path`, the rest kept.
AlgorithmOptions resolve_pipeline(const AlgorithmOptions& requested, const TransportPath& path);

// How the values of `requested` resolved over `path` were chosen, in words, e.g.
// "auto for a network path (tcp; eager protocol over tcp)" or
// "--ring-segment and --ring-slots as given; the others auto for a shared-memory path (posix)".
// Options not marked auto count as given.
std::string pipeline_origin(const AlgorithmOptions& requested, const TransportPath& path);

using AlgorithmFactory = std::function<std::unique_ptr<Algorithm>(const AlgorithmContext&)>;

// Wraps the factory of an algorithm that runs over a transport: the algorithm is built with
// resolve_pipeline's options for its transport's path, and reports pipeline_origin.
AlgorithmFactory with_path_pipeline(AlgorithmFactory create);

}  // namespace fb
