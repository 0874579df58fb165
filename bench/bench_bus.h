// What the micro-benchmarks share: timing helpers, and quiet_bus, the
// prelude of one that talks to a running nats-server: logging down to
// errors (the Bus logs every normal close at warn), then one connection.
// quiet_bus prints why and returns null when it cannot connect.
#pragma once

#include "oasis/bus.h"
#include "oasis/config.h"
#include "oasis/log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oasis::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

inline std::unique_ptr<Bus> quiet_bus(const std::string& url, std::string_view name) {
    TelemetryConfig quiet;
    quiet.log_level = "error";
    (void)log::init(quiet, name);
    BusOptions bo;
    bo.urls = {url};
    auto bus = Bus::connect(bo);
    if (!bus.ok()) {
        std::fprintf(stderr, "%s\n", bus.status().message().c_str());
        return nullptr;
    }
    return std::move(*bus);
}

}  // namespace oasis::bench
