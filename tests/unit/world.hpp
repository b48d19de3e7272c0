// A whole job in one process, for tests of algorithms and anything else that needs ranks
// and a transport: run_world(n, body) runs body(bootstrap, transport) on n threads, one rank
// each, over a ThreadWorld bootstrap and a LoopbackTransport per rank sharing one hub, and
// rethrows the first exception any rank threw (the others' waits are aborted, so a failing
// rank ends the world instead of leaving its peers to their deadlines).
//
//   run_world(4, [](Bootstrap& boot, Transport& transport) {
//     AlgorithmContext ctx{boot, &transport, AlgorithmOptions{}};
//     auto ring = find_algorithm(Collective::allreduce, "ring")->create(ctx);
//     ...
//   });
#pragma once

#include <functional>
#include <vector>

#include "core/bootstrap.hpp"
#include "tests/unit/thread_bootstrap.hpp"
#include "transports/loopback_transport.hpp"

namespace fb {

using WorldBody = std::function<void(Bootstrap&, Transport&)>;

inline void run_world(int n_ranks, const WorldBody& body) {
  ThreadWorld world(n_ranks);
  LoopbackHub hub(n_ranks);
  world.on_abort([&hub] { hub.abort("another rank of the world failed"); });
  world.run([&](Bootstrap& bootstrap) {
    LoopbackTransport transport(hub, bootstrap.rank());
    body(bootstrap, transport);
  });
}

// The rank counts every algorithm is checked at: every count to 9 (powers of two and the
// folds around them), then 13 (an odd prime past 8) and 16.
inline std::vector<int> world_sizes() {
  return {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16};
}

}  // namespace fb
