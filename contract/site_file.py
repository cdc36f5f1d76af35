"""Load a site file: the cooperative's greenhouses, their buses and devices, with the device profiles it names
resolved (shipped ones and those in the ``profiles/`` folder beside the site file)."""

from __future__ import annotations

from pathlib import Path

from contract.config_file import ConfigError, ConfigIssue, line_in, load_text, parse_model, problems_of
from contract.devices.profile import ProfileBook, ProfileError
from contract.site import SiteConfig
from contract.validation_words import Words


def load_site(path: Path) -> SiteConfig:
    """The site config, with each greenhouse's rules_file resolved relative to the config file."""
    return parse_site(load_text(path), path)


def parse_site(text: str, path: Path) -> SiteConfig:
    """``load_site`` for the text of the file at ``path`` (as a page sent it, before it is saved there).

    A rules file is a file in the site file's folder or below it. Any other path — absolute, climbing out with
    ``..``, or through a link that leads out — is refused with the same words whether or not it exists: a site
    file edited from the web app must not read, nor tell about, the rest of the gateway's disk."""
    folder = path.parent.resolve()
    try:
        book = ProfileBook.for_site(folder)
    except (ConfigError, ProfileError) as exc:
        # A profile's problems are in English: they quote the maker's manual, which is.
        details = str(exc).splitlines()
        raise ConfigError(
            path,
            [f"{path}: the site's own device profiles cannot be used:", *details],
            problems_vi=[f"{path}: không dùng được các hồ sơ thiết bị riêng của khu này:", *details],
        ) from None
    site = parse_model(text, path, SiteConfig, context=book)
    greenhouses = []
    issues: list[ConfigIssue] = []
    for index, g in enumerate(site.greenhouses):
        if g.rules_file is None:
            greenhouses.append(g)
            continue
        resolved = (folder / g.rules_file).resolve()
        if not resolved.is_relative_to(folder):
            loc: tuple[int | str, ...] = ("greenhouses", index, "rules_file")
            line = line_in(text, loc)
            # Greenhouses that take the path from one block (``<<: *name``) share its one mistake.
            if all(i.line != line for i in issues):
                issues.append(ConfigIssue(line, loc, "path_outside_folder", OUTSIDE_FOLDER))
        greenhouses.append(g.model_copy(update={"rules_file": resolved}))
    if issues:
        raise ConfigError(path, problems_of(path, issues), issues)
    return site.model_copy(update={"greenhouses": greenhouses})


OUTSIDE_FOLDER = Words(
    "phải là một tệp trong thư mục của tệp cài đặt (ví dụ rules/ca-chua.yaml)",
    "must name a file in the site file's folder (e.g. rules/tomato.yaml)",
)
