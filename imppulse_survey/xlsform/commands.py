"""``flask imppulse xlsform read FILE``: an XLSForm read as a questionnaire file, with what could not be kept."""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from flask.cli import AppGroup

from ..core.commands import reading
from ..questionnaires.loader import MAX_FILE_BYTES
from .reader import read_xlsform

#: the domain's commands; ``imppulse_survey/cli.py`` adds them under ``flask imppulse``
cli = AppGroup(__name__)
xlsform_cli = AppGroup("xlsform", help="Read XLSForms (ODK, KoboToolbox) as questionnaires.")
cli.add_command(xlsform_cli)
MAX_XLSFORM_BYTES = 4 * MAX_FILE_BYTES  # a workbook is zipped XML, larger than the YAML it says


@xlsform_cli.command("read")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the questionnaire file here (YAML); check it, then publish it with questionnaire load.")
@click.option("--key", default=None, help="The questionnaire's key (default: the form's id).")
@click.option("--audience", type=click.Choice(["resident", "officer"]), default="resident", show_default=True)
@reading
def import_form(path: Path, out: Path | None, key: str | None, audience: str):
    """Read an XLSForm as a questionnaire: print what could not be mapped, and write the file with --out."""
    with path.open("rb") as handle:
        data = handle.read(MAX_XLSFORM_BYTES + 1)
    if len(data) > MAX_XLSFORM_BYTES:
        raise click.ClickException(f"{path.name}: larger than {MAX_XLSFORM_BYTES // 1024} KB")
    read = read_xlsform(data, path.name, key=key, audience=audience)
    for line in read.unmapped:
        click.echo(f"not mapped: {line}")
    for problem in read.problems:
        click.echo(problem, err=True)
    if out is not None:
        out.write_text(yaml.safe_dump(read.definition or read.raw, allow_unicode=True, sort_keys=False),
                       encoding="utf-8")
        click.echo(f"written: {out}")
    if read.problems:
        raise click.exceptions.Exit(1)
