"""libcfnmetrics through ctypes: a thin caller of the C ABI for tests that need many values."""
import ctypes

from conftest import BUILD_DIR

TEXT, OPENMETRICS = 0, 1

class CfnError(Exception):
    def __init__(self, status, message):
        super().__init__(f"status {status}: {message}")
        self.status = status
        self.message = message

class Library:
    def __init__(self, path=None):
        lib = ctypes.CDLL(str(path or BUILD_DIR / "libcfnmetrics.so"))
        self.lib = lib
        ptr, char_pp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p)
        lib.cfn_registry_new.restype = ptr
        lib.cfn_registry_release.argtypes = [ptr]
        lib.cfn_last_error.restype = ctypes.c_char_p
        lib.cfn_buffer_free.argtypes = [ptr]
        lib.cfn_registry_render.argtypes = [ptr, ctypes.c_int, ctypes.POINTER(ptr),
                                            ctypes.POINTER(ctypes.c_size_t)]
        for name in ("cfn_counter_family", "cfn_gauge_family"):
            getattr(lib, name).argtypes = [ptr, ctypes.c_char_p, ctypes.c_char_p, char_pp,
                                           ctypes.c_size_t, ctypes.POINTER(ptr)]
        lib.cfn_histogram_family.argtypes = [ptr, ctypes.c_char_p, ctypes.c_char_p, char_pp,
                                             ctypes.c_size_t, ctypes.POINTER(ctypes.c_double),
                                             ctypes.c_size_t, ctypes.POINTER(ptr)]
        lib.cfn_family_series.argtypes = [ptr, char_pp, ctypes.c_size_t, ctypes.POINTER(ptr)]
        lib.cfn_family_release.argtypes = [ptr]
        lib.cfn_series_release.argtypes = [ptr]
        for name in ("cfn_counter_add", "cfn_gauge_set", "cfn_gauge_add",
                     "cfn_histogram_observe"):
            getattr(lib, name).argtypes = [ptr, ctypes.c_double]

    def check(self, status):
        if status != 0:
            raise CfnError(status, self.lib.cfn_last_error().decode("utf-8", "replace"))

def strings(values):
    encoded = [v if isinstance(v, bytes) else v.encode("utf-8") for v in values]
    return (ctypes.c_char_p * max(len(encoded), 1))(*encoded), len(encoded)

class Registry:
    """A registry of its own, released when closed."""

    def __init__(self, library):
        self.library = library
        self.handle = ctypes.c_void_p(library.lib.cfn_registry_new())
        self.held = []

    def family(self, kind, name, help_text, label_names=(), buckets=None):
        out = ctypes.c_void_p()
        names, count = strings(label_names)
        lib = self.library.lib
        if kind == "histogram":
            bounds = (ctypes.c_double * max(len(buckets), 1))(*buckets)
            status = lib.cfn_histogram_family(self.handle, name.encode(), help_text.encode(),
                                              names, count, bounds, len(buckets), ctypes.byref(out))
        else:
            function = getattr(lib, f"cfn_{kind}_family")
            status = function(self.handle, name.encode(), help_text.encode(), names, count,
                              ctypes.byref(out))
        self.library.check(status)
        self.held.append((lib.cfn_family_release, out))
        return out

    def series(self, family, values):
        out = ctypes.c_void_p()
        array, count = strings(values)
        self.library.check(self.library.lib.cfn_family_series(family, array, count,
                                                              ctypes.byref(out)))
        self.held.append((self.library.lib.cfn_series_release, out))
        return out

    def call(self, function, series, value):
        self.library.check(getattr(self.library.lib, function)(series, value))

    def render(self, format_code=TEXT):
        buffer = ctypes.c_void_p()
        length = ctypes.c_size_t()
        self.library.check(self.library.lib.cfn_registry_render(
            self.handle, format_code, ctypes.byref(buffer), ctypes.byref(length)))
        try:
            return ctypes.string_at(buffer, length.value).decode("utf-8")
        finally:
            self.library.lib.cfn_buffer_free(buffer)

    def close(self):
        for release, handle in reversed(self.held):
            release(handle)
        self.library.lib.cfn_registry_release(self.handle)
