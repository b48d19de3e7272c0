#include "core/rate_parse.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

namespace fb {

namespace {

constexpr const char* kExamples = "e.g. 300Mb, 2.5Gbit/s, 400Gbps, 50GB/s";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// The SI multiplier of a prefix letter, or 0 when the letter is none.
double prefix_multiplier(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'k':
      return 1e3;
    case 'm':
      return 1e6;
    case 'g':
      return 1e9;
    case 't':
      return 1e12;
    default:
      return 0;
  }
}

// Bits per unit of what follows the prefix: 1 (bits), 8 (bytes), 0 (not a rate unit).
// "b" and "B" are told apart by case; the spelled-out words are not.
double bits_per_unit(std::string_view unit, bool has_prefix) {
  static constexpr std::array kBits = {"b", "b/s", "bps"};
  static constexpr std::array kBytes = {"B", "B/s", "Bps"};
  static constexpr std::array kBitWords = {"bit", "bit/s", "bits", "bits/s"};
  static constexpr std::array kByteWords = {"byte", "byte/s", "bytes", "bytes/s"};
  if (unit.empty()) return has_prefix ? 1 : 0;
  for (const std::string_view u : kBits)
    if (unit == u) return 1;
  for (const std::string_view u : kBytes)
    if (unit == u) return 8;
  const std::string folded = lower(unit);
  for (const std::string_view u : kBitWords)
    if (folded == u) return 1;
  for (const std::string_view u : kByteWords)
    if (folded == u) return 8;
  return 0;
}

bool parse(std::string_view text, double& rate_Gbps, std::string* error) {
  // Built by appending: "'" + std::string(text) trips GCC 12's false -Wrestrict warning.
  std::string quoted(1, '\'');
  quoted.append(text);
  quoted.push_back('\'');
  if (text.empty()) return fail(error, "empty rate (" + std::string(kExamples) + ")");
  double value = 0;
  const char* const end = text.data() + text.size();
  const auto [number_end, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range)
    return fail(error, "rate " + quoted + " is out of range");
  if (ec != std::errc() || !std::isfinite(value)) {
    return fail(error,
                "rate " + quoted + " is not a number and a unit (" + std::string(kExamples) + ")");
  }
  std::string_view unit(number_end, static_cast<std::size_t>(end - number_end));
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.empty()) {
    return fail(error, "rate " + quoted + " has no unit (" + std::string(kExamples) +
                           "; b = bit, B = byte)");
  }
  double multiplier = prefix_multiplier(unit.front());
  const bool has_prefix = multiplier != 0;
  if (has_prefix) unit.remove_prefix(1);
  if (has_prefix && !unit.empty() && (unit.front() == 'i' || unit.front() == 'I')) {
    return fail(error, "rate " + quoted +
                           " uses a binary prefix; rates are decimal (K = 1e3, M = 1e6, G = 1e9, "
                           "T = 1e12)");
  }
  const double bits = bits_per_unit(unit, has_prefix);
  if (bits == 0) {
    const std::string whole(number_end, static_cast<std::size_t>(end - number_end));
    return fail(error, "rate " + quoted + " has an unknown unit '" + whole +
                           "' (bits: Kb, Mb, Gb, Tb, also Mbit, Mbps, Mbit/s; bytes: KB, MB, GB, "
                           "TB, also MB/s; b = bit, B = byte, K/M/G/T = 1e3/1e6/1e9/1e12)");
  }
  if (!(value > 0)) return fail(error, "rate " + quoted + " must be greater than zero");
  if (!has_prefix) multiplier = 1;
  rate_Gbps = value * multiplier * bits / 1e9;
  if (!std::isfinite(rate_Gbps) || !(rate_Gbps > 0))
    return fail(error, "rate " + quoted + " is out of range");
  return true;
}

}  // namespace

std::optional<double> parse_rate_Gbps(std::string_view text, std::string* error) {
  double rate_Gbps = 0;
  if (!parse(text, rate_Gbps, error)) return std::nullopt;
  return rate_Gbps;
}

}  // namespace fb
