#include "harness/qualify_main.hpp"

#include <cstdio>

#include "harness/options.hpp"

namespace fb {

int qualify_main(int /*argc*/, char** /*argv*/) {
  std::fprintf(stderr, "fabricbench: error: qualify is being built\n");
  return kExitFailure;
}

}  // namespace fb
