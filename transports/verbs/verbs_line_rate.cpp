#include "transports/verbs/verbs_line_rate.hpp"

#include "transports/verbs/verbs_resources.hpp"

namespace fb {

namespace {

struct LaneRate {
  std::uint8_t code;
  double signalling_Gbps;
  double efficiency;  // data bits per signalled bit
};

// 50G-class PAM4 lanes carry 256b/257b-transcoded data protected by RS(544,514) FEC.
constexpr double kPam4Efficiency = (256.0 / 257.0) * (514.0 / 544.0);

constexpr LaneRate kLaneRates[] = {
    {1, 2.5, 0.8},
    {2, 5.0, 0.8},
    {4, 10.0, 0.8},
    {8, 10.3125, 64.0 / 66.0},
    {16, 14.0625, 64.0 / 66.0},
    {32, 25.78125, 64.0 / 66.0},
    {64, 53.125, kPam4Efficiency},
    {128, 106.25, kPam4Efficiency},
};

std::optional<int> lanes(std::uint8_t active_width) {
  switch (active_width) {
    case 1:
      return 1;
    case 2:
      return 4;
    case 4:
      return 8;
    case 8:
      return 12;
    case 16:
      return 2;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<LinkRate> ib_link_rate(std::uint8_t active_speed, std::uint8_t active_width) {
  const auto lane_count = lanes(active_width);
  if (!lane_count) return std::nullopt;
  for (const auto& lane : kLaneRates) {
    if (lane.code == active_speed) {
      const double signalling = lane.signalling_Gbps * *lane_count;
      return LinkRate{signalling, signalling * lane.efficiency};
    }
  }
  return std::nullopt;
}

std::optional<double> verbs_line_rate_Gbps(const std::string& device, int port) {
  try {
    const auto opened = open_verbs_port(device, port);
    const auto rate = ib_link_rate(opened.attr.active_speed, opened.attr.active_width);
    if (!rate) return std::nullopt;
    return rate->data_Gbps;
  } catch (const TransportError&) {
    return std::nullopt;  // no such device or port: no rate to report
  }
}

}  // namespace fb
