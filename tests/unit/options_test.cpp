#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "collectives/registry.hpp"
#include "harness/cli/choice.hpp"
#include "harness/cli/options.hpp"
#include "harness/plan.hpp"
#include "transports/registry.hpp"

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
  const auto plan = plan_series(o, 4);
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
  EXPECT_EQ(plan_series(o, 2).size(), 3U * 2U - 2U);  // tree over mpi x 2 dtypes + baseline x 2
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

void PrintTo(const BadCase& c, std::ostream* os) {
  for (const auto& arg : c.args)
    *os << arg << ' ';
  *os << "-> " << c.expect;
}

class BadInput : public ::testing::TestWithParam<BadCase> {};

// "<index>_<the arguments in letters and digits>", e.g. 3_dtype_int7: the index keeps
// names unique where arguments differ only in punctuation ("--root -1").
std::string bad_case_name(const ::testing::TestParamInfo<BadCase>& info) {
  std::string name = std::to_string(info.index);
  for (const auto& arg : info.param.args) {
    for (const char ch : arg) {
      const bool word = std::isalnum(static_cast<unsigned char>(ch)) != 0;
      if (word) {
        name += ch;
      } else if (name.back() != '_') {
        name += '_';
      }
    }
    if (name.back() != '_') name += '_';
  }
  while (name.back() == '_')
    name.pop_back();
  return name;
}

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
                      BadCase{{"--placement", "sideways"}, "--placement"},
                      BadCase{{"--root", "-1"}, "--root"}, BadCase{{"--root", "first"}, "--root"},
                      BadCase{{"--debug-corrupt", "x"}, "--debug-corrupt"},
                      BadCase{{"--no-such-flag"}, "--no-such-flag"}),
    bad_case_name);

std::vector<std::string> names(const std::vector<SeriesPlan>& plan) {
  std::vector<std::string> out;
  for (const auto& s : plan)
    out.push_back(s.name());
  return out;
}

TEST(Plan, AllExpandsToEveryApplicableCombinationAndSkipsTheRest) {
  const auto out = parse({"run", "--collective", "all", "--algorithm", "all", "--transport", "ucx",
                          "--dtype", "float16", "--op", "avg"});
  ASSERT_TRUE(out.options) << out.message;
  const auto plan = plan_series(*out.options, 4);
  const auto n = names(plan);
  auto has = [&](const std::string& name) {
    return std::find(n.begin(), n.end(), name) != n.end();
  };
  EXPECT_TRUE(has("allreduce.ring.ucx.float16.avg"));
  EXPECT_TRUE(has("allreduce.halving-doubling.ucx.float16.avg"));
  EXPECT_TRUE(has("broadcast.binomial.ucx.float16.none.root0"));
  EXPECT_TRUE(has("alltoall.bruck.ucx.float16.none"));
  EXPECT_TRUE(has("sendrecv.mpi.none.float16.none"));   // moving half floats is fine for MPI
  EXPECT_FALSE(has("allreduce.mpi.none.float16.avg"));  // MPI cannot reduce them: skipped
  for (const auto& s : plan)
    EXPECT_TRUE(s.algorithm.handles(s.dtype, s.op)) << s.name();
}

TEST(Plan, ExplicitInapplicableCombinationsAreErrors) {
  auto plan_of = [](std::vector<std::string> args) {
    args.insert(args.begin(), "run");
    const auto out = parse(args);
    EXPECT_TRUE(out.options) << out.message;
    return plan_series(*out.options, 4);
  };
  EXPECT_THROW(plan_of({"--collective", "allgather", "--algorithm", "tree"}), PlanError);
  EXPECT_THROW(plan_of({"--algorithm", "mpi", "--dtype", "bfloat16"}), PlanError);
  EXPECT_THROW(plan_of({"--algorithm", "mpi", "--op", "avg"}), PlanError);
  EXPECT_THROW(
      plan_of({"--collective", "alltoall", "--algorithm", "pairwise", "--placement", "in-place"}),
      PlanError);
  EXPECT_THROW(plan_of({"--collective", "broadcast", "--algorithm", "chain", "--root", "4"}),
               PlanError);
  try {
    plan_of({"--collective", "allgather", "--algorithm", "tree"});
  } catch (const PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("'tree' does not implement allgather"), std::string::npos)
        << e.what();
  }
  // ... but the same names are fine where they apply.
  EXPECT_EQ(
      plan_of({"--collective", "allgather", "--algorithm", "ring", "--transport", "ucx"}).size(),
      1U);
}

TEST(Plan, RootsPlacementsAndAuto) {
  const auto out = parse({"run", "--collective", "broadcast", "--algorithm", "auto,mpi",
                          "--transport", "mpi", "--root", "all", "--placement", "both"});
  ASSERT_TRUE(out.options) << out.message;
  const auto plan = plan_series(*out.options, 3);
  EXPECT_EQ(plan.size(), 2U * 3U * 2U);  // 2 algorithms x 3 roots x 2 placements
  const auto n = names(plan);
  EXPECT_NE(std::find(n.begin(), n.end(), "broadcast.auto.mpi.float32.none.inplace.root2"),
            n.end());
  EXPECT_NE(std::find(n.begin(), n.end(), "broadcast.mpi.none.float32.none.root1"), n.end());
}

TEST(Options, AllAndNcclSpellings) {
  const auto out = parse({"run", "--collective", "all_gather,reduce_scatter", "--dtype", "all",
                          "--op", "all", "--transport", "all"});
  ASSERT_TRUE(out.options) << out.message;
  EXPECT_EQ(out.options->collectives,
            (std::vector<Collective>{Collective::allgather, Collective::reducescatter}));
  EXPECT_EQ(out.options->dtypes.size(), 10U);
  EXPECT_EQ(out.options->ops.size(), 5U);
  EXPECT_TRUE(out.options->dtypes.from_all);
  EXPECT_FALSE(out.options->collectives.from_all);
}

TEST(P2POptions, DefaultsAndEveryOption) {
  auto out = parse({"p2p"});
  ASSERT_TRUE(out.p2p) << out.message;
  EXPECT_EQ(out.p2p->tests, (std::vector<P2PTest>{P2PTest::latency, P2PTest::bandwidth}));
  EXPECT_EQ(out.p2p->window, 64);
  out = parse({"p2p",   "--test",
               "all",   "--transport",
               "mpi",   "--window",
               "8",     "--line-rate",
               "400Gb", "--matrix-threshold",
               "0.25",  "--debug-delay-rank",
               "3",     "--debug-delay-us",
               "100",   "-e",
               "1M",    "--bisection-pairings",
               "7",     "--bisection-seed",
               "42"});
  ASSERT_TRUE(out.p2p) << out.message;
  EXPECT_EQ(out.p2p->tests.size(), 7U);
  EXPECT_EQ(out.p2p->bisection_random, 7);
  EXPECT_EQ(out.p2p->bisection_seed, 42U);
  EXPECT_DOUBLE_EQ(out.p2p->line_rate_Gbps, 400);
  EXPECT_DOUBLE_EQ(out.p2p->matrix_threshold, 0.25);
  EXPECT_EQ(out.p2p->delay_rank, 3);
  EXPECT_EQ(out.p2p->max_bytes, 1U << 20);
  EXPECT_FALSE(out.options);
}

TEST(P2POptions, BadInputIsOneLineAndExit2) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"p2p", "--test", "pingpong"},
                                             {"p2p", "--window", "0"},
                                             {"p2p", "--line-rate", "fast"},
                                             {"p2p", "--matrix-threshold", "1.5"},
                                             {"p2p", "--transport", "carrier-pigeon"},
                                             {"p2p", "-b", "1M", "-e", "1K"},
                                             {"p2p", "--debug-delay-rank", "x"}}) {
    const auto out = parse(args);
    EXPECT_FALSE(out.p2p) << args[1];
    EXPECT_EQ(out.exit_code, kExitBadInput) << args[1];
    EXPECT_EQ(out.message.find('\n'), std::string::npos) << out.message;
    EXPECT_EQ(out.message.rfind("fabricbench: error: ", 0), 0U) << out.message;
  }
}

TEST(P2POptions, LineRateTakesEverySiSpelling) {
  // The spellings themselves are tested in rate_parse_test.cpp; this is the option's wiring.
  for (const auto& [text, want_Gbps] :
       std::vector<std::pair<std::string, double>>{{"300Mb", 0.3},
                                                   {"300Mbit/s", 0.3},
                                                   {"2.5Gb", 2.5},
                                                   {"400Gbps", 400},
                                                   {"1.6Tb", 1600},
                                                   {"50GB", 400},
                                                   {"100G", 100}}) {
    const auto out = parse({"p2p", "--line-rate", text});
    ASSERT_TRUE(out.p2p) << text << ": " << out.message;
    EXPECT_DOUBLE_EQ(out.p2p->line_rate_Gbps, want_Gbps) << text;
  }
}

TEST(P2POptions, BadLineRateNamesTheProblem) {
  for (const auto& [text, want] : std::vector<std::pair<std::string, std::string>>{
           {"300Xb", "fabricbench: error: --line-rate: rate '300Xb' has an unknown unit 'Xb'"},
           {"0Gb", "fabricbench: error: --line-rate: rate '0Gb' must be greater than zero"},
           {"-5Gb", "fabricbench: error: --line-rate: rate '-5Gb' must be greater than zero"},
           {"400", "fabricbench: error: --line-rate: rate '400' has no unit"}}) {
    const auto out = parse({"p2p", "--line-rate", text});
    EXPECT_FALSE(out.p2p) << text;
    EXPECT_EQ(out.exit_code, kExitBadInput) << text;
    EXPECT_EQ(out.message.rfind(want, 0), 0U) << out.message;
    EXPECT_EQ(out.message.find('\n'), std::string::npos) << out.message;
  }
}

TEST(Options, MemoryTakesCommaListsAndBoth) {
  using M = RunOptions::Memory;
  for (const auto& [text, want] :
       std::vector<std::pair<std::string, std::vector<M>>>{{"host", {M::host}},
                                                           {"cuda", {M::cuda}},
                                                           {"both", {M::host, M::cuda}},
                                                           {"host,cuda", {M::host, M::cuda}},
                                                           {"cuda,host", {M::cuda, M::host}},
                                                           {"cuda,both", {M::cuda, M::host}},
                                                           {"host,host", {M::host}}}) {
    const auto out = parse({"run", "--memory", text});
    ASSERT_TRUE(out.options) << text << ": " << out.message;
    EXPECT_EQ(out.options->memory, want) << text;
  }
}

TEST(Options, UnknownMemoryIsOneLineAndExit2) {
  for (const auto& [text, want] : std::vector<std::pair<std::string, std::string>>{
           {"gpu", "fabricbench: error: --memory: unknown memory 'gpu' (known: host, cuda, both)"},
           {"host,gpu",
            "fabricbench: error: --memory: unknown memory 'gpu' (known: host, cuda, both)"},
           {"host,,cuda", "fabricbench: error: empty name in list 'host,,cuda'"}}) {
    const auto out = parse({"run", "--memory", text});
    EXPECT_FALSE(out.options) << text;
    EXPECT_EQ(out.exit_code, kExitBadInput) << text;
    EXPECT_EQ(out.message, want);
  }
}

TEST(Options, StagingChoosesHowCudaSeriesReachTheirBuffers) {
  using S = RunOptions::Staging;
  EXPECT_EQ(parse({"run"}).options->staging, S::automatic);
  for (const auto& [text, want] : std::vector<std::pair<std::string, S>>{
           {"auto", S::automatic}, {"host", S::host}, {"none", S::none}}) {
    const auto out = parse({"run", "--memory", "both", "--staging", text});
    ASSERT_TRUE(out.options) << text << ": " << out.message;
    EXPECT_EQ(out.options->staging, want) << text;
  }
  const auto bad = parse({"run", "--memory", "cuda", "--staging", "device"});
  EXPECT_EQ(bad.exit_code, kExitBadInput);
  EXPECT_EQ(bad.message, "fabricbench: error: --staging: 'device' is not one of auto, host, none");
  const auto host_only = parse({"run", "--staging", "none"});
  EXPECT_EQ(host_only.exit_code, kExitBadInput);
  EXPECT_EQ(host_only.message,
            "fabricbench: error: --staging chooses how cuda series reach their buffers: give "
            "--memory cuda or both as well");
}

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

namespace fb {
namespace {

std::vector<std::string> plan_names(std::initializer_list<const char*> args, int ranks = 2) {
  std::vector<const char*> argv{"fabricbench"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto out = parse_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(out.options) << out.message;
  std::vector<std::string> names;
  if (!out.options) return names;
  for (const auto& s : plan_series(*out.options, ranks))
    names.push_back(s.name());
  return names;
}

TEST(PlanMemory, BothMakesHostAndCudaSeriesAndNcclOnlyOnDevice) {
  const auto n =
      plan_names({"run", "--algorithm", "ring,nccl", "--transport", "ucx", "--memory", "both"});
  EXPECT_EQ(n, (std::vector<std::string>{"allreduce.ring.ucx.float32.sum",
                                         "allreduce.ring.ucx.float32.sum.cuda",
                                         "allreduce.nccl.none.float32.sum.cuda"}));
}

TEST(PlanMemory, CommaListPlansTheSameSeriesAsBoth) {
  EXPECT_EQ(
      plan_names(
          {"run", "--algorithm", "ring,nccl", "--transport", "ucx", "--memory", "host,cuda"}),
      plan_names({"run", "--algorithm", "ring,nccl", "--transport", "ucx", "--memory", "both"}));
}

TEST(PlanMemory, NcclOnHostMemoryIsRefusedWhenNamedAndSkippedFromAll) {
  const char* argv[] = {"fabricbench", "run", "--algorithm", "nccl"};
  const auto out = parse_command_line(4, argv);
  ASSERT_TRUE(out.options);
  try {
    plan_series(*out.options, 2);
    FAIL() << "nccl on host memory was planned";
  } catch (const PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("--memory cuda"), std::string::npos) << e.what();
  }
  for (const auto& name : plan_names({"run", "--algorithm", "all", "--transport", "ucx"})) {
    EXPECT_EQ(name.find("nccl"), std::string::npos) << name;
  }
  // Floating-point avg is not offered by the NCCL baseline (see collectives/nccl_baseline.hpp).
  const auto avg = plan_names(
      {"run", "--algorithm", "all", "--transport", "ucx", "--op", "avg", "--memory", "cuda"});
  EXPECT_EQ(std::count(avg.begin(), avg.end(), "allreduce.nccl.none.float32.avg.cuda"), 0);
  EXPECT_EQ(std::count(avg.begin(), avg.end(), "allreduce.ring.ucx.float32.avg.cuda"), 1);
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The help texts name what the registries hold, not a list written by hand.
TEST(Options, HelpListsTheRegisteredTransportsAndAlgorithms) {
  const auto run = parse({"run", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.message.find("Transports for our algorithms, or all: " + listed(transport_names())),
            std::string::npos)
      << run.message;
  EXPECT_NE(run.message.find("Algorithms, or all: " + listed(algorithm_names())), std::string::npos)
      << run.message;
  const auto p2p = parse({"p2p", "--help"});
  EXPECT_NE(p2p.message.find("Transports, or all: " + listed(transport_names())), std::string::npos)
      << p2p.message;
}

TEST(Options, AnAlgorithmTheRegistryDoesNotKnowIsRefused) {
  const auto out = parse({"run", "--algorithm", "ring,nosuch"});
  EXPECT_EQ(out.exit_code, kExitBadInput);
  EXPECT_EQ(out.message, "fabricbench: error: unknown algorithm 'nosuch' (known: " +
                             listed(algorithm_names()) + ", auto, all)");
}

TEST(Options, RunAndP2pShareTheirCommonOptions) {
  const auto run = parse({"run", "--progress", "on", "-b", "16", "--timeout", "7"});
  ASSERT_TRUE(run.options) << run.message;
  const auto p2p = parse({"p2p", "--progress", "on", "-b", "16", "--timeout", "7"});
  ASSERT_TRUE(p2p.p2p) << p2p.message;
  for (const CommonOptions* o : {static_cast<const CommonOptions*>(&*run.options),
                                 static_cast<const CommonOptions*>(&*p2p.p2p)}) {
    EXPECT_EQ(o->progress, Progress::on);
    EXPECT_EQ(o->min_bytes, 16U);
    EXPECT_DOUBLE_EQ(o->timeout_s, 7);
  }
  // Their defaults differ where the measurements do.
  EXPECT_EQ(run.options->iters, 20);
  EXPECT_EQ(p2p.p2p->iters, 200);
  EXPECT_EQ(p2p.p2p->max_bytes, 4U << 20);
}

TEST(Choice, ATableParsesItsNamesAndListsThemInOrder) {
  enum class Colour { red, green };
  const ChoiceTable<Colour> table{{"red", Colour::red}, {"green", Colour::green}};
  EXPECT_EQ(table.find("green"), Colour::green);
  EXPECT_EQ(table.find("blue"), std::nullopt);
  EXPECT_EQ(table.names(), "red, green");
}

TEST(Choice, ASelectionKeepsTheFirstOrderAndNoDuplicates) {
  Selection<std::string> s;
  s.add("b");
  s.add("a");
  s.add("b");
  EXPECT_EQ(s, (std::vector<std::string>{"b", "a"}));
  EXPECT_FALSE(s.from_all);
}

}  // namespace
}  // namespace fb

namespace fb {
namespace {

TEST(RunOptionsNodePlacement, ListsPlacementsAndNeedsNodes) {
  auto out = parse({"run", "--nodes", "2", "--node-placement", "packed,spread,packed"});
  ASSERT_TRUE(out.options) << out.message;
  EXPECT_TRUE(out.options->node_placement_given);
  EXPECT_EQ(out.options->node_placements,
            (std::vector<RunOptions::NodePlacement>{RunOptions::NodePlacement::packed,
                                                    RunOptions::NodePlacement::spread}));
  out = parse({"run", "--nodes", "2"});
  ASSERT_TRUE(out.options) << out.message;
  EXPECT_FALSE(out.options->node_placement_given);
  EXPECT_EQ(out.options->node_placements.size(), 1U);
  EXPECT_EQ(parse({"run", "--node-placement", "packed"}).exit_code, kExitBadInput);
}

}  // namespace
}  // namespace fb
