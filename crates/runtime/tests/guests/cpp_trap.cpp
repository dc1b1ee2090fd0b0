// A C++ guest that traps a few frames deep, for the demangled backtrace
// test (tests/api/backtrace.rs). Freestanding: no libc, no entry point;
// `run` is the only export. Rebuild with ./build.sh.

namespace geometry {

struct Rect {
    int width;
    int height;
};

// A template, an overload and a method: names whose mangled forms carry
// their namespace, template arguments and parameter types.
template <typename T>
__attribute__((noinline)) T checked_div(T a, T b) {
    if (b == 0) {
        __builtin_trap();
    }
    return a / b;
}

__attribute__((noinline)) int aspect(const Rect& r) {
    return checked_div<int>(r.width, r.height);
}

__attribute__((noinline)) int aspect(const Rect& r, int scale) {
    return aspect(r) * scale;
}

}  // namespace geometry

extern "C" __attribute__((export_name("run"))) int run(int height) {
    geometry::Rect r{16, height};
    return geometry::aspect(r, 10);
}
