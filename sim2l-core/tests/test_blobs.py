"""Artifacts: content-addressed, chunked, streamed in and out with bounded memory."""

import hashlib
import io
import subprocess
import sys
import textwrap

import pytest
from sim2l.rundb import ArtifactNotFoundError
from sim2l.rundb import InvalidNameError
from sim2l.rundb import RunDatabase
from sim2l.rundb.blobs import CHUNK_SIZE


@pytest.fixture
def run(tmp_path):
    with RunDatabase("exec-art", base_path=tmp_path) as run_db:
        yield run_db


def test_bytes_str_path_stream_and_iterable(run, tmp_path):
    source = tmp_path / "output.dat"
    source.write_bytes(b"from a file")
    run.save_artifact("bytes.bin", content=b"\x00\x01")
    run.save_artifact("text.txt", content="héllo", category="log")
    run.save_artifact("output.dat", path=source)
    run.save_artifact("stream.bin", content=io.BytesIO(b"streamed"))
    run.save_artifact("pieces.bin", content=[b"a", b"bc", b""])
    assert run.read_artifact("bytes.bin") == b"\x00\x01"
    assert run.read_artifact("text.txt") == "héllo".encode()
    assert run.read_artifact("output.dat") == b"from a file"
    assert run.read_artifact("stream.bin") == b"streamed"
    assert run.read_artifact("pieces.bin") == b"abc"
    record = run.get_artifact("output.dat")
    assert record["sha256"] == hashlib.sha256(b"from a file").hexdigest()
    assert record["size"] == 11
    assert record["source_name"] == "output.dat"
    assert [a["name"] for a in run.get_artifacts(category="log")] == ["text.txt"]


def test_equal_contents_are_stored_once_and_replacements_free_space(run):
    run.save_artifact("a", content=b"same")
    run.save_artifact("b", content=b"same")
    count = run._connection.execute("SELECT count(*) FROM blobs").fetchone()[0]
    assert count == 1
    run.save_artifact("a", content=b"other")
    run.save_artifact("b", content=b"other")
    shas = [row[0] for row in run._connection.execute("SELECT sha256 FROM blobs")]
    assert shas == [hashlib.sha256(b"other").hexdigest()]
    assert run.get_summary()["artifact_bytes"] == 10


def test_multi_chunk_content_and_seeking(run):
    data = bytes(range(256)) * (CHUNK_SIZE // 256 * 2 + 10)
    run.save_artifact("big.bin", content=data)
    assert run.read_artifact("big.bin") == data
    with run.open_artifact("big.bin") as stream:
        stream.seek(CHUNK_SIZE - 3)
        assert stream.read(6) == data[CHUNK_SIZE - 3 : CHUNK_SIZE + 3]
        stream.seek(-4, io.SEEK_END)
        assert stream.read() == data[-4:]


def test_export_never_overwrites_unless_asked(run, tmp_path):
    run.save_artifact("out.txt", content=b"new")
    dest = tmp_path / "exported.txt"
    dest.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        run.export_artifact("out.txt", dest)
    assert dest.read_bytes() == b"precious"
    run.export_artifact("out.txt", dest, overwrite=True)
    assert dest.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_missing_artifact(run):
    run.save_artifact("present.txt", content=b"x")
    with pytest.raises(ArtifactNotFoundError, match="nope"):
        run.read_artifact("nope")


@pytest.mark.parametrize("name", ["../escape", "a/b", "a\\b", ".", "..", "", "x" * 256])
def test_artifact_names_are_plain_file_names(run, name):
    with pytest.raises(InvalidNameError):
        run.save_artifact(name, content=b"x")


def test_content_and_path_are_exclusive(run, tmp_path):
    with pytest.raises(ValueError):
        run.save_artifact("x", content=b"x", path=tmp_path / "x")
    with pytest.raises(ValueError):
        run.save_artifact("x")
    with pytest.raises(TypeError):
        run.save_artifact("x", content=io.StringIO("text mode"))
    assert run.get_artifacts() == []


def test_failed_stream_leaves_nothing_behind(run):
    def broken():
        yield b"x" * CHUNK_SIZE
        raise OSError("disk went away")

    with pytest.raises(OSError, match="went away"):
        run.save_artifact("broken.bin", content=broken())
    assert run.get_artifacts() == []
    assert run._connection.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 0


GIGABYTE_SCRIPT = textwrap.dedent(
    """
    import hashlib, resource, sys
    from sim2l.rundb import RunDatabase

    SIZE = 1024 ** 3
    BLOCK = 1024 * 1024

    class Generated:
        '''1 GiB of deterministic bytes, produced block by block.'''
        def __init__(self):
            self.position = 0
            self.digest = hashlib.sha256()
        def read(self, size):
            size = min(size, SIZE - self.position)
            if size <= 0:
                return b""
            block = (self.position // BLOCK).to_bytes(8, "little") * (size // 8 + 1)
            block = block[:size]
            self.position += size
            self.digest.update(block)
            return block

    source = Generated()
    with RunDatabase("exec-gb", base_path=sys.argv[1]) as run_db:
        record = run_db.save_artifact("huge.bin", content=source)
        assert record["size"] == SIZE, record
        assert record["sha256"] == source.digest.hexdigest()
        digest = hashlib.sha256()
        size = 0
        for chunk in run_db.iter_artifact("huge.bin"):
            digest.update(chunk)
            size += len(chunk)
        assert size == SIZE and digest.hexdigest() == record["sha256"]
        run_db.export_artifact("huge.bin", sys.argv[2])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def test_one_gigabyte_artifact_streams_with_bounded_memory(tmp_path):
    exported = tmp_path / "huge.bin"
    result = subprocess.run(
        [sys.executable, "-c", GIGABYTE_SCRIPT, str(tmp_path / "runs"), str(exported)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    peak_kib = int(result.stdout.split()[-1])
    # 1 GiB went in and out; the process never held more than a small part of it.
    assert peak_kib < 200 * 1024, f"peak RSS {peak_kib} KiB"
    assert exported.stat().st_size == 1024**3
