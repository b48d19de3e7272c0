#include "harness/compare_main.hpp"

#include <cstdio>

#include "harness/options.hpp"

namespace fb {

int compare_main(int /*argc*/, char** /*argv*/) {
  std::fprintf(stderr, "fabricbench: error: compare is being built\n");
  return kExitFailure;
}

}  // namespace fb
