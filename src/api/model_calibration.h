#pragma once

// Threshold calibration of a fine-tune (docs/models.md): the engine's scores stay as they are; the
// decision threshold isAnomaly = (anomalyScore >= threshold) is chosen to maximise F1 on a tenant's
// labelled sessions.

#include <cstdint>
#include <vector>

namespace evni::api {

struct LabelledScore {
    double score = 0.0;
    bool anomaly = false;  // the label: a real anomaly
};

struct ThresholdQuality {
    double threshold = 0.5;
    std::int64_t true_positives = 0;
    std::int64_t false_positives = 0;
    std::int64_t false_negatives = 0;
    std::int64_t true_negatives = 0;
    double precision = 0.0;  // 0 when nothing is flagged
    double recall = 0.0;     // 0 when there is no positive
    double f1 = 0.0;
};

// Precision, recall and F1 of flagging score >= threshold.
ThresholdQuality Evaluate(const std::vector<LabelledScore>& labels, double threshold);

// The threshold maximising F1 on `labels`. Only the cut between two consecutive distinct scores
// matters; each cut is represented by 0.5 when 0.5 lies in it, else by the midpoint of the two scores
// (halfway from 0 below the lowest, halfway to 1 above the highest). Ties in F1 go to the representative closest
// to 0.5. Never below `min_threshold` (a threshold of 0 would flag every analysed session).
ThresholdQuality CalibrateThreshold(const std::vector<LabelledScore>& labels, double min_threshold = 0.05);

}  // namespace evni::api
