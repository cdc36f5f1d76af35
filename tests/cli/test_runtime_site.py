"""A site written for other processes (the demo, the tests) names only files in its own folder: rules files from
elsewhere are copied beside it, one copy per file."""

from __future__ import annotations

from pathlib import Path

from contract.site_file import load_site
from greenhouse.runtime_site import write_site
from tests.conftest import EXAMPLE_SITE


def test_rules_files_from_elsewhere_are_copied_once_each_and_the_site_loads_the_same(tmp_path: Path) -> None:
    site = load_site(EXAMPLE_SITE)
    other = tmp_path / "elsewhere" / "tomato.yaml"  # the same name as the example's, from another folder
    other.parent.mkdir()
    other.write_text((EXAMPLE_SITE.parent / "rules" / "tomato.yaml").read_text("utf-8") + "# changed\n", "utf-8")
    houses = [*site.greenhouses[:2], site.greenhouses[2].model_copy(update={"rules_file": other})]
    written = write_site(site.model_copy(update={"greenhouses": houses}), tmp_path / "run" / "site.yaml")
    assert sorted(p.name for p in (tmp_path / "run" / "rules").iterdir()) == ["tomato-2.yaml", "tomato.yaml"]
    loaded = load_site(written)
    copies = [g.rules_file for g in loaded.greenhouses]
    assert copies[0] == copies[1] == (tmp_path / "run" / "rules" / "tomato.yaml").resolve()  # shared, as before
    assert copies[2] is not None and copies[2].read_text("utf-8").endswith("# changed\n")
    for original, copy in zip(houses, copies, strict=True):
        assert original.rules_file is not None and copy is not None
        assert copy.read_text("utf-8") == original.rules_file.read_text("utf-8")
