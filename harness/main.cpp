// fabricbench entry point: parse (before the ranks connect), set up, run the sweep, report.
#include <cstdio>
#include <string_view>

#include "harness/cli/compare_main.hpp"
#include "harness/cli/model_main.hpp"
#include "harness/cli/options.hpp"
#include "harness/cli/qualify_main.hpp"
#include "harness/cli/report_main.hpp"
#include "harness/cli/topology_main.hpp"
#include "harness/launch.hpp"
#include "harness/p2p/p2p_main.hpp"
#include "harness/sweep.hpp"

int main(int argc, char** argv) {
  // The verdict commands read results files; compare, model, topology and qualify --from need
  // no MPI;
  // report and export are the Python package's.
  if (argc >= 2) {
    const std::string_view command = argv[1];
    if (command == "qualify") return fb::qualify_main(argc, argv);
    if (command == "compare") return fb::compare_main(argc, argv);
    if (command == "model") return fb::model_main(argc, argv);
    if (command == "topology") return fb::topology_main(argc, argv);
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
  return fb::run_on_every_rank(
      argc, argv, [&outcome](fb::Bootstrap& bootstrap, fb::FaultReporter& faults) {
        return outcome.p2p ? fb::run_p2p(*outcome.p2p, bootstrap, &faults)
                           : fb::run_sweep(*outcome.options, bootstrap, faults);
      });
}
