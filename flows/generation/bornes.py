"""Boundary cases planted in every generated extract, so that each rule's edges occur in generated data.

Planted practitioners are GPs of Paris (cabinets 751 9xxxx) unless said otherwise; planted patients have ids
starting with "Z" (never produced by the hash-based ids, which are hexadecimal). Each case says what it
exercises; the rules' own tests assert the outcomes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

PARIS, GUERET = ("75", "056"), ("23", "096")  # INSEE 75056, 23096 (IR_GEO_V)

COLONNES: dict[str, dict[str, pl.DataType]] = {
    "da_pra_r": {
        "PFS_PFS_NUM": pl.String,
        "STA_PFS_NUM": pl.String,
        "PFS_CAT_COD": pl.Int64,
        "PFS_PRA_SPE": pl.String,
        "CNV_CNV_COD": pl.Int64,
        "EXC_EXC_NAT": pl.Int64,
        "PFS_EXC_COM": pl.String,
        "PFS_INS_DSD": pl.Date,
        "IPP_ANN_NAI": pl.Int64,
    },
    "ir_ben_r": {
        "BEN_NIR_PSA": pl.String,
        "BEN_RNG_GEM": pl.Int64,
        "BEN_NAI_ANN": pl.Int64,
        "BEN_SEX_COD": pl.Int64,
        "BEN_DCD_DTE": pl.Date,
    },
    "ir_mtt_r": {
        "BEN_NIR_PSA": pl.String,
        "BEN_RNG_GEM": pl.Int64,
        "MTT_PFS_NUM": pl.String,
        "MTT_DEP_DTE": pl.Date,
        "MTT_FIN_DTE": pl.Date,
    },
    "er_prs_f": {
        "BEN_NIR_PSA": pl.String,
        "BEN_RNG_GEM": pl.Int64,
        "EXE_SOI_DTD": pl.Date,
        "FLX_DIS_DTD": pl.Date,
        "PFS_EXE_NUM": pl.String,
        "PFS_PRE_NUM": pl.String,
        "PSE_SPE_COD": pl.Int64,
        "PRS_NAT_REF": pl.Int64,
        "CPL_MAJ_TOP": pl.Int64,
        "DPN_QLF": pl.Int64,
        "PRS_ACT_QTE": pl.Int64,
        "PRS_PAI_MNT": pl.Decimal(12, 2),
        "PRS_DEP_MNT": pl.Decimal(12, 2),
        "RGM_COD": pl.Int64,
    },
    "orientations_ipa": {
        "PFS_PFS_NUM": pl.String,
        "BEN_NIR_PSA": pl.String,
        "BEN_RNG_GEM": pl.Int64,
        "IPA_PFS_NUM": pl.String,
        "ORI_DTE": pl.Date,
    },
    "sas_deploiement": {"DPT_COD": pl.String, "SAS_OPE_DTE": pl.Date},
    "sas_inscriptions": {
        "PFS_PFS_NUM": pl.String,
        "INS_DEB_DTE": pl.Date,
        "INS_FIN_DTE": pl.Date,
        "AGENDA_VISIBLE": pl.Boolean,
        "ORGA_TERRITORIALE": pl.Boolean,
    },
    "msu_declarations": {"PFS_PFS_NUM": pl.String, "ANNEE": pl.Int64, "NB_STAGIAIRES": pl.Int64},
    "zonage": {"COM_INSEE": pl.String, "ZONE": pl.String, "ZON_DEB_DTE": pl.Date, "ZON_FIN_DTE": pl.Date},
    "optam": {
        "PFS_PFS_NUM": pl.String,
        "OPTAM_TYP": pl.String,
        "ADH_DEB_DTE": pl.Date,
        "ADH_FIN_DTE": pl.Date,
    },
    "contrats_aam": {
        "CTR_NUM": pl.String,
        "PFS_PFS_NUM": pl.String,
        "CTR_SIG_DTE": pl.Date,
        "CTR_OPT": pl.String,
        "CTR_FIN_DTE": pl.Date,
        "PAT_IND": pl.String,
        "PAT_INI": pl.Int64,
        "PAT_OBJ": pl.Int64,
    },
    "cpts_contrats": {"CPTS_ID": pl.String, "SIG_DTE": pl.Date, "POPULATION": pl.Int64, "FIN_DTE": pl.Date},
}
DEBUT_MT = date(2015, 1, 1)


class _Bornes:
    def __init__(self, annee: int):
        self.annee = annee
        self.rows: dict[str, list[dict]] = {k: [] for k in COLONNES}
        self._patients = 0

    def medecin(self, numero: int, *, lieu=PARIS, cnv=1, exc=1, spe=1, secondaire=False) -> str:
        sta = f"{lieu[0]}1{numero:05d}"
        for pfs in [sta] + ([f"{lieu[0]}1{numero + 5000:05d}"] if secondaire else []):
            self.rows["da_pra_r"].append(
                {
                    "PFS_PFS_NUM": pfs,
                    "STA_PFS_NUM": sta,
                    "PFS_CAT_COD": 1,
                    "PFS_PRA_SPE": f"{spe:02d}",
                    "CNV_CNV_COD": cnv,
                    "EXC_EXC_NAT": exc,
                    "PFS_EXC_COM": lieu[1],
                    "PFS_INS_DSD": date(2010, 9, 1),
                    "IPP_ANN_NAI": 1970,
                }
            )
        return sta

    def patient(self, deces: date | None = None) -> str:
        self._patients += 1
        nir = f"Z{self._patients:016d}"
        dcd = deces if deces and deces <= date(self.annee, 12, 31) else date(1600, 1, 1)
        self.rows["ir_ben_r"].append(
            {"BEN_NIR_PSA": nir, "BEN_RNG_GEM": 1, "BEN_NAI_ANN": 1960, "BEN_SEX_COD": 2, "BEN_DCD_DTE": dcd}
        )
        return nir

    def mt(self, nir: str, cabinet: str, debut: date = DEBUT_MT, fin: date | None = None) -> None:
        if debut <= date(self.annee, 12, 31):
            f = fin if fin and fin <= date(self.annee, 12, 31) else date(1600, 1, 1)
            self.rows["ir_mtt_r"].append(
                {
                    "BEN_NIR_PSA": nir,
                    "BEN_RNG_GEM": 1,
                    "MTT_PFS_NUM": cabinet,
                    "MTT_DEP_DTE": debut,
                    "MTT_FIN_DTE": f,
                }
            )

    def acte(self, nir: str, cabinet: str, k: int, *, ame=False, qte=1, dpn=0, maj=False) -> None:
        jour = date(self.annee, 1, 1) + timedelta(days=(k * 7) % 365)
        montant = Decimal("30.00") * qte
        self.rows["er_prs_f"].append(
            {
                "BEN_NIR_PSA": nir,
                "BEN_RNG_GEM": 1,
                "EXE_SOI_DTD": jour,
                "FLX_DIS_DTD": jour + timedelta(days=10),
                "PFS_EXE_NUM": cabinet,
                "PFS_PRE_NUM": None,
                "PSE_SPE_COD": 1,
                "PRS_NAT_REF": 1125 if maj else 1110,
                "CPL_MAJ_TOP": 2 if maj else 0,
                "DPN_QLF": dpn,
                "PRS_ACT_QTE": qte,
                "PRS_PAI_MNT": montant,
                "PRS_DEP_MNT": Decimal("0.00"),
                "RGM_COD": 95 if ame else 110,
            }
        )

    def activite(self, cabinet: str, nb_actes: int, nb_ame: int) -> None:
        """nb_actes act lines on distinct patients, nb_ame of them AME."""
        for k in range(nb_actes):
            self.acte(self.patient(), cabinet, k, ame=k < nb_ame)

    def orientations(self, cabinet: str, nb: int, *, debut_mt: date = DEBUT_MT) -> list[str]:
        nirs = []
        for k in range(nb):
            nir = self.patient()
            self.mt(nir, cabinet, debut=debut_mt)
            self.orientation(cabinet, nir, date(self.annee, 3, 1) + timedelta(days=k % 200))
            nirs.append(nir)
        return nirs

    def orientation(self, cabinet: str, nir: str, jour: date) -> None:
        self.rows["orientations_ipa"].append(
            {
                "PFS_PFS_NUM": cabinet,
                "BEN_NIR_PSA": nir,
                "BEN_RNG_GEM": 1,
                "IPA_PFS_NUM": "75600001",
                "ORI_DTE": jour,
            }
        )

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            k: pl.DataFrame(v, schema=COLONNES[k], orient="row") if v else pl.DataFrame(schema=COLONNES[k])
            for k, v in self.rows.items()
        }


def bornes(annee: int) -> dict[str, pl.DataFrame]:
    b = _Bornes(annee)
    y = annee
    # §2 AME: exactly 2 % (not eligible), 2/98 = 2.04 % (eligible), and 2 % after netting a cancelled AME act,
    # ignoring an AME "pour information" line and an AME majoration line (not acts)
    b.activite(b.medecin(90001), 100, 2)
    b.activite(b.medecin(90002), 98, 2)
    c = b.medecin(90003)
    b.activite(c, 100, 2)
    n = b.patient()
    b.acte(n, c, 1, ame=True)
    b.acte(n, c, 1, ame=True, qte=-1)
    b.acte(n, c, 2, ame=True, dpn=71)
    b.acte(n, c, 3, ame=True, maj=True)
    # §2 AME counted on a secondary cabinet of the doctor: 3/100 acts, the AME ones on the secondary cabinet
    sta = b.medecin(90004, secondaire=True)
    b.activite(sta, 97, 0)
    b.activite(sta[:3] + "95004", 3, 3)
    # outside the population: non conventionné, and salaried (EXC_EXC_NAT 8), both with 10 % AME acts
    b.activite(b.medecin(90005, cnv=0), 50, 5)
    b.activite(b.medecin(90006, exc=8), 50, 5)
    if y >= 2023:
        # §3 IPA: exactly 9, 10, 34, 35, 99, 100 distinct MT patients oriented
        for i, nb in enumerate([9, 10, 34, 35, 99, 100]):
            b.orientations(b.medecin(90010 + i), nb)
        # 10 orientations, one of a patient whose MT is another doctor → 9
        c = b.medecin(90016)
        b.orientations(c, 9)
        autre = b.patient()
        b.mt(autre, b.medecin(90017))
        b.orientation(c, autre, date(y, 5, 1))
        # 10 distinct patients, one oriented twice → 10
        c = b.medecin(90018)
        nirs = b.orientations(c, 10)
        b.orientation(c, nirs[0], date(y, 11, 2))
        # 10 orientations, one made before the MT declaration began → 9
        c = b.medecin(90019)
        b.orientations(c, 9)
        tard = b.patient()
        b.mt(tard, c, debut=date(y, 6, 1))
        b.orientation(c, tard, date(y, 5, 31))
    # §1/§6 patientèle MT at the published thresholds on 31/12/2021: 775 (one more patient died on 31/12/2021,
    # one declaration ends on 31/12/2021 and still counts), 774, 1 503, 1 721
    for numero, nb in [(90020, 775), (90021, 774), (90022, 1503), (90023, 1721)]:
        c = b.medecin(numero)
        for k in range(nb):
            b.mt(b.patient(), c, fin=date(2021, 12, 31) if (numero == 90020 and k == 0) else None)
        if numero == 90020:
            b.mt(b.patient(deces=date(2021, 12, 31)), c)
    # §6 contracts: bands at P90/P95 thresholds, straddling 2024-06-22, TIERS_TEMPS before/after 2023-05-01,
    # termination before an anniversary, a maintain-level objective, and P30 − 1 at signature (control list)
    contrats = [
        ("AAMB00001", "75190022", date(2022, 3, 1), "MI_TEMPS", None, 1503, 1650),
        ("AAMB00002", "75190023", date(2022, 3, 1), "TEMPS_PLEIN", None, 1721, 1800),
        ("AAMB00003", "75190021", date(2022, 3, 1), "MI_TEMPS", None, 774, 900),
        ("AAMB00004", "75190024", date(2023, 9, 1), "MI_TEMPS", None, 1000, 1200),
        ("AAMB00005", "75190025", date(2024, 6, 22), "TEMPS_PLEIN", None, 1100, 1300),
        ("AAMB00006", "75190026", date(2022, 1, 10), "TIERS_TEMPS", None, 900, 1000),
        ("AAMB00007", "75190027", date(2023, 5, 1), "TIERS_TEMPS", None, 900, 1000),
        ("AAMB00008", "75190028", date(2021, 3, 1), "MI_TEMPS", date(2025, 2, 28), 1000, 1150),
        ("AAMB00009", "75190029", date(2021, 3, 1), "TEMPS_PLEIN", None, 1200, 1200),
        # signed on 15 December: contract years 1 and 2 both fall due in the next year
        *[
            (f"AAMB0001{i}", f"7519007{i}", date(a, 12, 15), "MI_TEMPS", None, 1000, 1100)
            for i, a in enumerate((2021, 2024, 2025, 2026))
        ],
    ]
    for num, sta, sig, opt, fin, ini, obj in contrats:
        if sig > date(y, 12, 31):
            continue
        if int(sta[3:]) not in (90021, 90022, 90023):
            b.medecin(int(sta[3:]))
        b.rows["contrats_aam"].append(
            {
                "CTR_NUM": num,
                "PFS_PFS_NUM": sta,
                "CTR_SIG_DTE": sig,
                "CTR_OPT": opt,
                "CTR_FIN_DTE": fin if fin and fin <= date(y, 12, 31) else None,
                "PAT_IND": "PATIENTELE_MT",
                "PAT_INI": ini,
                "PAT_OBJ": obj,
            }
        )
    # §4 SAS at 31/12/N: Paris operational; Creuse operational the day after 31/12/2026
    b.rows["sas_deploiement"] += [
        {"DPT_COD": "75", "SAS_OPE_DTE": date(2023, 6, 1)},
        {"DPT_COD": "23", "SAS_OPE_DTE": date(2027, 1, 1)},
    ]
    sas = [  # numero, lieu, debut, fin, agenda, orga
        (90030, PARIS, date(2025, 3, 1), None, True, False),
        (90031, PARIS, date(2025, 3, 1), date(2026, 12, 31), True, False),
        (90032, PARIS, date(2025, 3, 1), date(2026, 12, 30), True, False),
        (90033, PARIS, date(2026, 12, 31), None, True, False),
        (90034, PARIS, date(2025, 3, 1), None, False, True),
        (90035, PARIS, date(2025, 3, 1), None, False, False),
        (90036, GUERET, date(2025, 3, 1), None, True, True),
    ]
    for numero, lieu, deb, fin, agenda, orga in sas:
        b.rows["sas_inscriptions"].append(
            {
                "PFS_PFS_NUM": b.medecin(numero, lieu=lieu),
                "INS_DEB_DTE": deb,
                "INS_FIN_DTE": fin if fin and fin <= date(y, 12, 31) else None,
                "AGENDA_VISIBLE": agenda,
                "ORGA_TERRITORIALE": orga,
            }
        )
    # §5 MSU: a cabinet in a ZIP commune and one outside
    b.rows["zonage"] += [
        {"COM_INSEE": "23096", "ZONE": "ZIP", "ZON_DEB_DTE": date(2017, 1, 1), "ZON_FIN_DTE": None},
        {"COM_INSEE": "75056", "ZONE": "HORS", "ZON_DEB_DTE": date(2017, 1, 1), "ZON_FIN_DTE": None},
    ]
    for numero, lieu in [(90040, GUERET), (90041, PARIS)]:
        b.rows["msu_declarations"].append(
            {"PFS_PFS_NUM": b.medecin(numero, lieu=lieu), "ANNEE": y, "NB_STAGIAIRES": 1}
        )
    # §6.1 secteur 2 with and without OPTAM
    b.rows["optam"].append(
        {
            "PFS_PFS_NUM": b.medecin(90050, cnv=3),
            "OPTAM_TYP": "OPTAM",
            "ADH_DEB_DTE": date(2019, 1, 1),
            "ADH_FIN_DTE": None,
        }
    )
    b.medecin(90051, cnv=3)
    # §9 CPTS at the tier boundaries
    for pop in [39999, 40000, 80000, 80001, 175000, 175001]:
        b.rows["cpts_contrats"].append(
            {"CPTS_ID": f"CPTS_B{pop}", "SIG_DTE": date(2021, 1, 1), "POPULATION": pop, "FIN_DTE": None}
        )
    return b.frames()
