#include "transports/verbs/verbs_line_rate.hpp"

#include <stdexcept>

#include "transports/verbs/verbs_options.hpp"
#include "transports/verbs/verbs_resources.hpp"

namespace fb {

namespace {

struct LaneRate {
  std::uint32_t code;
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
    {256, 212.5, kPam4Efficiency},
};

// Ethernet data rate per lane for the code a RoCE port reports.
std::optional<double> ethernet_lane_Gbps(std::uint32_t code) {
  switch (code) {
    case 1:
      return 1.0;
    case 2:
      return 5.0;
    case 4:
    case 8:
      return 10.0;
    case 16:
      return 14.0;
    case 32:
      return 25.0;
    case 64:
      return 50.0;
    case 128:
      return 100.0;
    case 256:
      return 200.0;
    default:
      return std::nullopt;
  }
}

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

std::optional<LinkRate> ib_link_rate(std::uint32_t active_speed, std::uint8_t active_width) {
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

std::optional<LinkRate> link_rate(std::uint32_t speed, std::uint8_t active_width,
                                  std::uint8_t link_layer) {
  if (link_layer != IBV_LINK_LAYER_ETHERNET) return ib_link_rate(speed, active_width);
  const auto lane_count = lanes(active_width);
  const auto lane = ethernet_lane_Gbps(speed);
  if (!lane_count || !lane) return std::nullopt;
  const double rate = *lane * *lane_count;
  return LinkRate{rate, rate};
}

std::optional<double> verbs_line_rate_Gbps(int local_rank) {
  try {
    const auto opened = open_verbs_port(verbs_options_from_environment(), local_rank);
    const auto rate = link_rate(opened.speed, opened.attr.active_width, opened.attr.link_layer);
    if (!rate) return std::nullopt;
    return rate->data_Gbps;
  } catch (const TransportError&) {
    return std::nullopt;  // no such device or port: no rate to report
  } catch (const std::invalid_argument&) {
    return std::nullopt;  // FB_VERBS_OPTIONS is malformed: the transport itself says so
  }
}

}  // namespace fb
