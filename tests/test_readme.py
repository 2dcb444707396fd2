"""The README shows what the code does: its examples are run and compared.

Every ``$ lifq …`` line in a ``sh`` block of README.md runs in a scratch
folder holding the files the README defines (``$ cat FILE`` with the text
that follows, and ``toml`` blocks that start with ``# FILE``); what the README
shows after it must be exactly what the command prints (standard output,
then standard error), where a line ``…`` stands for any number of lines.
A few examples cannot run here; :data:`NOT_RUN` says which and why.  The
latency table of the hardware core is compared with the datapath.
"""

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from lifq.hdl.datapath import latency, stages
from lifq.spec import LIFConfig

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

#: Commands of the README that are not run, by a piece of their text.
NOT_RUN = {
    "lifq build --board": "minutes of place-and-route; tests/test_boards.py builds both boards",
    "a core with a flipped membrane bit": "needs a deliberately broken core, which the CLI "
                                          "cannot build; tests/test_cli_simulate.py shows it",
    "lifq run --port": "needs a board",
}


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _files():
    """The files the README defines: ``$ cat FILE`` outputs and named toml blocks."""
    files = {}
    for block in _blocks("sh"):
        for command, output in _sessions(block):
            if command.startswith("cat "):
                files[command[4:].strip()] = "\n".join(output) + "\n"
    for block in _blocks("toml"):
        first = block.splitlines()[0]
        if first.startswith("# "):
            files[first[2:].strip()] = block
    return files


def _sessions(block):
    """``(command, [output lines])`` of a shell block's ``$`` lines."""
    sessions = []
    for line in block.splitlines():
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        elif sessions:
            sessions[-1][1].append(line)
    return sessions


def _examples():
    examples = []
    for block in _blocks("sh"):
        for command, output in _sessions(block):
            if not command.startswith("lifq "):
                continue
            reason = next((why for text, why in NOT_RUN.items() if text in command), None)
            examples.append(pytest.param(command, output, id=command[:60],
                                         marks=pytest.mark.skip(reason=reason) if reason
                                         else ()))
    return examples


def _matches(expected, got):
    """Whether ``got`` lines equal ``expected`` lines, "…" standing for any lines."""
    if not expected:
        return not got
    if expected[0].strip() == "…":
        return any(_matches(expected[1:], got[start:]) for start in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and _matches(expected[1:], got[1:])


@pytest.mark.parametrize("command, expected", _examples())
def test_readme_example(command, expected, tmp_path):
    for name, text in _files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "docs" / "img").mkdir(parents=True)
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    arguments = shlex.split(command.split("  #")[0])[1:]
    process = subprocess.run([sys.executable, "-m", "lifq", *arguments], cwd=tmp_path,
                             capture_output=True, text=True,
                             env={**os.environ, "COLUMNS": "100"})
    got = (process.stdout + process.stderr).rstrip("\n").splitlines()
    assert _matches([line.rstrip() for line in expected], [line.rstrip() for line in got]), (
        f"README shows for `{command}`:\n" + "\n".join(expected) + "\n\nbut it prints:\n"
        + "\n".join(got))


def test_the_examples_are_found():
    runnable = [e for e in _examples() if not e.marks]
    assert len(runnable) >= 6
    assert {"stim.json", "core.toml"} <= set(_files())


#: The configurations of the README's latency table, by their first column.
LATENCY_ROWS = {
    "mod, q = 4 (default), programmable": LIFConfig(),
    "mod, q = 8, programmable": LIFConfig(spike_bits=8),
    "zero or subtract, programmable": LIFConfig(reset="subtract"),
    "mod, q = 4, constant, no leak": LIFConfig(programmable=False),
    "subtract, constant, no leak": LIFConfig(reset="subtract", programmable=False),
}

_STAGE_WORDS = {"membrane_read": "read", "leak_operands": "leak", "leak_multiply": "leak",
                "leak_product": "leak", "leak_truncate": "leak",
                "integrate": "integrate", "sign": "magnitude", "magnitude": "magnitude",
                "saturate_check": "saturate", "saturate": "saturate", "apply_sign": "sign"}


def _stage_text(cfg):
    """The stage column: ``read, leak×4, integrate, magnitude×2, divide×8, saturate×2, sign``
    (a divide step's two stages, ``divide_j`` and ``pick_j``, both count as divide)."""
    words = [_STAGE_WORDS.get(name, "divide") for name, _ in stages(cfg)]
    parts = []
    for word in words:
        if parts and parts[-1][0] == word:
            parts[-1][1] += 1
        else:
            parts.append([word, 1])
    return ", ".join(word if count == 1 else f"{word}×{count}" for word, count in parts)


@pytest.mark.parametrize("name", LATENCY_ROWS)
def test_latency_table_is_the_datapath(name):
    cfg = LATENCY_ROWS[name]
    row = f"| {name} | {_stage_text(cfg)} | {latency(cfg)} |"
    assert row in README, f"README's latency table should have the row\n{row}"


def test_port_layout_of_the_default_core():
    """The README's bit ranges of the default core are those of the generated Verilog."""
    from lifq.hdl import generate
    from lifq.hdl.interfaces import parameter_values_layout, update_layout

    cfg = LIFConfig()
    verilog = generate(cfg)
    for port, layout in (("updates__payload", update_layout(cfg)),
                         ("parameter_values", parameter_values_layout(cfg))):
        fields = sorted(((name, field.offset, field.width) for name, field in layout),
                        key=lambda item: -item[1])
        text = ", ".join(f"{name}[{offset + width - 1}:{offset}]"
                         for name, offset, width in fields)
        top = fields[0][1] + fields[0][2] - 1
        assert f"`{port}[{top}:0]` = {{{text}}}" in README.replace("\n", " "), (port, text)
        assert f"output [{top}:0] {port};" in verilog
