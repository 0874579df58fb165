#include "registry.h"

#include <algorithm>

namespace oasis::server {

namespace {

AgentView view_of(const wire::AgentInfo& info) {
    return AgentView{info.id, &info.labels, &info.groups, &info.facts};
}

}  // namespace

void Registry::apply_override(Entry& e) const {
    e.effective = e.reported;
    auto it = overrides_.find(e.reported.id);
    if (it == overrides_.end()) return;
    if (it->second.labels) e.effective.labels = *it->second.labels;
    if (it->second.groups) e.effective.groups = *it->second.groups;
}

void Registry::on_heartbeat(wire::AgentInfo info, std::int64_t seen_ms) {
    std::unique_lock lock(mu_);
    auto [it, added] = agents_.try_emplace(info.id);
    Entry& e = it->second;
    // A replayed heartbeat may be older than one already seen live.
    if (seen_ms < e.last_seen_ms) return;
    e.last_seen_ms = seen_ms;
    bool same = !added && e.reported.labels == info.labels &&
                e.reported.groups == info.groups && e.reported.facts == info.facts;
    e.reported = std::move(info);
    apply_override(e);
    if (!same) ++version_;
}

void Registry::on_override(const std::string& agent_id, wire::AgentOverride change) {
    std::unique_lock lock(mu_);
    if (!change.labels && !change.groups)
        overrides_.erase(agent_id);
    else
        overrides_[agent_id] = std::move(change);
    if (auto it = agents_.find(agent_id); it != agents_.end()) apply_override(it->second);
    ++version_;
}

void Registry::forget(const std::string& agent_id) {
    std::unique_lock lock(mu_);
    agents_.erase(agent_id);
    overrides_.erase(agent_id);
    ++version_;
}

std::vector<const Registry::Entry*> Registry::matching(const Selector& selector) const {
    std::lock_guard lock(snapshot_mu_);
    if (!snapshot_ || snapshot_version_ != version_) {
        auto fresh = std::make_unique<Snapshot>();
        fresh->ids.reserve(agents_.size());
        for (const auto& [id, e] : agents_) {
            fresh->table.add(view_of(e.effective));
            fresh->ids.push_back(&id);
        }
        snapshot_ = std::move(fresh);
        snapshot_version_ = version_;
    }
    std::vector<const Entry*> out;
    for (std::size_t row : selector.bind(snapshot_->table).select())
        out.push_back(&agents_.at(*snapshot_->ids[row]));
    return out;
}

wire::AgentStatus Registry::status_of(const Entry& e, std::int64_t now_ms) const {
    return wire::AgentStatus{e.effective, is_online(e, now_ms), e.last_seen_ms};
}

std::vector<wire::AgentStatus> Registry::list(const Selector* selector, std::int64_t now_ms) const {
    std::vector<wire::AgentStatus> out;
    {
        std::shared_lock lock(mu_);
        if (selector) {
            for (const Entry* e : matching(*selector)) out.push_back(status_of(*e, now_ms));
        } else {
            for (const auto& [id, e] : agents_) out.push_back(status_of(e, now_ms));
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.info.id < b.info.id; });
    return out;
}

std::optional<wire::AgentStatus> Registry::get(std::string_view agent_id,
                                               std::int64_t now_ms) const {
    std::shared_lock lock(mu_);
    auto it = agents_.find(std::string(agent_id));
    if (it == agents_.end()) return std::nullopt;
    return status_of(it->second, now_ms);
}

Selection Registry::select(const Selector& selector, std::int64_t now_ms) const {
    Selection sel;
    std::shared_lock lock(mu_);
    if (selector.is_id_list()) {
        for (const auto& id : selector.ids()) {
            auto it = agents_.find(id);
            if (it == agents_.end())
                sel.unknown.push_back(id);
            else if (is_online(it->second, now_ms))
                sel.online.push_back(id);
            else
                sel.offline.push_back(id);
        }
        return sel;
    }
    for (const Entry* e : matching(selector))
        if (is_online(*e, now_ms)) sel.online.push_back(e->effective.id);
    std::sort(sel.online.begin(), sel.online.end());
    return sel;
}

std::size_t Registry::known_count() const {
    std::shared_lock lock(mu_);
    return agents_.size();
}

std::size_t Registry::online_count(std::int64_t now_ms) const {
    std::shared_lock lock(mu_);
    return static_cast<std::size_t>(
        std::count_if(agents_.begin(), agents_.end(),
                      [&](const auto& kv) { return is_online(kv.second, now_ms); }));
}

}  // namespace oasis::server
