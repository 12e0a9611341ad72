"""The Prefect result serializer of large frames: found by its type, frames beside the results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tasks.frame_results import FrameResultSerializer


def test_the_prefect_serializer_is_found_by_its_type(tmp_path):
    from prefect.serializers import Serializer
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: tmp_path}):
        serializer = Serializer(type="gridflow-frame")
        assert isinstance(serializer, FrameResultSerializer)
        frame = pd.DataFrame({"x": np.arange(200_000, dtype="float64")})
        pd.testing.assert_frame_equal(serializer.loads(serializer.dumps(frame)), frame)
        assert list((tmp_path / "frames").rglob("*.parquet"))


def test_a_result_record_persists_and_reads_back(tmp_path):
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    load = pd.DataFrame({"x": np.arange(300_000, dtype="float64")})
    load.attrs["weather"] = pd.DataFrame({"y": np.arange(300_000, dtype="float64")})
    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: tmp_path}):
        store = ResultStore(result_storage=LocalFileSystem(basepath=str(tmp_path)),
                            serializer=FrameResultSerializer())
        store.persist_result_record(store.create_result_record({"data": load}, key="run-key"))
        back = ResultStore(result_storage=LocalFileSystem(basepath=str(tmp_path))).read("run-key").result
    pd.testing.assert_frame_equal(back["data"], load)
    pd.testing.assert_frame_equal(back["data"].attrs["weather"], load.attrs["weather"])
    assert (tmp_path / "run-key").stat().st_size < 10_000  # the record holds references, not rows


def test_a_record_whose_frame_file_is_gone_counts_as_not_cached(tmp_path):
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: tmp_path}):
        store = ResultStore(result_storage=LocalFileSystem(basepath=str(tmp_path)),
                            serializer=FrameResultSerializer())
        store.persist_result_record(store.create_result_record(pd.DataFrame({"x": np.arange(300_000.0)}), key="k"))
        assert store.exists("k")
        for path in (tmp_path / "frames").rglob("*.parquet"):
            path.unlink()
        assert not store.exists("k")  # so a Retry runs the task again instead of failing on the file
