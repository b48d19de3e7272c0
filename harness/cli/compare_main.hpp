// `fabricbench compare`: see docs/ANALYSIS.md.
#pragma once

namespace fb {

// Parses argv (argv[1] is "compare") and runs the command; returns the process exit code.
int compare_main(int argc, char** argv);

}  // namespace fb
