// fabricbench entry point: parse (before MPI starts), set up, run the sweep, report.
#include <cstdio>
#include <exception>
#include <string_view>

#include "harness/compare_main.hpp"
#include "harness/model_main.hpp"
#include "harness/options.hpp"
#include "harness/p2p_main.hpp"
#include "harness/qualify_main.hpp"
#include "harness/report_main.hpp"
#include "harness/signals.hpp"
#include "harness/sweep.hpp"
#include "transports/mpi_bootstrap.hpp"

int main(int argc, char** argv) {
  // The verdict commands read results files; compare, model and qualify --from need no MPI;
  // report and export are the Python package's.
  if (argc >= 2) {
    const std::string_view command = argv[1];
    if (command == "qualify") return fb::qualify_main(argc, argv);
    if (command == "compare") return fb::compare_main(argc, argv);
    if (command == "model") return fb::model_main(argc, argv);
    if (command == "report") return fb::python_command_main(argc, argv);
    if (command == "export") return fb::python_command_main(argc, argv);
  }
  const auto outcome = fb::parse_command_line(argc, argv);
  if (!outcome.options && !outcome.p2p) {
    if (fb::launcher_rank() == 0 && !outcome.message.empty()) {
      std::fprintf(outcome.exit_code == 0 ? stdout : stderr, "%s\n", outcome.message.c_str());
    }
    return outcome.exit_code;
  }
  int rank = fb::launcher_rank();
  try {
    fb::MpiSession mpi(&argc, &argv);
    fb::install_stop_handlers();
    int code = 0;
    {
      fb::MpiBootstrap bootstrap;
      rank = bootstrap.rank();
      code = fb::check_same_options(bootstrap, argc, argv);
      if (code != fb::kExitOk) return code;
      fb::FaultReporter faults(bootstrap);
      code = outcome.p2p ? fb::run_p2p(*outcome.p2p, bootstrap, &faults)
                         : fb::run_sweep(*outcome.options, bootstrap, faults);
    }
    return code;
  } catch (const std::exception& e) {
    if (e.what()[0] != '\0')
      std::fprintf(stderr, "fabricbench: rank %d: error: %s\n", rank, e.what());
    std::fflush(stderr);
    // The other ranks may be blocked waiting for this one; end the whole job.
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) MPI_Abort(MPI_COMM_WORLD, fb::kExitFailure);
    return fb::kExitFailure;
  }
}
