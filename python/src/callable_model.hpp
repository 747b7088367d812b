// A Python callable as a ModelFunction: model(x, c[, y]) -> array, with x as numpy rows of the data's
// shape (n x shape), c one value per row (sigma, t or EDM's c_noise, as the convention says), y the
// rows' class ids. The C++ loops call it with the GIL released elsewhere: each call takes the GIL,
// copies the rows in (float64, or float32 when declared), checks the answer (shape, finite) and copies
// it out. A Python exception raised by the callable travels up as itself (pybind11::error_already_set).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "ayslab/denoisers/model_function.hpp"

namespace ayslab::python {

struct CallableSpec {
    std::vector<std::int64_t> shape;  // one row's shape (its product is dim)
    bool float32 = false;
    bool labels = false;
    std::string name;  // for messages
    // Optional: divergence(x, c[, y]) -> tr d model / dx per row (n values); None: central differences.
    pybind11::object divergence = pybind11::none();
};

class CallableModel final : public ModelFunction {
  public:
    CallableModel(pybind11::object callable, CallableSpec spec);
    ~CallableModel() override;
    std::size_t dim() const override { return dim_; }
    bool takes_labels() const override { return spec_.labels; }
    std::string description() const override { return spec_.name; }
    double rounding() const override { return spec_.float32 ? 0x1p-23 : 0x1p-52; }
    // Calls from several threads overlap where the callable lets the GIL go (PyTorch's operators do):
    // ayslab hands it row slices from its workers as it does a TorchScript module.
    bool concurrent() const override { return true; }
    void forward(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                 std::size_t threads, std::span<const std::int64_t> y) const override;
    bool has_jacobian_trace() const override { return !spec_.divergence.is_none(); }
    void jacobian_trace(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                        std::size_t threads, std::span<const std::int64_t> y) const override;
    // Calls made and rows evaluated so far (what a run cost in model evaluations).
    std::size_t calls() const { return calls_; }
    std::size_t rows() const { return rows_; }

  private:
    // fn(x, c[, y]) as a C-contiguous float64 array of `values` values (checked: size, n rows, finite).
    using Answer = pybind11::array_t<double, pybind11::array::c_style | pybind11::array::forcecast>;
    Answer call(const pybind11::object& fn, const char* what, std::span<const double> x,
                                   std::span<const double> c, std::size_t n, std::span<const std::int64_t> y,
                                   std::size_t values) const;
    pybind11::object callable_;
    CallableSpec spec_;
    std::size_t dim_ = 1;
    mutable std::size_t calls_ = 0, rows_ = 0;  // updated under the GIL
};

}  // namespace ayslab::python
