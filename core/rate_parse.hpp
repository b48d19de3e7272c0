// Parsing of the link rates users type (--line-rate): SI units of bits or bytes per second.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fb {

// A positive rate with a unit, returned in Gb/s (1e9 bits per second). Prefixes are SI and
// case-insensitive: K = 1e3, M = 1e6, G = 1e9, T = 1e12. The unit is bits when written
// b, bit, bits, bps, b/s or bit/s ("bit" in any case), bytes when written B, Bps, B/s,
// byte or bytes (x8); a bare prefix means bits, as line rates are quoted ("100G").
// The number may be decimal or carry an exponent ("2.5Gb", "1e9bps"), and one space may sit
// between number and unit ("400 Gb/s"). Examples: 300Mb, 300Mbit, 300Mbps, 2.5Gbit/s, 400Gb,
// 1.6Tb, 50GB, 12.5GB/s, 100KB. Returns nullopt (and sets *error to a sentence naming the
// problem) for an empty text, no number, no unit, an unknown unit, a binary prefix (Gi, Mi),
// a non-positive value, or one that does not fit a double.
std::optional<double> parse_rate_Gbps(std::string_view text, std::string* error = nullptr);

}  // namespace fb
