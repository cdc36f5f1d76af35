"""What people call the things of a site file: the cooperative's own name, and an English one for English readers."""

from __future__ import annotations

from contract.bounds import Strict
from contract.messages import Id
from contract.wording import Lang


class Named(Strict):
    """A greenhouse, zone, sensor, actuator or rule as the site or rule file names it.

    ``name`` is what the cooperative calls it (in Vietnamese, as a rule); ``name_en`` is shown to a reader of the
    English app, who would otherwise read the Vietnamese name. Without a name, the id stands for it.
    """

    id: Id
    name: str = ""
    name_en: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id

    def label_in(self, lang: Lang) -> str:
        return self.name_en if lang == "en" and self.name_en else self.label
