"""After large Arrow work, release_freed_memory hands the memory it freed back to the
operating system (measured in a fresh interpreter: the resident size falls)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from bot.memory import release_freed_memory

    def resident():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    rows = 1_000_000
    columns = {f"n{i}": np.arange(rows) * i for i in range(6)}
    columns["s"] = pa.array([f"v{i % 5000}" for i in range(rows)])
    pq.write_table(pa.table(columns), sys.argv[1], row_group_size=rows)
    del columns
    sample = next(pq.ParquetFile(sys.argv[1]).iter_batches(100_000)).to_pandas()
    del sample
    held = resident()
    release_freed_memory()
    release_freed_memory()  # a second call finds nothing more to return, and is harmless
    print(held - resident())
    """
)


def test_memory_freed_by_arrow_work_goes_back_to_the_os(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "t.parquet")],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    returned = int(done.stdout.strip())
    assert returned >= 20 * 2**20, f"only {returned / 2**20:.1f} MB returned"
