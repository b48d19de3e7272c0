// `fabricbench model`: see docs/ANALYSIS.md.
#pragma once

namespace fb {

// Parses argv (argv[1] is "model") and runs the command; returns the process exit code.
int model_main(int argc, char** argv);

}  // namespace fb
