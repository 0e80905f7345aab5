"""``import mlsysim`` plus building the unit registry stays under 300 ms (issue 3, section 6).

Measured in fresh interpreters (min of 3 runs, so a busy machine does not fail the test);
interpreter start-up itself is excluded, the import and first quantity are included.
"""
import subprocess
import sys

CODE = ("import time; t = time.perf_counter(); import mlsysim; "
        "mlsysim.Q_('989 TFLOP/s') / mlsysim.Q_('3.35 TB/s'); "
        "print(time.perf_counter() - t)")


def test_import_under_300_ms():
    times = [float(subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(3)]
    assert min(times) < 0.300, f"import mlsysim took {min(times) * 1000:.0f} ms (min of 3)"


def test_import_does_not_load_registry_data():
    code = ("import sys, mlsysim; "
            "print(any(m.endswith(('hardware.registry', 'models.registry', 'systems.registry'))"
            " for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
