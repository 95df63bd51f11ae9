"""`trade ...` run in the test's own process, its exit code and output captured."""

from __future__ import annotations

from framework.cli import main


def invoke(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `trade ARGV`; 0 when the command returns normally."""
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out = capsys.readouterr()
    return code, out.out, out.err
