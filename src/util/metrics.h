#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace evni {

// Process-wide counters and histograms rendered in the Prometheus text format by /metrics.
// Thread-safe; label sets are small and fixed (route patterns, not raw paths).
class Metrics {
  public:
    static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

    void ObserveRequest(const std::string& method, const std::string& route, int status, double seconds);
    void CountAnalysis(const std::string& result);
    void ObserveTransaction(const std::string& mode, double seconds);
    std::string Render() const;

  private:
    struct Histogram {
        std::array<std::uint64_t, kBuckets.size()> counts{};
        std::uint64_t count = 0;
        double sum = 0;
        void Observe(double v);
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
    std::map<std::tuple<std::string, std::string>, Histogram> request_latency_;
    std::map<std::string, std::uint64_t> analyses_;
    std::map<std::string, Histogram> transactions_;
};

}  // namespace evni
