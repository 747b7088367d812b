// Data sets made of points, which can say how far a sample is from the nearest of them (the
// memorisation metric); implemented by EmpiricalData and ShardedEmpiricalData.
#pragma once
#include <cstddef>
#include <span>

namespace ayslab {

class NearestPoint {
  public:
    virtual ~NearestPoint() = default;
    // Squared distance from each row of x (n x dim) to its nearest data point (n values).
    virtual void nearest_squared_distance(std::span<const double> x, std::size_t n,
                                          std::span<double> out) const = 0;
    // The nearest data point itself for each row of x (out: n x dim; the first of equally near ones):
    // true when this data can give it (one process holds all points), false otherwise.
    virtual bool nearest_rows(std::span<const double> x, std::size_t n, std::span<double> out) const {
        (void)x, (void)n, (void)out;
        return false;
    }
};

}  // namespace ayslab
