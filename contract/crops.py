"""The crops a cooperative grows and the bands a farmer's greenhouse is judged against for each.

A band is the range a farmer should not need to look twice at — wider than the optimum a climate rule aims for,
narrower than the limits where the crop is damaged. The verdict on the phone, the bands drawn on the charts
and the defaults of new rules all come from here, so that they agree.

Sources, cited per crop below:
- [FAO217] FAO, *Good Agricultural Practices for greenhouse vegetable crops*, Plant Production and Protection
  Paper 217 (2013), ch. 4 (climate) and the crop chapters (tomato, cabbage, lettuce).
- [AVRDC] World Vegetable Center (AVRDC), *International Cooperators' Guide: suggested cultural practices for
  Chinese cabbage* and for leafy vegetables (heat-tolerant mustard, pak choi).
- [RED] *Sách Đỏ Việt Nam* (Vietnam Red Data Book, 2007), part II, plants: *Panax vietnamensis*, habitat (forest
  understorey at 1,200–2,100 m, cool and humid, deep shade); the Lai Châu variety (var. *fuscidiscus*, Komatsu,
  Zhu & Cai 2003) grows in the same kind of place.
- [VPD] the leaf-to-air vapour pressure deficit band in which stomata stay open and disease pressure is low
  (Grange & Hand, *Journal of Horticultural Science* 62 (1987) 125–134).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from contract.bounds import Strict
from contract.validation_words import Mistake, number


class Crop(StrEnum):
    TOMATO = "tomato"
    CABBAGE = "cabbage"
    LETTUCE = "lettuce"
    LEAFY_GREENS = "leafy_greens"
    GINSENG = "ginseng"  # Lai Châu ginseng (sâm Lai Châu, Panax vietnamensis var. fuscidiscus)


class CropBand(Strict):
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> CropBand:
        if self.low >= self.high:
            raise Mistake(
                f"low ({number(self.low, 'vi')}) phải nhỏ hơn high ({number(self.high, 'vi')})",
                f"low ({self.low}) must be below high ({self.high})",
            )
        return self


class CropProfile(Strict):
    crop: Crop
    name_vi: str
    name_en: str
    air_temp_c_day: CropBand
    air_temp_c_night: CropBand
    air_rh_pct: CropBand
    vpd_kpa: CropBand
    soil_vwc_pct: CropBand  # for the loam of the example cooperative; a technician sets a site's own in its rules
    daily_light_mol_m2: CropBand  # photosynthetically active light summed over a day (DLI)
    # Below this the crop is damaged within hours (chilling or frost): the verdict says "danger", not "attention".
    air_temp_c_damage_below: float
    air_temp_c_damage_above: float = Field(default=40)


PROFILES: dict[Crop, CropProfile] = {
    # [FAO217] tomato: day 22–26 °C optimum, night 13–16; fruit set fails above 30 by day and below 10 by night;
    # RH 60–85 %; chilling injury below 6 °C. DLI 20–30 mol/m²/d for fruiting tomato.
    Crop.TOMATO: CropProfile(
        crop=Crop.TOMATO,
        name_vi="Cà chua",
        name_en="Tomato",
        air_temp_c_day=CropBand(low=18, high=30),
        air_temp_c_night=CropBand(low=12, high=20),
        air_rh_pct=CropBand(low=60, high=90),
        vpd_kpa=CropBand(low=0.4, high=1.3),
        soil_vwc_pct=CropBand(low=25, high=42),
        daily_light_mol_m2=CropBand(low=12, high=30),
        air_temp_c_damage_below=6,
        air_temp_c_damage_above=38,
    ),
    # [FAO217] cabbage: a cool-season crop, 15–20 °C optimum, grows from 7 to 25, stands light frost; [AVRDC].
    Crop.CABBAGE: CropProfile(
        crop=Crop.CABBAGE,
        name_vi="Bắp cải",
        name_en="Cabbage",
        air_temp_c_day=CropBand(low=12, high=25),
        air_temp_c_night=CropBand(low=5, high=17),
        air_rh_pct=CropBand(low=60, high=95),
        vpd_kpa=CropBand(low=0.3, high=1.2),
        soil_vwc_pct=CropBand(low=25, high=42),
        daily_light_mol_m2=CropBand(low=10, high=30),
        air_temp_c_damage_below=-2,
        air_temp_c_damage_above=35,
    ),
    # [FAO217] lettuce: 15–22 °C by day, 7–15 by night; bolts and tips burn above 25–27.
    Crop.LETTUCE: CropProfile(
        crop=Crop.LETTUCE,
        name_vi="Xà lách",
        name_en="Lettuce",
        air_temp_c_day=CropBand(low=13, high=25),
        air_temp_c_night=CropBand(low=7, high=16),
        air_rh_pct=CropBand(low=60, high=90),
        vpd_kpa=CropBand(low=0.3, high=1.1),
        soil_vwc_pct=CropBand(low=28, high=45),
        daily_light_mol_m2=CropBand(low=12, high=17),
        air_temp_c_damage_below=0,
        air_temp_c_damage_above=32,
    ),
    # [AVRDC] leafy greens (mustard greens, water spinach, bok choy) in net houses: 15–28 °C by day, ≥ 10 at night.
    Crop.LEAFY_GREENS: CropProfile(
        crop=Crop.LEAFY_GREENS,
        name_vi="Rau ăn lá",
        name_en="Leafy greens",
        air_temp_c_day=CropBand(low=14, high=28),
        air_temp_c_night=CropBand(low=8, high=20),
        air_rh_pct=CropBand(low=60, high=90),
        vpd_kpa=CropBand(low=0.3, high=1.2),
        soil_vwc_pct=CropBand(low=28, high=45),
        daily_light_mol_m2=CropBand(low=10, high=20),
        air_temp_c_damage_below=1,
        air_temp_c_damage_above=35,
    ),
    # [RED] grows under forest canopy, high up (see above): 15–20 °C mean, rarely above 25, RH 80–90 %, under
    # 70–80 % shade; leaves scorch in full sun and above 30 °C; the root survives light frost in dormancy.
    Crop.GINSENG: CropProfile(
        crop=Crop.GINSENG,
        name_vi="Sâm Lai Châu",
        name_en="Lai Châu ginseng",
        air_temp_c_day=CropBand(low=13, high=25),
        air_temp_c_night=CropBand(low=8, high=20),
        air_rh_pct=CropBand(low=75, high=95),
        vpd_kpa=CropBand(low=0.2, high=0.8),
        soil_vwc_pct=CropBand(low=30, high=45),
        daily_light_mol_m2=CropBand(low=3, high=8),
        air_temp_c_damage_below=0,
        air_temp_c_damage_above=30,
    ),
}


def crop_profile(crop: str) -> CropProfile | None:
    """The profile of a site's crop, or None for a crop we hold no bands for (the site check names it)."""
    try:
        return PROFILES[Crop(crop)]
    except ValueError:
        return None
