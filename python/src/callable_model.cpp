#include "callable_model.hpp"

#include <fmt/format.h>
#include <pybind11/numpy.h>

#include <algorithm>
#include <cmath>

#include "ayslab/error.hpp"
#include "interrupt.hpp"

namespace py = pybind11;

namespace ayslab::python {

CallableModel::CallableModel(py::object callable, CallableSpec spec) : callable_(std::move(callable)), spec_(std::move(spec)) {
    if (spec_.shape.empty()) throw InputError("a model needs the shape of one row (e.g. (2,) or (1, 28, 28))");
    for (const auto v : spec_.shape) {
        if (v <= 0) throw InputError(fmt::format("model shape entries must be positive, got {}", v));
        dim_ *= static_cast<std::size_t>(v);
    }
}

CallableModel::~CallableModel() {
    // The last reference may go on a thread without the GIL (a worker's copy of the run's state).
    py::gil_scoped_acquire gil;
    callable_ = py::object();
}

namespace {
template <class T>
py::array rows_array(std::span<const double> x, const std::vector<py::ssize_t>& shape) {
    py::array_t<T> a(shape);
    std::transform(x.begin(), x.end(), a.mutable_data(), [](double v) { return static_cast<T>(v); });
    return a;
}
}  // namespace

CallableModel::Answer CallableModel::call(const py::object& fn, const char* what, std::span<const double> x,
                                        std::span<const double> c, std::size_t n, std::span<const std::int64_t> y,
                                        std::size_t values) const {
    std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(n)};
    for (const auto v : spec_.shape) shape.push_back(static_cast<py::ssize_t>(v));
    const py::array xa = spec_.float32 ? rows_array<float>(x, shape) : rows_array<double>(x, shape);
    const py::array ca = spec_.float32 ? rows_array<float>(c, {static_cast<py::ssize_t>(n)})
                                       : rows_array<double>(c, {static_cast<py::ssize_t>(n)});
    py::object answer;
    if (spec_.labels) {
        py::array_t<std::int64_t> ya(static_cast<py::ssize_t>(n));
        std::copy(y.begin(), y.end(), ya.mutable_data());
        answer = fn(xa, ca, ya);
    } else {
        answer = fn(xa, ca);
    }
    // A diffusers-style output (an object or dict with .sample) or a tuple: its sample, or first element.
    if (py::isinstance<py::dict>(answer) && answer.contains("sample"))
        answer = answer["sample"];
    else if (!py::isinstance<py::array>(answer) && py::hasattr(answer, "sample"))
        answer = answer.attr("sample");
    else if (py::isinstance<py::tuple>(answer) && py::len(answer) > 0)
        answer = answer[py::int_(0)];
    // A torch tensor (any device, with or without grad): detached, on the CPU.
    if (py::hasattr(answer, "detach") && py::hasattr(answer, "cpu")) answer = answer.attr("detach")().attr("cpu")();
    // numpy arrays, or anything numpy can read (lists; a torch CPU tensor through __array__); real
    // floating point only: a complex output lost its imaginary part, integers and booleans are no denoiser.
    if (answer.is_none()) throw py::type_error(fmt::format("{} of model {} returned None, not an array", what, spec_.name));
    const py::array as_array = py::array::ensure(answer);  // its own dtype, not cast
    if (!as_array) {
        throw py::type_error(fmt::format("{} of model {} returned {}, not an array", what, spec_.name,
                                         py::str(py::type::of(answer)).cast<std::string>()));
    }
    const char kind = as_array.dtype().kind();
    if (kind != 'f')
        throw py::type_error(fmt::format("{} of model {} returned an array of dtype {}; it must be real floating point "
                                         "(float32 or float64)",
                                         what, spec_.name,
                                         py::str(as_array.dtype()).cast<std::string>()));
    auto got = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(as_array);
    if (!got) {
        PyErr_Clear();
        throw py::type_error(fmt::format("{} of model {} returned {}, not an array", what, spec_.name,
                                         py::str(py::type::of(answer)).cast<std::string>()));
    }
    if (static_cast<std::size_t>(got.size()) != values || got.ndim() == 0 || got.shape(0) != static_cast<py::ssize_t>(n)) {
        std::string seen = "(";
        for (py::ssize_t k = 0; k < got.ndim(); ++k) seen += fmt::format("{}{}", k ? ", " : "", got.shape(k));
        throw py::value_error(fmt::format("{} of model {} returned an array of shape {}) for x of {} rows of {} values; "
                                          "it must return {} per row",
                                          what, spec_.name, seen, n, dim_, values == n ? "one value" : "a row shaped as x"));
    }
    const double* p = got.data();
    const std::size_t per_row = values / n;
    for (std::size_t k = 0; k < values; ++k)
        if (!std::isfinite(p[k]))  // FloatingPointError in Python; a pre-flight reading that gives it ranks last
            throw NumericalError(fmt::format("{} of model {} returned a non-finite value ({}) at row {} (c = {})", what,
                                             spec_.name, p[k], k / per_row, c[k / per_row]));
    return got;
}

void CallableModel::forward(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                            std::size_t, std::span<const std::int64_t> y) const {
    py::gil_scoped_acquire gil;
    raise_if_interrupted();
    const auto got = call(callable_, "the output", x, c, n, y, n * dim_);
    ++calls_;
    rows_ += n;
    std::copy_n(got.data(), n * dim_, out.begin());
}

void CallableModel::jacobian_trace(std::span<const double> x, std::span<const double> c, std::size_t n,
                                   std::span<double> out, std::size_t, std::span<const std::int64_t> y) const {
    py::gil_scoped_acquire gil;
    raise_if_interrupted();
    const auto got = call(spec_.divergence, "the divergence", x, c, n, y, n);
    std::copy_n(got.data(), n, out.begin());
}

}  // namespace ayslab::python
