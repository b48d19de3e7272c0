#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/options.hpp"
#include "harness/plan.hpp"

namespace fb {
namespace {

ParseOutcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fabricbench");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, DefaultsAreTheDocumentedSweep) {
  const auto out = parse({"run"});
  ASSERT_TRUE(out.options) << out.message;
  const auto& o = *out.options;
  EXPECT_EQ(o.collectives, std::vector<Collective>{Collective::allreduce});
  EXPECT_EQ(o.algorithms, (std::vector<std::string>{"ring", "tree", "mpi"}));
  EXPECT_EQ(o.transports, (std::vector<std::string>{"ucx", "mpi"}));
  EXPECT_EQ(o.dtypes, std::vector<DType>{DType::float32});
  EXPECT_EQ(o.min_bytes, 8U);
  EXPECT_EQ(o.max_bytes, 64U << 20);
  EXPECT_FALSE(o.check);
  const auto sizes = sweep_sizes(o);
  EXPECT_EQ(sizes.size(), 24U);
  EXPECT_EQ(sizes.front(), 8U);
  EXPECT_EQ(sizes.back(), 64U << 20);
  // ring and tree over two transports, plus the baseline once.
  const auto plan = plan_series(o);
  ASSERT_EQ(plan.size(), 5U);
  EXPECT_EQ(plan[0].name(), "allreduce.ring.ucx.float32.sum");
  EXPECT_EQ(plan[4].name(), "allreduce.mpi.none.float32.sum");
}

TEST(Options, ParsesEveryOption) {
  const auto out = parse({"run",
                          "--collective",
                          "all_reduce",
                          "--algorithm",
                          "tree,mpi",
                          "--transport",
                          "mpi",
                          "-b",
                          "1K",
                          "-e",
                          "1M",
                          "-f",
                          "4",
                          "-n",
                          "7",
                          "-w",
                          "0",
                          "--dtype",
                          "float64,float32",
                          "--check",
                          "--out",
                          "x.h5",
                          "--timeout",
                          "2.5"});
  ASSERT_TRUE(out.options) << out.message;
  const auto& o = *out.options;
  EXPECT_EQ(o.algorithms, (std::vector<std::string>{"tree", "mpi"}));
  EXPECT_EQ(o.dtypes, (std::vector<DType>{DType::float64, DType::float32}));
  EXPECT_EQ(o.min_bytes, 1024U);
  EXPECT_EQ(o.max_bytes, 1U << 20);
  EXPECT_EQ(o.step_factor, 4U);
  EXPECT_EQ(o.iters, 7);
  EXPECT_EQ(o.warmup, 0);
  EXPECT_TRUE(o.check);
  EXPECT_EQ(o.out, "x.h5");
  EXPECT_DOUBLE_EQ(o.timeout_s, 2.5);
  EXPECT_EQ(o.algorithm.timeout.count(), 2500);
  EXPECT_EQ(sweep_sizes(o),
            (std::vector<std::uint64_t>{1024, 4096, 16384, 65536, 262144, 1048576}));
  EXPECT_EQ(plan_series(o).size(), 3U * 2U - 2U);  // tree over mpi x 2 dtypes + baseline x 2
}

TEST(Options, SweepStopsAtMaxWithoutOverflow) {
  RunOptions o;
  o.min_bytes = 3;
  o.max_bytes = 100;
  o.step_factor = 3;
  EXPECT_EQ(sweep_sizes(o), (std::vector<std::uint64_t>{3, 9, 27, 81}));
  o.min_bytes = o.max_bytes = ~0ULL;
  EXPECT_EQ(sweep_sizes(o).size(), 1U);
}

struct BadCase {
  std::vector<std::string> args;
  std::string expect;  // a piece of the error line
};

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, OneLineAndExitCode2) {
  auto args = GetParam().args;
  args.insert(args.begin(), "run");
  const auto out = parse(args);
  EXPECT_FALSE(out.options);
  EXPECT_EQ(out.exit_code, kExitBadInput);
  EXPECT_EQ(out.message.find('\n'), std::string::npos) << out.message;
  EXPECT_NE(out.message.find(GetParam().expect), std::string::npos) << out.message;
  EXPECT_EQ(out.message.rfind("fabricbench: error: ", 0), 0U) << out.message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInput,
    ::testing::Values(BadCase{{"--collective", "allgatherx"}, "unknown collective 'allgatherx'"},
                      BadCase{{"--algorithm", "ring,bogus"}, "unknown algorithm 'bogus'"},
                      BadCase{{"--transport", "verbz"}, "unknown transport 'verbz'"},
                      BadCase{{"--dtype", "int7"}, "unknown dtype 'int7'"},
                      BadCase{{"--op", "xor"}, "unknown op 'xor'"},
                      BadCase{{"-b", "1M", "-e", "1K"}, "larger than --max-bytes"},
                      BadCase{{"-b", "0"}, "greater than zero"}, BadCase{{"-e", "-4K"}, "negative"},
                      BadCase{{"-b", "lots"}, "not a number"},
                      BadCase{{"-f", "1"}, "--step-factor"},
                      BadCase{{"-f", "1.5"}, "--step-factor"}, BadCase{{"-n", "0"}, "--iters"},
                      BadCase{{"-n", "ten"}, "--iters"}, BadCase{{"-w", "-1"}, "--warmup"},
                      BadCase{{"--timeout", "0"}, "--timeout"},
                      BadCase{{"--algorithm", ""}, "empty"},
                      BadCase{{"--algorithm", "ring,,tree"}, "empty name"},
                      BadCase{{"-b", "2"}, "smaller than one float32 element"},
                      BadCase{{"--ring-slots", "1"}, "--ring-slots"},
                      BadCase{{"--progress", "sometimes"}, "--progress"},
                      BadCase{{"--no-such-flag"}, "--no-such-flag"}));

TEST(Options, MissingSubcommandIsAnError) {
  const auto out = parse({});
  EXPECT_FALSE(out.options);
  EXPECT_EQ(out.exit_code, kExitBadInput);
}

TEST(Options, HelpExitsZeroWithText) {
  const auto out = parse({"run", "--help"});
  EXPECT_FALSE(out.options);
  EXPECT_EQ(out.exit_code, kExitOk);
  EXPECT_NE(out.message.find("--min-bytes"), std::string::npos);
}

}  // namespace
}  // namespace fb
