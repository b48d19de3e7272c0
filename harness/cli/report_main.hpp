// `fabricbench report` and `fabricbench export`: handed to the Python package (python/fabricbench).
#pragma once

namespace fb {

// Replaces the process with `python3 -m fabricbench <argv[1]> ...` (argv[1] is "report" or
// "export"), the package found in the source tree this binary was built from. Returns only
// when that cannot start: one error line on stderr, kExitBadInput.
int python_command_main(int argc, char** argv);

}  // namespace fb
