"""Run every benchmark: each bench/*_bench.py module's ``main()`` (``make bench``)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    failures = 0
    for path in sorted(HERE.glob("*_bench.py")):
        print(f"== {path.stem}", flush=True)
        # Each benchmark in a fresh interpreter: each sets up Django on its own database.
        code = (
            "import importlib.util;"
            f"spec = importlib.util.spec_from_file_location({path.stem!r}, {str(path)!r});"
            "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module);"
            "module.main()"
        )
        result = subprocess.run([sys.executable, "-c", code], cwd=HERE.parent, check=False)
        if result.returncode:  # report and go on with the other benchmarks
            failures += 1
            print(f"{path.stem} failed (exit {result.returncode})", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
