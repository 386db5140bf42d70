#include "api/model_calibration.h"

#include <algorithm>
#include <cmath>

namespace evni::api {

ThresholdQuality Evaluate(const std::vector<LabelledScore>& labels, double threshold) {
    ThresholdQuality q;
    q.threshold = threshold;
    for (const auto& l : labels) {
        const bool flagged = l.score >= threshold;
        if (flagged && l.anomaly) ++q.true_positives;
        if (flagged && !l.anomaly) ++q.false_positives;
        if (!flagged && l.anomaly) ++q.false_negatives;
        if (!flagged && !l.anomaly) ++q.true_negatives;
    }
    const auto tp = static_cast<double>(q.true_positives);
    if (q.true_positives + q.false_positives > 0)
        q.precision = tp / static_cast<double>(q.true_positives + q.false_positives);
    if (q.true_positives + q.false_negatives > 0)
        q.recall = tp / static_cast<double>(q.true_positives + q.false_negatives);
    if (q.precision + q.recall > 0) q.f1 = 2 * q.precision * q.recall / (q.precision + q.recall);
    return q;
}

ThresholdQuality CalibrateThreshold(const std::vector<LabelledScore>& labels, double min_threshold) {
    std::vector<double> scores;
    scores.reserve(labels.size());
    for (const auto& l : labels) scores.push_back(l.score);
    std::sort(scores.begin(), scores.end());
    scores.erase(std::unique(scores.begin(), scores.end()), scores.end());

    // Cut i flags the scores >= scores[i] (i == size: none); its thresholds are (scores[i-1], scores[i]].
    std::vector<double> candidates;
    for (std::size_t i = 0; i <= scores.size(); ++i) {
        const double lo = i == 0 ? 0.0 : scores[i - 1];
        const double hi = i == scores.size() ? 1.0 : scores[i];
        double t = (lo + hi) / 2;
        if (0.5 > lo && 0.5 <= hi) t = 0.5;
        if (i == scores.size() && lo >= 1.0) continue;
        if (t < min_threshold) {
            // The cut's thresholds lie below the floor: use the floor when it still falls inside the cut.
            if (min_threshold > hi) continue;
            t = min_threshold;
        }
        candidates.push_back(t);
    }
    if (candidates.empty()) candidates.push_back(std::max(0.5, min_threshold));

    ThresholdQuality best = Evaluate(labels, candidates.front());
    for (std::size_t i = 1; i < candidates.size(); ++i) {
        auto q = Evaluate(labels, candidates[i]);
        const double d = std::abs(q.threshold - 0.5), best_d = std::abs(best.threshold - 0.5);
        if (q.f1 > best.f1 + 1e-12 || (std::abs(q.f1 - best.f1) <= 1e-12 && d < best_d)) best = q;
    }
    return best;
}

}  // namespace evni::api
