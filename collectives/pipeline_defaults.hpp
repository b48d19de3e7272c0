// Pipeline parameters that follow the path. `--ring-segment`, `--ring-slots`, `--tree-chunk`
// and `--tree-slots` default to `auto`: each algorithm then runs with the values for the path
// its transport reports (TransportPath), and the series records which path that was and which
// values were given on the command line instead.
//
//   path            ring segment x slots   tree chunk x slots   why
//   shared memory   256 KiB x 2            256 KiB x 4          tuned on one host: a segment
//                                                               stays in L2 while it is reduced
//   network         256 KiB x 4            256 KiB x 4          1 MiB in flight per link covers
//                                                               bandwidth x round trip of RDMA
//                                                               fabrics (400 Gb/s x 20 us)
//   unknown         as shared memory
//
// Over TCP the UCX transport also switches UCX to its eager protocol (transports/
// ucx_transport.hpp): that, not the window, is what lets a TCP link run at its rate; with it,
// 256 KiB x 2 to 1 MiB x 8 measured within noise on the emulated fabric (docs/PERFORMANCE.md).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "collectives/algorithm.hpp"

namespace fb {

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
