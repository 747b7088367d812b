// The Python extension ayslab._ayslab: the C++ library's own types (processes, data sets with their
// exact denoisers), arrays in and out in memory. It links the library alone; run-experiment's
// experiments are the separate extension ayslab._experiments (experiments_module.cpp). Everything
// numerical is the library's; python/ayslab/*.py only arranges arguments (docs/python.md).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "ayslab/data/datasets.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/solver/sampler.hpp"
#include "callable_model.hpp"
#include "ayslab/error.hpp"
#include "ayslab/precision.hpp"
#include "ayslab/process/process.hpp"

namespace py = pybind11;
using namespace ayslab;

namespace {

using Rows = py::array_t<double, py::array::c_style | py::array::forcecast>;

// sigma <= 0 or NaN gave NaN results instead of an error (round four, low).
void positive_sigma(double sigma) {
    if (!(sigma > 0.0) || !std::isfinite(sigma)) throw InputError(fmt::format("sigma: {} is not a positive number", sigma));
}

// x as n rows of d values (any trailing shape whose product is d); InputError naming `what` otherwise.
std::size_t rows_of(const Rows& x, std::size_t d, const char* what) {
    if (x.ndim() < 1 || x.shape(0) == 0 || static_cast<std::size_t>(x.size()) != static_cast<std::size_t>(x.shape(0)) * d)
        throw InputError(fmt::format("{}: needs n rows of {} values (n x {} or n x shape), got {} values in {} dimensions",
                                     what, d, d, x.size(), x.ndim()));
    return static_cast<std::size_t>(x.shape(0));
}

py::array_t<double> like(const Rows& x) {
    std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
    return py::array_t<double>(shape);
}

std::vector<Label> labels_of(const py::object& labels, std::size_t n) {
    if (labels.is_none()) return {};
    const auto y = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(labels);
    if (!y || y.ndim() > 1) throw InputError("labels: needs one class id per row (1-D integers) or one for all");
    std::vector<Label> out(y.data(), y.data() + y.size());
    // An empty list is not "no labels" (that is labels=None): sizes here, ranges by the denoiser.
    if (out.empty() && n > 0) throw InputError(fmt::format("labels: 0 labels for {} rows (need one per row, or one for all)", n));
    check_labels(out, n, std::numeric_limits<std::size_t>::max());
    return out;
}

// f(t) of a process over a scalar or an array of t (the same shape back; a float for a scalar).
py::object over(const Process& p, const py::object& t, double (*f)(const Process&, double)) {
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(t);
    if (!a) throw InputError("t: needs a number or an array of numbers");
    std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
    py::array_t<double> out(shape);
    const double* in = a.data();
    double* o = out.mutable_data();
    for (py::ssize_t i = 0; i < a.size(); ++i) o[i] = f(p, in[i]);
    if (a.ndim() == 0) return py::float_(o[0]);
    return out;
}

// D(x; sigma) (one sigma or one per row; labels none, one per row) by the denoiser, out shaped as x.
py::array_t<double> denoise_with(const Denoiser& den, const Rows& x, const py::object& sigma, const py::object& labels) {
    const std::size_t n = rows_of(x, den.dim(), "x");
    const auto sig = Rows::ensure(sigma);
    if (!sig || (sig.size() != 1 && static_cast<std::size_t>(sig.size()) != n))
        throw InputError(fmt::format("sigma: needs one value or one per row ({}), got {}", n, sig ? sig.size() : 0));
    const std::vector<Label> y = labels_of(labels, n);
    auto out = like(x);
    const std::span<const double> xs(x.data(), n * den.dim());
    const std::span<double> os(out.mutable_data(), n * den.dim());
    const std::span<const double> ss(sig.data(), static_cast<std::size_t>(sig.size()));
    const bool one = std::all_of(ss.begin(), ss.end(), [&](double v) { return v == ss[0]; });
    for (const double v : ss)
        if (!(v > 0.0) || !std::isfinite(v)) throw InputError(fmt::format("sigma: {} is not a positive number", v));
    py::gil_scoped_release release;  // a Python model takes it back for each call
    if (!y.empty() && one) {
        den.denoise_labelled(xs, n, ss[0], y, os);
    } else if (!y.empty()) {
        den.denoise_rows_labelled(xs, n, ss, y, os);
    } else if (one) {
        den.denoise(xs, n, ss[0], os);
    } else {
        den.denoise_rows(xs, n, ss, os);
    }
    return out;
}

// tr dD/dx per row at one sigma.
py::array_t<double> divergence_with(const Denoiser& den, const Rows& x, double sigma, const py::object& labels) {
    positive_sigma(sigma);
    const std::size_t n = rows_of(x, den.dim(), "x");
    const std::vector<Label> y = labels_of(labels, n);
    py::array_t<double> out(static_cast<py::ssize_t>(n));
    const std::span<const double> xs(x.data(), n * den.dim());
    const std::span<double> os(out.mutable_data(), n);
    py::gil_scoped_release release;
    if (y.empty()) den.jacobian_trace(xs, n, sigma, os);
    else den.jacobian_trace_labelled(xs, n, sigma, y, os);
    return out;
}

// A denoiser of the library's: a data set's exact one (kept alive with its data) or a model's.
struct PyDenoiser {
    std::shared_ptr<const Denoiser> denoiser;
};

// The user's callable in its convention (network.hpp ModelConvention) as a Denoiser.
PyDenoiser model_denoiser(py::object fn, std::vector<std::int64_t> shape, bool float32, bool labels, std::string name,
                          py::object divergence, const std::string& parametrisation, const std::string& model_time,
                          std::string model_process, double sigma_data, std::size_t classes, std::int64_t null_label) {
    const ModelConvention convention =
        model_convention(parametrisation, model_time, std::move(model_process), sigma_data, classes, null_label);
    auto callable = std::make_shared<python::CallableModel>(
        std::move(fn), python::CallableSpec{std::move(shape), float32, labels, std::move(name), std::move(divergence)});
    return {std::make_shared<NetworkDenoiser>(std::move(callable), convention, 1)};
}

// The solver's keyword arguments by the names the CLI's keys use (solver.hpp set_solver_option).
SolverOptions solver_options(const py::dict& given) {
    SolverOptions o;
    for (const auto& [key, value] : given) set_solver_option(o, key.cast<std::string>(), value.cast<double>());
    return o;
}

// x (n rows) run down the schedule by the solver with the denoiser: the end points, shaped as x.
py::tuple solve(const PyDenoiser& d, const Rows& sigmas, const Rows& x, const std::string& solver_name,
                std::uint64_t seed, const py::object& labels, std::size_t threads, std::size_t chunk,
                const py::dict& options) {
    const Denoiser& den = *d.denoiser;
    const Schedule schedule = schedule_of(std::vector<double>(sigmas.data(), sigmas.data() + sigmas.size()), "sigmas");
    const auto solver = make_solver(solver_name, solver_options(options));
    const std::size_t n = rows_of(x, den.dim(), "x");
    const std::vector<Label> y = labels_of(labels, n);
    auto out = like(x);
    std::copy(x.data(), x.data() + n * den.dim(), out.mutable_data());
    SampleStats stats;
    {
        py::gil_scoped_release release;
        stats = sample(den, *solver, schedule, {out.mutable_data(), n * den.dim()}, n,
                       {seed, resolve_threads(threads), sampler_chunk(den, chunk, 256, n), nullptr, y});
    }
    return py::make_tuple(out, stats.nfe);
}

struct PyProcess {
    std::shared_ptr<const Process> process;
};

// A built-in data set or a file, as run-experiment's data keys make it.
struct PyData {
    std::shared_ptr<const Dataset> set;
    const Data& data() const { return *set->data; }
    PyDenoiser denoiser() const { return {std::shared_ptr<const Denoiser>(set, &set->data->denoiser())}; }
};

}  // namespace

PYBIND11_MODULE(_ayslab, m) {
    m.doc() = "ayslab's C++ library: its types (use the ayslab package, not this module)";
    py::register_exception<InputError>(m, "InputError", PyExc_ValueError);
    py::register_exception<NumericalError>(m, "NumericalError", PyExc_FloatingPointError);

    m.def("processes", &process_names);
    m.def("solvers", [] { return solver_names(); });
    m.def("schedule_kinds", &schedule_kinds);

    py::class_<PyDenoiser>(m, "Denoiser", R"doc(A denoiser of the library's: D(x; sigma) = E[x0 | x] in k-diffusion's
convention (x = x0 + sigma eps). Data(name).denoiser is a data set's exact one; Model(...).denoiser() is
your callable read in its convention. denoise(x, sigma, labels=None), divergence(x, sigma, labels=None),
dim, classes.)doc")
        .def_property_readonly("dim", [](const PyDenoiser& d) { return d.denoiser->dim(); })
        .def_property_readonly("classes", [](const PyDenoiser& d) { return d.denoiser->classes(); })
        .def("denoise", [](const PyDenoiser& d, const Rows& x, const py::object& sigma, const py::object& labels) {
                 return denoise_with(*d.denoiser, x, sigma, labels);
             },
             py::arg("x"), py::arg("sigma"), py::arg("labels") = py::none())
        .def("divergence", [](const PyDenoiser& d, const Rows& x, double sigma, const py::object& labels) {
                 return divergence_with(*d.denoiser, x, sigma, labels);
             },
             py::arg("x"), py::arg("sigma"), py::arg("labels") = py::none());
    m.def("model_denoiser", &model_denoiser, py::arg("fn"), py::arg("shape"), py::arg("float32"), py::arg("labels"),
          py::arg("name"), py::arg("divergence"), py::arg("parametrisation"), py::arg("model_time"),
          py::arg("model_process"), py::arg("model_sigma_data"), py::arg("model_labels"), py::arg("model_null_label"));
    m.def("solve", &solve, py::arg("denoiser"), py::arg("sigmas"), py::arg("x"), py::arg("solver") = "euler",
          py::arg("seed") = 0, py::arg("labels") = py::none(), py::arg("threads") = 0, py::arg("chunk") = 0,
          py::arg("options") = py::dict());
    m.def("make_schedule",
          [](const std::string& kind, std::size_t steps, double sigma_min, double sigma_max, double rho, double c,
             const std::string& process, double denoise) {
              const auto p = make_process(process);
              const ScheduleSpec spec{.steps = steps, .sigma_min = sigma_min, .sigma_max = sigma_max, .rho = rho, .c = c,
                                      .process = p.get(), .denoise = denoise};
              if (kind == "file") throw InputError("schedule kind 'file': pass the sigmas themselves");
              const Schedule schedule = make_schedule(kind, spec);
              const auto sigmas = schedule.sigmas();
              py::array_t<double> out(static_cast<py::ssize_t>(sigmas.size()));
              std::copy(sigmas.begin(), sigmas.end(), out.mutable_data());
              return out;
          },
          py::arg("kind"), py::arg("steps") = 10, py::arg("sigma_min") = 0.002, py::arg("sigma_max") = 80.0,
          py::arg("rho") = 7.0, py::arg("c") = 0.5, py::arg("process") = "edm", py::arg("denoise") = 1.0);
    using Fn = double (*)(const Process&, double);
    auto method = [](Fn f) {
        return [f](const PyProcess& p, const py::object& x) { return over(*p.process, x, f); };
    };
    py::class_<PyProcess>(m, "Process", R"doc(A forward process in the (s(t), sigma(t)) form of MATH.md §1:
x_t = s(t) (x_0 + sigma(t) eps). Names as run-experiment's `process` key (processes()).

s(t), sigma(t), ds_dt(t), dsigma_dt(t), f(t) = s'/s, g2(t) = 2 s^2 sigma sigma', t_of_sigma(sigma):
each takes a number or an array (the same shape back); t_min, t_max, sigma_min, sigma_max, name.)doc")
        .def(py::init([](const std::string& name) { return PyProcess{make_process(name)}; }), py::arg("name"))
        .def_property_readonly("name", [](const PyProcess& p) { return p.process->name(); })
        .def_property_readonly("t_min", [](const PyProcess& p) { return p.process->t_min(); })
        .def_property_readonly("t_max", [](const PyProcess& p) { return p.process->t_max(); })
        .def_property_readonly("sigma_min", [](const PyProcess& p) { return p.process->sigma_min(); })
        .def_property_readonly("sigma_max", [](const PyProcess& p) { return p.process->sigma_max(); })
        .def("s", method([](const Process& p, double t) { return p.s(t); }), py::arg("t"))
        .def("sigma", method([](const Process& p, double t) { return p.sigma(t); }), py::arg("t"))
        .def("ds_dt", method([](const Process& p, double t) { return p.ds_dt(t); }), py::arg("t"))
        .def("dsigma_dt", method([](const Process& p, double t) { return p.dsigma_dt(t); }), py::arg("t"))
        .def("f", method([](const Process& p, double t) { return p.f(t); }), py::arg("t"))
        .def("g2", method([](const Process& p, double t) { return p.g2(t); }), py::arg("t"))
        .def("t_of_sigma", method([](const Process& p, double s) { return p.t_of_sigma(s); }), py::arg("sigma"))
        .def("__repr__", [](const PyProcess& p) { return fmt::format("ayslab.Process('{}')", p.process->name()); });

    py::class_<PyData>(m, "Data", R"doc(A data set with its exact denoiser, densities and draws: a built-in set by
name (ring8, mixture, moons, gaussian, fashion-mnist, ...) or name="file" with file=PATH (and labels=PATH),
made as run-experiment's data keys make it.

denoise(x, sigma, labels=None): E[x0 | x] (n rows; sigma one value or one per row; labels: class ids);
divergence(x, sigma, labels=None): tr dD/dx per row;
sample(n, seed=0, labels=False): n draws (with labels=True: (draws, class ids));
log_density(x, sigma=0): log p_sigma per row; held_out: the held-out rows; dim, classes, name.)doc")
        .def(py::init([](const std::string& name, std::uint64_t seed, std::size_t points, std::size_t held_out,
                         const std::string& file, const std::string& labels, std::size_t subset, const std::string& precision) {
                 DatasetOptions o;
                 o.seed = seed;
                 o.points = points;
                 o.held_out = held_out;
                 o.file = file;
                 o.labels_file = labels;
                 o.subset = subset;
                 o.precision = parse_precision(precision);
                 return PyData{std::make_shared<const Dataset>(make_dataset(name, o))};
             }),
             py::arg("name"), py::arg("seed") = 0, py::arg("points") = 4000, py::arg("held_out") = 4000,
             py::arg("file") = "", py::arg("labels") = "", py::arg("subset") = 10000, py::arg("precision") = "float64")
        .def_property_readonly("name", [](const PyData& d) { return d.set->name; })
        .def_property_readonly("dim", [](const PyData& d) { return d.data().dim(); })
        .def_property_readonly("classes", [](const PyData& d) { return d.data().classes(); })
        .def_property_readonly("held_out", [](const PyData& d) {
            const auto& h = d.set->held_out;
            py::array_t<double> out({static_cast<py::ssize_t>(h.n), static_cast<py::ssize_t>(h.d)});
            std::copy(h.values.begin(), h.values.end(), out.mutable_data());
            return out;
        })
        .def_property_readonly("denoiser", [](const PyData& d) { return d.denoiser(); },
                               "the data's exact denoiser (a Denoiser: for solve, or its own denoise)")
        .def("denoise", [](const PyData& d, const Rows& x, const py::object& sigma, const py::object& labels) {
                 return denoise_with(d.data().denoiser(), x, sigma, labels);
             },
             py::arg("x"), py::arg("sigma"), py::arg("labels") = py::none())
        .def("divergence", [](const PyData& d, const Rows& x, double sigma, const py::object& labels) {
                 return divergence_with(d.data().denoiser(), x, sigma, labels);
             },
             py::arg("x"), py::arg("sigma"), py::arg("labels") = py::none())
        .def("sample", [](const PyData& d, std::size_t n, std::uint64_t seed, bool labelled) -> py::object {
                 const std::size_t dim = d.data().dim();
                 py::array_t<double> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(dim)});
                 std::span<double> os(out.mutable_data(), n * dim);
                 if (!labelled) {
                     d.data().sample(n, seed, 0, os);
                     return out;
                 }
                 std::vector<Label> y(n);
                 d.data().sample_labelled(n, seed, 0, os, y);
                 py::array_t<std::int64_t> ya(static_cast<py::ssize_t>(n));
                 std::copy(y.begin(), y.end(), ya.mutable_data());
                 return py::make_tuple(out, ya);
             },
             py::arg("n"), py::arg("seed") = 0, py::arg("labels") = false)
        .def("log_density", [](const PyData& d, const Rows& x, double sigma) {
                 positive_sigma(sigma);
                 const std::size_t n = rows_of(x, d.data().dim(), "x");
                 py::array_t<double> out(static_cast<py::ssize_t>(n));
                 d.data().log_density_rows({x.data(), n * d.data().dim()}, n, sigma, {out.mutable_data(), n});
                 return out;
             },
             py::arg("x"), py::arg("sigma") = 0.0);
}
