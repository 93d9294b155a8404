import os
import stat

from nasedu.files import write_atomically


def test_an_atomic_write_leaves_the_whole_file_with_ordinary_permissions(tmp_path):
    path = tmp_path / "sub" / "table.json"
    write_atomically(path, b"old")
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in path.parent.iterdir()] == ["table.json"]  # no temporary left
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask  # readable by others, as open()
