#include "harness/launch.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <span>
#include <vector>

#include "harness/already_reported.hpp"
#include "harness/cli/options.hpp"
#include "harness/signals.hpp"
#include "transports/mpi_bootstrap.hpp"

namespace fb {

std::string broadcast_string(Bootstrap& bootstrap, std::string text) {
  std::vector<std::byte> length(sizeof(std::uint64_t));
  std::uint64_t n = text.size();
  std::memcpy(length.data(), &n, sizeof n);
  bootstrap.broadcast(length, 0);
  std::memcpy(&n, length.data(), sizeof n);
  text.resize(n);
  bootstrap.broadcast(std::as_writable_bytes(std::span(text.data(), text.size())), 0);
  return text;
}

int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

// Every rank must have been started with the same options; a launch script that passes
// different arguments to different ranks would otherwise measure nonsense or hang.
int check_same_options(Bootstrap& bootstrap, int argc, char** argv) {
  std::string mine;
  for (int i = 1; i < argc; ++i) {
    mine += argv[i];
    mine += '\x1f';
  }
  const auto all = bootstrap.allgather_strings(mine);
  for (std::size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    if (bootstrap.rank() == 0) {
      auto shown = [](std::string s) {
        std::replace(s.begin(), s.end(), '\x1f', ' ');
        return s;
      };
      std::fprintf(
          stderr,
          "fabricbench: error: ranks were started with different options (rank 0: '%s', rank "
          "%zu: '%s')\n",
          shown(all[0]).c_str(), r, shown(all[r]).c_str());
    }
    return fb::kExitBadInput;
  }
  return fb::kExitOk;
}

int run_on_every_rank(int argc, char** argv,
                      const std::function<int(Bootstrap&, FaultReporter&)>& measure) {
  int rank = launcher_rank();
  try {
    MpiSession mpi(&argc, &argv);
    install_stop_handlers();
    int code = kExitOk;
    {
      MpiBootstrap bootstrap;
      rank = bootstrap.rank();
      code = check_same_options(bootstrap, argc, argv);
      if (code != kExitOk) return code;
      FaultReporter faults(bootstrap);
      code = measure(bootstrap, faults);
    }
    return code;
  } catch (const AlreadyReported&) {
    std::fflush(stderr);
    abort_job(kExitFailure);
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench: rank %d: error: %s\n", rank, e.what());
    std::fflush(stderr);
    // The other ranks may be blocked waiting for this one; end the whole job.
    abort_job(kExitFailure);
    return kExitFailure;
  }
}

}  // namespace fb
