// The distributions behind the verdicts: normal, Student's t and binomial (analysis/stats.hpp).
// Double precision throughout; the quantiles are refined against the cdfs so that they agree
// with them to a few units in the last place.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include "analysis/stats.hpp"

namespace fb::analysis {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kTiny = std::numeric_limits<double>::min() / kEpsilon;

// Continued fraction of the regularised incomplete beta function (modified Lentz), valid
// and fast for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  const double qab = a + b;
  const double qap = a + 1;
  const double qam = a - 1;
  double c = 1;
  double d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  // The number of terms grows like sqrt(max(a, b)); 100000 covers a and b far beyond any
  // sample count, and the loop ends after a few hundred in practice.
  for (int m = 1; m <= 100000; ++m) {
    const double md = m;
    const double even = md * (b - md) * x / ((qam + 2 * md) * (a + 2 * md));
    d = 1 + even * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + even / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    const double odd = -(a + md) * (qab + md) * x / ((a + 2 * md) * (qap + 2 * md));
    d = 1 + odd * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + odd / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < 4 * kEpsilon) return h;
  }
  throw std::runtime_error(
      "incomplete beta: the continued fraction did not converge for a=" + std::to_string(a) +
      " b=" + std::to_string(b) + " x=" + std::to_string(x));
}

// lgamma(x) less Stirling's approximation (x - 1/2) log x - x + log sqrt(2 pi), for x >= 10:
// its asymptotic series, whose next term is below 1e-15 there.
double stirling_remainder(double x) {
  const double r = 1 / x;
  const double r2 = r * r;
  return r * (1.0 / 12 - r2 * (1.0 / 360 -
                               r2 * (1.0 / 1260 -
                                     r2 * (1.0 / 1680 - r2 * (1.0 / 1188 - r2 * 691.0 / 360360)))));
}

// log B(a, b). lgamma(a) + lgamma(b) - lgamma(a + b) loses everything but the leading
// digits when an argument is large (a t distribution with many degrees of freedom), so
// Stirling's form is used there with the large terms cancelled analytically.
double log_beta(double a, double b) {
  const double p = std::min(a, b);
  const double q = std::max(a, b);
  const double share = p / (p + q);
  if (p >= 10) {
    const double remainder =
        stirling_remainder(p) + stirling_remainder(q) - stirling_remainder(p + q);
    return -0.5 * std::log(q) + 0.5 * std::log(2 * std::numbers::pi) + remainder +
           (p - 0.5) * std::log(share) + q * std::log1p(-share);
  }
  if (q >= 10) {
    const double remainder = stirling_remainder(q) - stirling_remainder(p + q);
    return std::lgamma(p) + remainder + p - p * std::log(p + q) + (q - 0.5) * std::log1p(-share);
  }
  return std::lgamma(p) + std::lgamma(q) - std::lgamma(p + q);
}

// I_x(a, b), the regularised incomplete beta function, given x and y = 1 - x separately so
// that whichever is small keeps its relative precision (log x from log1p(-y) near 1).
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double log_x = x < 0.5 ? std::log(x) : std::log1p(-y);
  const double log_y = y < 0.5 ? std::log(y) : std::log1p(-x);
  const double front = std::exp(a * log_x + b * log_y - log_beta(a, b));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, y) / b;
}

void require_probability(double p, const char* function) {
  if (!(p > 0 && p < 1))
    throw std::invalid_argument(std::string(function) + ": probability " + std::to_string(p) +
                                " is outside (0, 1)");
}

void require_dof(double dof, const char* function) {
  if (!(dof > 0))
    throw std::invalid_argument(std::string(function) + ": degrees of freedom " +
                                std::to_string(dof) + " must be positive");
}

// Acklam's rational approximation of the lower half of the normal quantile (relative error
// about 1e-9), p in (0, 0.5].
double normal_quantile_approximation(double p) {
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                          6.680131188771972e+01, -1.328068155288572e+01};
  constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                          -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                          3.754408661907416e+00};
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Beyond this many degrees of freedom the continued fraction needs so many terms that
// rounding builds up (1e-12 relative at 1e5), while the Cornish-Fisher expansion below is
// accurate to rounding from here on for |t| < 40 (its error falls like dof^-5).
constexpr double kLargeDof = 2e4;
constexpr double kExpansionLimit = 40;

// Cornish-Fisher expansion of the t quantile in the normal quantile z (Abramowitz and
// Stegun 26.7.5), and its derivative in z.
double cornish_fisher(double z, double dof) {
  const double z2 = z * z;
  const double g1 = (z2 + 1) * z / 4;
  const double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + (g1 + (g2 + (g3 + g4 / dof) / dof) / dof) / dof;
}

double cornish_fisher_slope(double z, double dof) {
  const double z2 = z * z;
  const double d1 = (3 * z2 + 1) / 4;
  const double d2 = ((25 * z2 + 48) * z2 + 3) / 96;
  const double d3 = (((21 * z2 + 95) * z2 + 51) * z2 - 15) / 384;
  const double d4 = ((((711 * z2 + 5432) * z2 + 7410) * z2 - 5760) * z2 - 945) / 92160;
  return 1 + (d1 + (d2 + (d3 + d4 / dof) / dof) / dof) / dof;
}

// The lower tail of Student's t, t <= 0: P(T <= t) = I_x(dof/2, 1/2) / 2, x = dof/(dof+t^2);
// for many degrees of freedom Phi(z) with z solving cornish_fisher(z) = t (Newton).
double student_t_lower_tail(double t, double dof) {
  if (dof >= kLargeDof && t > -kExpansionLimit) {
    double z = t;
    for (int iteration = 0; iteration < 50; ++iteration) {
      const double step = (cornish_fisher(z, dof) - t) / cornish_fisher_slope(z, dof);
      z -= step;
      if (std::fabs(step) <= kEpsilon * std::fabs(z)) break;
    }
    return 0.5 * std::erfc(-z / std::numbers::sqrt2);
  }
  const double t2 = t * t;
  return 0.5 * incomplete_beta(dof / 2, 0.5, dof / (dof + t2), t2 / (dof + t2));
}

double student_t_density(double t, double dof) {
  const double log_norm =
      std::lgamma((dof + 1) / 2) - std::lgamma(dof / 2) - 0.5 * std::log(dof * std::numbers::pi);
  return std::exp(log_norm - (dof + 1) / 2 * std::log1p(t * t / dof));
}

}  // namespace

double normal_cdf(double z) {
  if (std::isnan(z)) throw std::invalid_argument("normal_cdf: z is not a number");
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

double normal_quantile(double p) {
  require_probability(p, "normal_quantile");
  // By symmetry from the lower half, where 1 - p is exact for p >= 0.5.
  if (p > 0.5) return -normal_quantile(1 - p);
  double z = normal_quantile_approximation(p);
  // Halley steps on the cdf, computed from erfc so that the lower tail keeps its relative
  // precision; each roughly triples the correct digits.
  for (int step = 0; step < 2; ++step) {
    const double error = 0.5 * std::erfc(-z / std::numbers::sqrt2) - p;
    const double u = error * std::sqrt(2 * std::numbers::pi) * std::exp(z * z / 2);
    z -= u / (1 + z * u / 2);
  }
  return z;
}

double student_t_cdf(double t, double dof) {
  if (std::isnan(t)) throw std::invalid_argument("student_t_cdf: t is not a number");
  require_dof(dof, "student_t_cdf");
  if (std::isinf(dof)) return normal_cdf(t);
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  return t > 0 ? 1 - student_t_lower_tail(-t, dof) : student_t_lower_tail(t, dof);
}

double student_t_quantile(double p, double dof) {
  require_probability(p, "student_t_quantile");
  require_dof(dof, "student_t_quantile");
  if (std::isinf(dof)) return normal_quantile(p);
  if (p > 0.5) return -student_t_quantile(1 - p, dof);
  if (p == 0.5) return 0;
  if (dof >= kLargeDof) {
    const double t = cornish_fisher(normal_quantile(p), dof);
    if (t > -kExpansionLimit) return t;
  }
  // Solve in the lower tail, where the cdf has full relative precision: bracket the root
  // [lo, hi] (hi <= 0), then Newton steps that fall back to bisection outside the bracket.
  double hi = 0;
  double lo = std::min(-1.0, normal_quantile(p));
  while (student_t_lower_tail(lo, dof) > p) {
    hi = lo;
    lo *= 2;
    if (!std::isfinite(lo))
      throw std::domain_error("student_t_quantile: no finite quantile for p=" + std::to_string(p) +
                              " dof=" + std::to_string(dof));
  }
  double t = 0.5 * (lo + hi);
  for (int iteration = 0; iteration < 400; ++iteration) {
    const double f = student_t_lower_tail(t, dof) - p;
    if (f == 0) return t;
    if (f > 0)
      hi = t;
    else
      lo = t;
    double next = t - f / student_t_density(t, dof);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::fabs(next - t) <= 2 * kEpsilon * std::fabs(t) || hi - lo <= kEpsilon * -lo)
      return next;
    t = next;
  }
  return t;
}

double binomial_cdf(std::int64_t k, std::int64_t n, double p) {
  if (n < 0) throw std::invalid_argument("binomial_cdf: n=" + std::to_string(n) + " is negative");
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("binomial_cdf: p=" + std::to_string(p) + " is outside [0, 1]");
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p == 0) return 1;
  if (p == 1) return 0;
  // P(X <= k) = I_{1-p}(n - k, k + 1).
  return incomplete_beta(static_cast<double>(n - k), static_cast<double>(k + 1), 1 - p, p);
}

}  // namespace fb::analysis
