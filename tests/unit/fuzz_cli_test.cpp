// Seeded random command lines and sizes: the parsers never crash or throw, and every input
// they reject gets exactly one "fabricbench: error:" line and exit code 2. The seed is fixed
// so a failure reproduces; FB_FUZZ_ITERATIONS raises the count for longer local runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "harness/cli/options.hpp"
#include "harness/cli/size_parse.hpp"

namespace fb {
namespace {

int iterations() {
  const char* env = std::getenv("FB_FUZZ_ITERATIONS");  // NOLINT(concurrency-mt-unsafe)
  return env != nullptr ? std::max(1, std::atoi(env)) : 3000;
}

std::string random_token(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {"8",
                                                  "0",
                                                  "-1",
                                                  "64K",
                                                  "1M",
                                                  "16G",
                                                  "99999999999999999999",
                                                  "1e3",
                                                  "0.5",
                                                  "nan",
                                                  "inf",
                                                  "all",
                                                  "auto",
                                                  "ring",
                                                  "tree",
                                                  "mpi",
                                                  "ucx",
                                                  "verbs",
                                                  "allreduce",
                                                  "all_gather",
                                                  "float16",
                                                  "int8",
                                                  "sum",
                                                  "avg",
                                                  "latency",
                                                  "matrix",
                                                  "in-place",
                                                  "both",
                                                  "400Gb",
                                                  "50GB",
                                                  ",",
                                                  ",,",
                                                  "",
                                                  " ",
                                                  "\t",
                                                  "--",
                                                  "=",
                                                  "K",
                                                  "\xff\xfe",
                                                  "\xc3\xa9",
                                                  std::string(300, 'x')};
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::string token = pieces[pick(rng)];
  if (rng() % 4 == 0) token += pieces[pick(rng)];
  if (rng() % 8 == 0) token.push_back(static_cast<char>(rng() % 256));
  return token;
}

TEST(Fuzz, CommandLinesNeverCrashAndRejectionsAreOneLine) {
  static const std::vector<std::string> options = {"--collective",
                                                   "--algorithm",
                                                   "--transport",
                                                   "-b",
                                                   "-e",
                                                   "-f",
                                                   "-n",
                                                   "-w",
                                                   "--dtype",
                                                   "--op",
                                                   "--check",
                                                   "--out",
                                                   "--timeout",
                                                   "--root",
                                                   "--placement",
                                                   "--ring-segment",
                                                   "--ring-slots",
                                                   "--tree-chunk",
                                                   "--tree-slots",
                                                   "--hd-segment",
                                                   "--hd-slots",
                                                   "--pairwise-window",
                                                   "--progress",
                                                   "--test",
                                                   "--window",
                                                   "--line-rate",
                                                   "--matrix-threshold",
                                                   "--matrix-bandwidth-size",
                                                   "--debug-delay-rank",
                                                   "--bogus",
                                                   "-x"};
  std::mt19937_64 rng(20261121);
  int rejected = 0;
  for (int i = 0; i < iterations(); ++i) {
    std::vector<std::string> args{"fabricbench"};
    if (rng() % 10 != 0) args.emplace_back(rng() % 2 == 0 ? "run" : "p2p");
    const int n = static_cast<int>(rng() % 7);
    for (int k = 0; k < n; ++k) {
      args.push_back(rng() % 3 == 0 ? random_token(rng) : options[rng() % options.size()]);
      if (rng() % 3 != 0) args.push_back(random_token(rng));
    }
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    ParseOutcome out;
    ASSERT_NO_THROW(out = parse_command_line(static_cast<int>(argv.size()), argv.data())) << i;
    if (out.options || out.p2p) continue;
    if (out.exit_code == kExitOk) continue;  // --help
    ++rejected;
    ASSERT_EQ(out.exit_code, kExitBadInput) << i;
    ASSERT_EQ(out.message.find('\n'), std::string::npos) << out.message;
    ASSERT_EQ(out.message.rfind("fabricbench: error: ", 0), 0U) << out.message;
  }
  EXPECT_GT(rejected, iterations() / 4) << "the generator should mostly produce bad input";
}

TEST(Fuzz, SizesNeverCrash) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < iterations() * 10; ++i) {
    std::string text;
    const int len = static_cast<int>(rng() % 24);
    for (int k = 0; k < len; ++k)
      text.push_back("0123456789KMGkmgBiB.-+ x"[rng() % 24]);
    std::string error;
    const auto value = parse_size(text, &error);
    if (value) {
      EXPECT_GT(*value, 0U) << text;
    } else {
      EXPECT_FALSE(error.empty()) << text;
    }
  }
}

}  // namespace
}  // namespace fb
