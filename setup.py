"""Build step that puts the app's non-Python directories into the wheel.

In the source tree templates/, static/, migrations/ and translations/ sit beside the ``forum``
package, where they are edited and where Flask-Migrate and Babel's tools expect them. A wheel
installs only packages, so building one copies them into the package (``forum/templates`` and so
on) and compiles the .po catalogues into the .mo files Flask-Babel reads; ``forum.shipped()``
looks there first. Everything else (metadata, dependencies, package data) is in setup.cfg.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
COPIED = ("templates", "static", "migrations")
TRANSLATIONS = "translations"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every <lang>/LC_MESSAGES/*.po under ``source`` to a .mo under ``target``."""
    # Imported here: Babel is a build requirement (pyproject.toml), not needed to read setup.py.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle, locale=po.parent.parent.name)
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as handle:
            write_mo(handle, catalogue)  # fuzzy entries left out, as `pybabel compile` does
        written.append(mo)
    if not written:
        raise SystemExit(f"no translation catalogues under {source}")
    return written


class BuildWithAppData(build_py):
    """build_py that also copies the app's directories into the built package."""

    def run(self) -> None:
        """Build the package, then add templates, static, migrations and compiled translations."""
        editable = getattr(self, "editable_mode", False)
        package = Path(self.build_lib) / "forum"
        if not editable:
            # A build/ left from an earlier build must not smuggle old modules into the wheel.
            shutil.rmtree(package, ignore_errors=True)
        super().run()
        if editable:
            return  # `pip install -e .`: the app reads the directories in the source tree
        for name in COPIED:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"{source} is missing: build from a source checkout or sdist")
            shutil.copytree(source, package / name, ignore=SKIPPED)
        compile_catalogues(HERE / TRANSLATIONS, package / TRANSLATIONS)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The built files, including the copied ones (bdist_wheel installs what is listed)."""
        outputs = list(super().get_outputs(include_bytecode))
        package = Path(self.build_lib) / "forum"
        for name in (*COPIED, TRANSLATIONS):
            if (package / name).is_dir():
                outputs.extend(str(path) for path in (package / name).rglob("*") if path.is_file())
        return outputs


setup(cmdclass={"build_py": BuildWithAppData})
