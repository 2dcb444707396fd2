"""The layers of lifq point down: no module imports a module of a higher layer.

lifq.spec (the contract) is the bottom; the golden model and the hardware
build on it side by side and never on each other; simulation and
verification build on both; the testbench and the boards on those; the CLI
on everything.  Imports inside functions count too.
"""

import ast
import pathlib

import pytest

import lifq

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Folder of the repository → (installed package, layer).  Equal layers are
#: siblings: neither may import the other.
PACKAGES = {
    "lifq/spec": ("lifq.spec", 0),
    "golden": ("lifq.golden", 1),
    "hdl": ("lifq.hdl", 1),
    "sim": ("lifq.sim", 2),
    "cocotb_tests": ("lifq.cocotb_tests", 3),
    "boards": ("lifq.boards", 3),
}
CLI_LAYER = 4      # everything else under lifq/: the command line


def _modules():
    """(path, dotted module name, package, layer) of every module of lifq."""
    for path in sorted((ROOT / "lifq").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("lifq", "spec"):
            continue
        yield path, _dotted("lifq", path.relative_to(ROOT / "lifq")), "lifq", CLI_LAYER
    for folder, (package, layer) in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, _dotted(package, path.relative_to(ROOT / folder)), package, layer


def _dotted(package, relative):
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _imports(path, module):
    """Every lifq module ``module`` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        yield from (name for name in names if name == "lifq" or name.startswith("lifq."))


def _layer(name):
    """(package, layer) of an imported lifq name; None for the namespace itself."""
    for package, layer in PACKAGES.values():
        if name == package or name.startswith(package + "."):
            return package, layer
    if name == "lifq":
        return None
    return "lifq", CLI_LAYER


def test_every_folder_is_a_package_of_lifq():
    assert pathlib.Path(lifq.__file__).resolve().parent == ROOT / "lifq"
    for folder, (package, _) in PACKAGES.items():
        assert (ROOT / folder / "__init__.py").exists(), folder


@pytest.mark.parametrize("path, module, package, layer",
                         [pytest.param(*entry, id=entry[1]) for entry in _modules()])
def test_imports_point_down(path, module, package, layer):
    for name in _imports(path, module):
        target = _layer(name)
        if target is None:
            continue
        target_package, target_layer = target
        if target_package == package:
            continue
        assert target_layer < layer, (f"{module} (layer {layer}) imports {name} "
                                      f"(layer {target_layer}): layers must point down")


def test_the_checker_sees_a_violation(tmp_path):
    """The check above is not vacuous: an upward import is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from lifq.sim.runner import run_rtl\n"
                   "from ..hdl import core\n")
    names = list(_imports(bad, "lifq.golden.bad"))
    assert "lifq.sim.runner" in names and "lifq.hdl.core" in names
    assert _layer("lifq.sim.runner")[1] > PACKAGES["golden"][1]
    assert _layer("lifq.hdl.core")[1] == PACKAGES["golden"][1]
