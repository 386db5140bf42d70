#include "util/metrics.h"

#include <fmt/format.h>

namespace evni {

void Metrics::Histogram::Observe(double v) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
        if (v <= kBuckets[i]) ++counts[i];
    }
    ++count;
    sum += v;
}

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status, double seconds) {
    std::lock_guard g(mutex_);
    ++requests_[{method, route, status}];
    request_latency_[{method, route}].Observe(seconds);
}

void Metrics::CountAnalysis(const std::string& result) {
    std::lock_guard g(mutex_);
    ++analyses_[result];
}

void Metrics::ObserveTransaction(const std::string& mode, double seconds) {
    std::lock_guard g(mutex_);
    transactions_[mode].Observe(seconds);
}

namespace {
void RenderHistogram(std::string& out, const std::string& name, const std::string& labels, const auto& h) {
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < Metrics::kBuckets.size(); ++i) {
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, Metrics::kBuckets[i], h.counts[i]);
    }
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, h.count);
    out += fmt::format("{}_sum{{{}}} {}\n", name, labels, h.sum);
    out += fmt::format("{}_count{{{}}} {}\n", name, labels, h.count);
}
}  // namespace

std::string Metrics::Render() const {
    std::lock_guard g(mutex_);
    std::string out;
    out += "# HELP evni_http_requests_total HTTP requests by route pattern, method and status.\n";
    out += "# TYPE evni_http_requests_total counter\n";
    for (const auto& [k, v] : requests_) {
        out += fmt::format("evni_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n", std::get<0>(k),
                           std::get<1>(k), std::get<2>(k), v);
    }
    out += "# HELP evni_http_request_duration_seconds HTTP request latency by route pattern and method.\n";
    out += "# TYPE evni_http_request_duration_seconds histogram\n";
    for (const auto& [k, h] : request_latency_) {
        RenderHistogram(out, "evni_http_request_duration_seconds",
                        fmt::format("method=\"{}\",route=\"{}\"", std::get<0>(k), std::get<1>(k)), h);
    }
    out += "# HELP evni_analyses_total Session analyses run, by result.\n";
    out += "# TYPE evni_analyses_total counter\n";
    if (analyses_.empty()) out += "evni_analyses_total{result=\"normal\"} 0\n";
    for (const auto& [k, v] : analyses_) out += fmt::format("evni_analyses_total{{result=\"{}\"}} {}\n", k, v);
    out += "# HELP evni_db_transaction_duration_seconds Database transaction durations by mode.\n";
    out += "# TYPE evni_db_transaction_duration_seconds histogram\n";
    if (transactions_.empty())
        RenderHistogram(out, "evni_db_transaction_duration_seconds", "mode=\"read\"", Histogram{});
    for (const auto& [k, h] : transactions_) {
        RenderHistogram(out, "evni_db_transaction_duration_seconds", fmt::format("mode=\"{}\"", k), h);
    }
    return out;
}

}  // namespace evni
