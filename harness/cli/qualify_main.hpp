// `fabricbench qualify`: see docs/ANALYSIS.md.
#pragma once

namespace fb {

// Parses argv (argv[1] is "qualify") and runs the command; returns the process exit code.
int qualify_main(int argc, char** argv);

}  // namespace fb
