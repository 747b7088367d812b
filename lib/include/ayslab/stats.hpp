// Moment accumulators with standard errors, mergeable in a fixed order (deterministic reductions).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ayslab {

// Power sums of (x - shift) up to the fourth; shift should be near the mean for accuracy.
class Moments {
  public:
    explicit Moments(double shift = 0.0) : shift_(shift) {}
    void add(double x) {
        const double y = x - shift_, y2 = y * y;
        n_ += 1.0;
        s1_ += y;
        s2_ += y2;
        s3_ += y2 * y;
        s4_ += y2 * y2;
    }
    // Requires the same shift.
    void merge(const Moments& o) {
        n_ += o.n_;
        s1_ += o.s1_;
        s2_ += o.s2_;
        s3_ += o.s3_;
        s4_ += o.s4_;
    }
    double count() const { return n_; }
    double mean() const { return shift_ + s1_ / n_; }
    // Unbiased sample variance; clamped at 0 (rounding can make the one-pass formula slightly
    // negative for near-constant data, and a standard error must never be NaN).
    double variance() const {
        const double m = s1_ / n_;
        return std::max(0.0, (s2_ - n_ * m * m) / (n_ - 1.0));
    }
    double se_mean() const { return std::sqrt(variance() / n_); }
    // Standard error of the sample variance: sqrt((mu4 - sigma^4) / n), central moments estimated.
    double se_variance() const {
        const double m = s1_ / n_, e2 = s2_ / n_, e3 = s3_ / n_, e4 = s4_ / n_;
        const double mu2 = e2 - m * m;
        const double mu4 = e4 - 4.0 * m * e3 + 6.0 * m * m * e2 - 3.0 * m * m * m * m;
        return std::sqrt(std::max(mu4 - mu2 * mu2, 0.0) / n_);
    }

  private:
    double shift_;
    double n_ = 0.0, s1_ = 0.0, s2_ = 0.0, s3_ = 0.0, s4_ = 0.0;
};

}  // namespace ayslab
