"""FileManager: run files from run databases, and the folder tree on SQLite and PostgreSQL."""

import os

import pytest
from sim2l.database import FileManager
from sim2l.database import RunDatabase
from sim2l.file_manager import EntryNotFoundError
from sim2l.file_manager import InvalidEntryError
from sim2l.file_manager import NameConflictError
from sim2l.rundb import ArtifactNotFoundError
from sim2l.rundb import InvalidExecutionIdError
from sim2l.rundb import RunNotFoundError


def make_run(execution_id, simulation="thermal_sim", version="1.0.0", files=None):
    with RunDatabase(execution_id) as run_db:
        run_db.initialize_run(simulation, version, capture_environment=False)
        for name, content in (files or {}).items():
            run_db.save_artifact(name, content=content, content_type="text/plain")
        run_db.complete_run("completed")


@pytest.fixture
def fm(run_folder, tmp_path):
    manager = FileManager(database_url=f"sqlite:///{tmp_path / 'files.db'}")
    yield manager
    manager.close()


def test_seed_file_manager_example(run_folder, tmp_path):
    make_run("exec-2024-001", files={"output.dat": b"12345", "log.txt": b"hello"})
    make_run("exec-2024-002", files={"other.dat": b"xyz"})
    make_run("exec-2024-003", version="2.0.0", files={"new.dat": b"n"})
    fm = FileManager()

    files = fm.get_run_files("exec-2024-001")
    assert [(f["name"], f["size"], f["category"], f["content_type"]) for f in files] == [
        ("output.dat", 5, "output", "text/plain"),
        ("log.txt", 5, "output", "text/plain"),
    ]
    success = fm.export_run_file("exec-2024-001", "output.dat", str(tmp_path / "output.dat"))
    assert success is True
    assert (tmp_path / "output.dat").read_bytes() == b"12345"

    files = fm.get_simulation_files("thermal_sim", "1.0.0")
    assert sorted((f["execution_id"], f["name"]) for f in files) == [
        ("exec-2024-001", "log.txt"),
        ("exec-2024-001", "output.dat"),
        ("exec-2024-002", "other.dat"),
    ]
    output_dir = str(tmp_path / "exports")
    os.makedirs(output_dir, exist_ok=True)
    for file in files:
        output_path = os.path.join(output_dir, file["name"])
        fm.export_run_file(file["execution_id"], file["name"], output_path)
    assert sorted(os.listdir(output_dir)) == ["log.txt", "other.dat", "output.dat"]

    folder = fm.create_folder(name="simulation_outputs", creator="user123")
    fm.create_file(
        name="result.csv",
        size=2048,
        uri="/data/result.csv",
        creator="user123",
        parent_id=folder["id"],
    )
    contents = fm.list_folder(folder["id"])
    assert [item["name"] for item in contents] == ["result.csv"]
    fm.close()


def test_default_store_is_under_sim2l_home(sim2l_home, run_folder):
    FileManager().close()
    assert (sim2l_home / "files.db").exists()


def test_export_never_overwrites_unless_asked(fm, tmp_path):
    make_run("exec-1", files={"out.txt": b"new"})
    dest = tmp_path / "existing.txt"
    dest.write_bytes(b"keep me")
    assert fm.export_run_file("exec-1", "out.txt", dest) is False
    assert dest.read_bytes() == b"keep me"
    assert fm.export_run_file("exec-1", "out.txt", dest, overwrite=True) is True
    assert dest.read_bytes() == b"new"


def test_export_of_missing_file_or_run_is_a_clear_error(fm, tmp_path):
    make_run("exec-1", files={"out.txt": b"x"})
    with pytest.raises(ArtifactNotFoundError, match="'exec-1' has no artifact 'absent.txt'"):
        fm.export_run_file("exec-1", "absent.txt", tmp_path / "a")
    with pytest.raises(RunNotFoundError, match="exec-nope"):
        fm.export_run_file("exec-nope", "out.txt", tmp_path / "b")
    assert list(tmp_path.glob("[ab]")) == []


def test_export_writes_only_the_destination(fm, tmp_path):
    """The stored name selects the artifact; it never becomes part of a path."""
    make_run("exec-1", files={"evil.txt": b"payload"})
    # Names that are paths cannot be stored in the first place ...
    with RunDatabase("exec-1") as run_db, pytest.raises(ValueError):
        run_db.save_artifact("../../evil.txt", content=b"x")
    # ... and asking for one exports nothing.
    with pytest.raises(ArtifactNotFoundError):
        fm.export_run_file("exec-1", "../../evil.txt", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    dest = tmp_path / "chosen-name"
    assert fm.export_run_file("exec-1", "evil.txt", dest) is True
    assert dest.read_bytes() == b"payload"


@pytest.mark.parametrize("execution_id", ["../runs/exec-1", "/etc/passwd", "..", "a/b", ""])
def test_bad_execution_ids_are_refused(fm, tmp_path, execution_id):
    with pytest.raises(InvalidExecutionIdError):
        fm.get_run_files(execution_id)
    with pytest.raises(InvalidExecutionIdError):
        fm.export_run_file(execution_id, "x", tmp_path / "x")


def test_missing_run(fm):
    with pytest.raises(RunNotFoundError):
        fm.get_run_files("exec-missing")


def test_simulation_files_skip_foreign_files(fm, run_folder):
    make_run("exec-1", files={"a": b"1"})
    make_run("exec-2", simulation="other_sim", files={"b": b"2"})
    (run_folder / "junk.db").write_bytes(b"not sqlite at all")
    (run_folder / "not a run.db").write_bytes(b"")
    files = fm.get_simulation_files("thermal_sim")
    assert [(f["execution_id"], f["name"]) for f in files] == [("exec-1", "a")]
    assert fm.get_simulation_files("thermal_sim", "9.9") == []


# ---------------------------------------------------------------- the folder tree, both backends


@pytest.fixture
def tree(database_url, run_folder):
    manager = FileManager(database_url=database_url)
    yield manager
    manager.close()


def test_folders_and_files(tree):
    root = tree.create_folder("outputs", "alice")
    assert root["id"] and root["kind"] == "folder" and root["parent_id"] is None
    sub = tree.create_folder("run-1", "alice", parent_id=root["id"])
    file = tree.create_file("result.csv", 2048, "/data/result.csv", "alice", parent_id=root["id"])
    assert file["size"] == 2048 and file["uri"] == "/data/result.csv"
    assert [(i["kind"], i["name"]) for i in tree.list_folder(root["id"])] == [
        ("folder", "run-1"),
        ("file", "result.csv"),
    ]
    assert [i["name"] for i in tree.list_folder()] == ["outputs"]
    assert tree.get_entry(sub["id"])["parent_id"] == root["id"]


def test_names_are_unique_per_folder(tree):
    root = tree.create_folder("outputs", "alice")
    with pytest.raises(NameConflictError):
        tree.create_folder("outputs", "bob")
    tree.create_file("a.csv", 1, "/a", "alice", parent_id=root["id"])
    with pytest.raises(NameConflictError):
        tree.create_file("a.csv", 1, "/a", "alice", parent_id=root["id"])
    tree.create_file("a.csv", 1, "/a", "alice")  # same name, other folder: fine


def test_move_rename_delete(tree):
    a = tree.create_folder("a", "alice")
    b = tree.create_folder("b", "alice", parent_id=a["id"])
    c = tree.create_folder("c", "alice", parent_id=b["id"])
    f = tree.create_file("f.txt", 3, "/f", "alice", parent_id=c["id"])

    with pytest.raises(InvalidEntryError):
        tree.move(a["id"], c["id"])  # into its own subtree
    with pytest.raises(InvalidEntryError):
        tree.move(a["id"], a["id"])
    with pytest.raises(InvalidEntryError):
        tree.move(a["id"], f["id"])  # a file is not a folder
    moved = tree.move(c["id"], None)
    assert moved["parent_id"] is None
    assert tree.rename(c["id"], "c2")["name"] == "c2"
    tree.create_folder("taken", "alice")
    with pytest.raises(NameConflictError):
        tree.rename(c["id"], "taken")

    with pytest.raises(InvalidEntryError):
        tree.delete(c["id"])  # not empty
    assert tree.delete(c["id"], recursive=True) == 2
    with pytest.raises(EntryNotFoundError):
        tree.get_entry(f["id"])
    assert tree.delete(a["id"], recursive=True) == 2
    assert [i["name"] for i in tree.list_folder()] == ["taken"]


@pytest.mark.parametrize(
    ("name", "size", "uri", "creator"),
    [
        ("", 1, "/x", "alice"),
        ("..", 1, "/x", "alice"),
        ("a/b", 1, "/x", "alice"),
        ("x" * 256, 1, "/x", "alice"),
        ("ok", -1, "/x", "alice"),
        ("ok", "big", "/x", "alice"),
        ("ok", 1, "", "alice"),
        ("ok", 1, "/x", ""),
    ],
)
def test_bad_entries_are_refused(tree, name, size, uri, creator):
    with pytest.raises(InvalidEntryError):
        tree.create_file(name, size, uri, creator)
    assert tree.list_folder() == []


def test_unknown_parent_and_entry(tree):
    with pytest.raises(EntryNotFoundError):
        tree.create_folder("x", "alice", parent_id=999999)
    with pytest.raises(EntryNotFoundError):
        tree.list_folder(999999)
    with pytest.raises(EntryNotFoundError):
        tree.delete(999999)


def test_list_folder_pages(tree):
    root = tree.create_folder("many", "alice")
    for n in range(5):
        tree.create_file(f"f{n}", n, f"/f{n}", "alice", parent_id=root["id"])
    page = tree.list_folder(root["id"], limit=2, offset=2)
    assert [item["name"] for item in page] == ["f2", "f3"]
