// Performance models fitted to measured series (docs/ANALYSIS.md, model section):
//  - Hockney's alpha-beta model of a point-to-point path, T(n) = alpha + n beta, piecewise
//    where the protocol changes (eager vs rendezvous), the break found as the split between
//    adjacent sizes that best lowers the squared relative error (fit_hockney);
//  - an algorithm's cost formula T(p, n) = a alpha + b n beta + g n gamma, the coefficients
//    from topologies/cost_model.hpp, fitted to the points of every rank count measured
//    (fit_collective);
//  - predictions at other rank counts and sizes with prediction intervals, and the sizes
//    where two algorithms' predicted times cross (predict_time, find_crossovers).
// All fits are weighted least squares with weights 1 / t^2, i.e. on relative errors, so that
// 8 B and 64 MiB count alike. Pure functions; nothing here reads files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/fit.hpp"
#include "analysis/stats.hpp"
#include "topologies/cost_model.hpp"

namespace fb::analysis {

// One measured point and how the model fits it.
struct Residual {
  std::int64_t ranks = 0;  // 0 for point-to-point
  std::uint64_t size_bytes = 0;
  double measured_us = 0;
  double fitted_us = 0;
  double relative = 0;  // (measured - fitted) / measured
};

// ---- Hockney alpha-beta, piecewise -----------------------------------------------------
struct SizeTime {
  std::uint64_t size_bytes = 0;
  double time_us = 0;
};

struct HockneySegment {
  std::uint64_t from_bytes = 0;  // the smallest and largest size the segment covers
  std::uint64_t to_bytes = 0;
  Interval alpha_us;
  Interval beta_us_per_byte;
  double r_squared = 0;
  std::size_t points = 0;
};

// The break rule: a split into two segments of at least `min_points` sizes each replaces the
// single line when its total squared relative error is at most 1 / `min_improvement` of the
// single line's.
struct BreakRule {
  double min_improvement = 4.0;
  std::size_t min_points = 3;
};

struct HockneyFit {
  std::vector<HockneySegment> segments;      // one, or two split at break_bytes
  std::optional<std::uint64_t> break_bytes;  // the first size of the second segment
  double single_sse_relative = 0;            // sum of squared relative residuals, one line
  double split_sse_relative = 0;             // the best split's (== single without a split)
  std::vector<Residual> residuals;           // of the model reported (split or not)
};

// Points need distinct sizes and positive times; they are sorted here. Throws
// std::invalid_argument with the reason when fewer than 3 points remain.
HockneyFit fit_hockney(std::span<const SizeTime> points, const BreakRule& rule = {},
                       double level = 0.95);

// ---- collective cost formulas --------------------------------------------------------------
struct CollectivePoint {
  std::int64_t ranks = 0;
  std::uint64_t size_bytes = 0;
  double time_us = 0;
};

struct CollectiveFit {
  std::string collective;
  std::string algorithm;
  std::string formula;
  topo::CostParameters parameters;  // the algorithm's, as recorded (chunk_bytes, ...)
  Interval alpha_us;
  Interval beta_us_per_byte;
  // gamma on its own when the points tell it apart from beta; otherwise empty and
  // `gamma_in_beta` > 0: the formula's g / b is that constant at every point, so the fitted
  // beta is beta + gamma_in_beta * gamma (ring, Rabenseifner: 1/2; chain reduce: 1).
  std::optional<Interval> gamma_us_per_byte;
  double gamma_in_beta = 0;
  // Parameters are times and cannot be negative: one whose unconstrained estimate is
  // negative is held at 0 (0 [0, 0]) and the others refitted without it; its unconstrained
  // interval stays here. alpha is also held at 0, without an unconstrained interval, when
  // the points cannot tell it from beta (every point a whole number of full chunks).
  struct HeldAtZero {
    std::string parameter;  // "alpha", "beta" or "gamma"
    std::optional<Interval> unconstrained;
  };
  std::vector<HeldAtZero> held_at_zero;
  LinearFit fit;                     // over `columns` of the row a, b n [, g n]
  std::vector<std::size_t> columns;  // 0 alpha, 1 beta, 2 gamma
  std::vector<Residual> residuals;
  std::vector<std::int64_t> ranks_fitted;  // the distinct rank counts of the points
};

// Fits the algorithm's formula to the points (any mix of rank counts and sizes). Throws
// std::invalid_argument when the algorithm has no formula, a point is unusable, or the
// points cannot determine the unknowns (the message says which).
CollectiveFit fit_collective(const std::string& collective, const std::string& algorithm,
                             const topo::CostParameters& parameters,
                             std::span<const CollectivePoint> points, double level = 0.95);

struct TimePrediction {
  std::int64_t ranks = 0;
  std::uint64_t size_bytes = 0;
  Prediction time_us;  // value, interval of the mean, prediction interval
  // Bus bandwidth from the predicted time and its prediction interval (nccl-tests' factor
  // for the collective at `ranks`); the upper bound is infinite when the time's lower bound
  // is not positive.
  double busbw_GBps = 0, busbw_lower_GBps = 0, busbw_upper_GBps = 0;
};
TimePrediction predict_time(const CollectiveFit& fit, std::int64_t ranks, std::uint64_t size_bytes);

// Where the predicted times of two algorithms of one collective cross between min_bytes and
// max_bytes at `ranks`: scanned on a grid of 16 sizes per doubling, each sign change
// narrowed by bisection to the byte. `size_bytes` is the first size at which `faster_above`
// is the faster one.
struct Crossover {
  std::int64_t ranks = 0;
  std::uint64_t size_bytes = 0;
  std::string faster_below;
  std::string faster_above;
};
std::vector<Crossover> find_crossovers(const CollectiveFit& a, const CollectiveFit& b,
                                       std::int64_t ranks, std::uint64_t min_bytes,
                                       std::uint64_t max_bytes);

}  // namespace fb::analysis
