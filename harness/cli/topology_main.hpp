// `fabricbench topology DESCRIPTION`: reads a fabric description (YAML or slurm:PATH), checks
// it, and prints the model (docs/TOPOLOGY.md). No MPI.
#pragma once

namespace fb {

// Parses argv (argv[1] is "topology") and runs the command; returns the process exit code.
int topology_main(int argc, char** argv);

}  // namespace fb
