// The prelude of a micro-benchmark that talks to a running nats-server:
// logging down to errors (the Bus logs every normal close at warn), then
// one connection. Prints why and returns null when it cannot connect.
#pragma once

#include "oasis/bus.h"
#include "oasis/config.h"
#include "oasis/log.h"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace oasis::bench {

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
