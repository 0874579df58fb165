// The system facts every agent reports, usable in selectors as system["..."].
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>

namespace oasis {

// Ordered map with heterogeneous lookup, used for labels and facts.
using StringMap = std::map<std::string, std::string, std::less<>>;

inline constexpr std::array<std::string_view, 8> kFactNames{
    "hostname",     "primary_ip", "cpu_arch",   "cpu_cores",
    "memory_total_gb", "os_name", "os_version", "kernel_version",
};

inline bool is_known_fact(std::string_view name) {
    for (auto known : kFactNames)
        if (known == name) return true;
    return false;
}

}  // namespace oasis
