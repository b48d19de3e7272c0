// Internal to harness/cli: what the `run` and `p2p` parsers share (the raw option text,
// its common checks, the options both declare) and the p2p parser that options.cpp's
// parse_command_line wires in. Not for use outside harness/cli.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "harness/cli/options.hpp"

namespace fb::cli {

const ChoiceTable<Progress>& progress_choices();

// What `run` and `p2p` share, as typed (CommonOptions once validated).
struct RawCommonOptions {
  std::string transport = "ucx,mpi";
  std::string min_bytes = "8";
  std::string max_bytes;
  std::string step_factor = "2";
  std::string iters;
  std::string warmup;
  std::string timeout = "60";
  std::string progress = "auto";
  std::string out;
  bool overwrite = false;
  std::string topology;
};

// --topology: read and checked here, before any rank starts, so a bad description costs
// one line and exit 2.
void parse_topology(const RawCommonOptions& raw, CommonOptions& o);
// Explicitly named transports must be able to run here; `all` keeps only those that can.
Selection<std::string> usable_transports(const std::string& text);
// The size sweep, iteration counts and timeout.
void parse_sweep(const RawCommonOptions& raw, CommonOptions& o);

// The options `run` and `p2p` declare alike: the size sweep and the iteration counts; the
// wait limit and the progress line; the fabric's description; the results file.
void add_sweep_options(CLI::App& command, RawCommonOptions& raw, const char* iters_help);
void add_wait_options(CLI::App& command, RawCommonOptions& raw);
void add_topology_option(CLI::App& command, RawCommonOptions& raw);
void add_results_file_options(CLI::App& command, RawCommonOptions& raw);

struct RawP2POptions : RawCommonOptions {
  RawP2POptions() {
    max_bytes = "4M";
    iters = "200";
    warmup = "20";
  }
  std::string test = "latency,bandwidth";
  std::string window = "64";
  std::string line_rate;
  std::string matrix_latency = "8";
  std::string matrix_bandwidth = "1M";
  std::string matrix_threshold = "0.5";
  std::string bisection_pairings = "4";
  std::string bisection_seed = "1";
  std::string delay_rank;
  std::string delay_us = "0";
};

// `fabricbench p2p`: the subcommand's options, and their checks (throws BadInput).
void add_p2p_subcommand(CLI::App& app, RawP2POptions& raw);
P2POptions validate_p2p(const RawP2POptions& raw);

}  // namespace fb::cli
