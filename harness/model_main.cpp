#include "harness/model_main.hpp"

#include <cstdio>

#include "harness/options.hpp"

namespace fb {

int model_main(int /*argc*/, char** /*argv*/) {
  std::fprintf(stderr, "fabricbench: error: model is being built\n");
  return kExitFailure;
}

}  // namespace fb
