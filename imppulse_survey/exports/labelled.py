"""SPSS ``.sav`` and Stata ``.dta`` files of a release's microdata, with variable and value labels in one language.

pyreadstat writes a file from one whole data frame, so each file is built once per microdata set, language and
format, with compact column types (Int8 for codes that fit, float32 otherwise), and kept under the instance folder
until its microdata set goes (``cached_path``). Building it is the only time the whole set is in memory.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from .codebook import described_variables
from .microdata import stored_lines
from .models import MicrodataSet

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("sav", "dta")
STATA_LABEL = 80  # Stata's longest variable label


def cached_path(made: MicrodataSet, lang: str, fmt: str) -> Path:
    """The file, built now if it is not there yet."""
    path = export_folder(made) / f"microdata-{lang}.{fmt}"
    if not path.exists():
        _write(made, lang, fmt, path)
    return path


def export_folder(made: MicrodataSet) -> Path:
    return Path(current_app.instance_path) / "exports" / f"set-{made.id}"


def forget_files(set_ids) -> None:
    for set_id in set_ids:
        shutil.rmtree(Path(current_app.instance_path) / "exports" / f"set-{set_id}", ignore_errors=True)


def frame(made: MicrodataSet) -> pd.DataFrame:
    """The whole set as a data frame with compact types, parsed from its lines a slice at a time."""
    import pandas as pd  # here, not at import: pandas and pyreadstat are 100 MB a worker rarely needs

    names = [entry["name"] for entry in made.variables]
    strings = {entry["name"] for entry in made.variables if entry["source"] in ("text", "language", "channel")}
    parts = [_compact(pd.read_csv(io.StringIO("".join(lines)), header=None, names=names, keep_default_na=False,
                                  na_values={name: [""] for name in names},
                                  dtype={name: "string" for name in strings}), strings)
             for lines in stored_lines(made.id)]
    if not parts:
        return _compact(pd.DataFrame(columns=names), strings)
    return pd.concat(parts, ignore_index=True)


def _compact(part: pd.DataFrame, strings: set[str]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    for name in part.columns:
        if name in strings:
            part[name] = part[name].astype("string")
            continue
        values = pd.to_numeric(part[name], errors="coerce")
        whole = values.dropna()
        if whole.empty or ((whole == np.floor(whole)).all() and whole.between(-127, 127).all()):
            part[name] = values.astype("Int8")
        else:
            part[name] = values.astype("float32")
    return part


def _write(made: MicrodataSet, lang: str, fmt: str, path: Path) -> None:
    import pyreadstat

    described, _ = described_variables(made, lang)
    data = frame(made)
    if fmt == "dta":  # Stata keeps no nullable small integers: a missing value needs a float column
        data = data.astype({name: "float32" for name, kind in data.dtypes.items() if str(kind) == "Int8"})
    labels = [entry.question[:STATA_LABEL] if fmt == "dta" else entry.question for entry in described]
    value_labels = {entry.name: {int(code): label
                                 for code, label in entry.labels.items() if isinstance(code, int)}
                    for entry in described if entry.labels and entry.kind == "code"}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, suffix=f".{fmt}.partial")
    os.close(handle)
    try:
        if fmt == "sav":
            pyreadstat.write_sav(data, partial, column_labels=labels, variable_value_labels=value_labels,
                                 missing_ranges=_missing_ranges(described))
        else:
            pyreadstat.write_dta(data, partial, column_labels=labels, variable_value_labels=value_labels,
                                 version=15)
        os.replace(partial, path)  # readers see a whole file or none
    except BaseException:
        os.unlink(partial)
        raise


def _missing_ranges(described) -> dict:
    """Missing-value codes (don't know, prefer not to say…) declared user-missing, as SPSS users expect."""
    return {entry.name: entry.missing_codes for entry in described if entry.missing_codes}
