#include "analysis/stats.hpp"
