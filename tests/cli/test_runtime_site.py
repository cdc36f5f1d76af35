"""A site written for other processes (the demo, the tests) names only files in its own folder: rules files from
elsewhere are copied beside it, one copy per file."""

from __future__ import annotations

from pathlib import Path

from contract.site import SiteConfig
from contract.site_file import load_site
from greenhouse.runtime_site import on_free_ports, write_site
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


def test_a_site_is_put_on_this_machine_bus_by_bus_and_an_mqtt_broker_is_left_as_it_is(tmp_path: Path) -> None:
    data = load_site(EXAMPLE_SITE).model_dump(mode="json")
    data["greenhouses"][0]["buses"].append({"protocol": "mqtt", "id": "wifi", "url": "mqtt://10.0.0.9:1883"})
    site = SiteConfig.model_validate(data)
    here = on_free_ports(site, tmp_path)
    buses = {b.id: b for b in here.greenhouses[0].buses}
    # The nodes' own broker: not moved, and not given a host and port an MQTT bus does not have.
    assert buses["wifi"] == site.greenhouses[0].buses[-1] and not hasattr(buses["wifi"], "port")
    assert buses["dat"].port == str(tmp_path / "tty-ca-chua-1-dat")
    assert (buses["role"].host, buses["role"].port) != ("192.168.1.50", 8899)
    assert load_site(write_site(here, tmp_path / "run" / "site.yaml")).greenhouses[0].buses[-1] == buses["wifi"]
