#include "harness/cli/report_main.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness/cli/options.hpp"

namespace fb {
namespace {

// The interpreter and the package folder, fixed at build time; the environment may override
// them (FABRICBENCH_PYTHON, FABRICBENCH_PYTHONPATH) for installs that moved.
std::string setting(const char* variable, const char* built_in) {
  const char* value = std::getenv(variable);
  return value != nullptr && value[0] != '\0' ? value : built_in;
}

// Imports the package inside the interpreter so that a missing package or a missing
// dependency (pandas, matplotlib, ...) is one line and exit code 2, like any bad input.
constexpr const char* kBootstrap =
    "import sys\n"
    "try:\n"
    "    from fabricbench.__main__ import main\n"
    "except ImportError as e:\n"
    "    sys.stderr.write('fabricbench: error: the Python package cannot be loaded (' + str(e) +\n"
    "                     '); run scripts/install-deps.sh\\n')\n"
    "    sys.exit(2)\n"
    "sys.exit(main(sys.argv[1:]))\n";

std::string self_path() {
  std::vector<char> buffer(4096);
  const ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

int python_command_main(int argc, char** argv) {
  std::string python = setting("FABRICBENCH_PYTHON", FB_PYTHON_EXECUTABLE);
  const std::string package_dir = setting("FABRICBENCH_PYTHONPATH", FB_PYTHON_SOURCE_DIR);
  const char* old_path = std::getenv("PYTHONPATH");
  const std::string path =
      old_path != nullptr && old_path[0] != '\0' ? package_dir + ":" + old_path : package_dir;
  // The verdict sections of the report run this same executable (qualify, compare, model).
  const std::string self = self_path();
  if (setenv("PYTHONPATH", path.c_str(), 1) != 0 ||
      (!self.empty() && setenv("FABRICBENCH_EXE", self.c_str(), 1) != 0)) {
    std::fprintf(stderr, "fabricbench: error: cannot set the environment: %s\n",
                 std::strerror(errno));
    return kExitFailure;
  }
  std::vector<char*> args;
  std::string dash_c = "-c";
  std::string code = kBootstrap;
  args.push_back(python.data());
  args.push_back(dash_c.data());
  args.push_back(code.data());
  for (int i = 1; i < argc; ++i)
    args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(python.c_str(), args.data());
  std::fprintf(stderr, "fabricbench: error: %s needs Python: cannot run %s: %s\n", argv[1],
               python.c_str(), std::strerror(errno));
  return kExitBadInput;
}

}  // namespace fb
