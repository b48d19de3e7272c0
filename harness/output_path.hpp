// Where results go when --out is not given.
#pragma once

#include <string>

namespace fb {

// fabricbench-results/run-<UTC time>.h5 in the current directory, made unique with a
// numeric suffix if needed.
std::string default_output_path();

}  // namespace fb
