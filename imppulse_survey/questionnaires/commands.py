"""``flask imppulse questionnaire …``: validate, publish and translate questionnaires."""

from __future__ import annotations

import click
import yaml
from flask.cli import AppGroup

from ..config import SUPPORTED_LANGUAGES
from ..core.commands import committing, parse_datetime, reading
from . import services as questionnaires
from .definition import Definition, item_type
from .loader import MAX_FILE_BYTES, QuestionnaireFileError, load_file
from .models import QuestionnaireVersion
from .packs import add_language, available_languages, mark_reviewed, pack_template
from .translation_check import check_definitions

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
questionnaire_cli = AppGroup("questionnaire", help="Validate and publish questionnaires.")
cli.add_command(questionnaire_cli)


@questionnaire_cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@reading
def questionnaire_check(paths):
    """Validate questionnaire files without publishing them, then check their translations together."""
    problems, definitions = [], {}
    for path in paths:
        try:
            definition = definitions[path] = load_file(path)
        except QuestionnaireFileError as error:
            problems.extend(error.problems)
            continue
        click.echo(f"{definition['key']}: valid ({sum(1 for _ in Definition(definition).items())} items, "
                   f"{len(definition['indicators'])} indicators, languages {', '.join(definition['languages'])})")
    problems.extend(check_definitions(definitions))
    if problems:
        raise QuestionnaireFileError(problems)


@questionnaire_cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
@committing
def questionnaire_load(path):
    """Validate a questionnaire file and publish it as a new version if its content changed."""
    version, created = questionnaires.publish_file(path)
    state = "published as" if created else "unchanged, still"
    click.echo(f"{version.questionnaire.key}: {state} version {version.number}")


@questionnaire_cli.command("list")
@reading
def questionnaire_list():
    """List published questionnaire versions and their languages (* : reviewed)."""
    for version in questionnaires.list_versions():
        reviewed = {pack.language for pack in version.language_packs if pack.is_reviewed}
        languages = ",".join(language + ("*" if language in reviewed else "") for language in available_languages(version))
        click.echo(f"{version.questionnaire.key:<24} v{version.number:<3} {version.questionnaire.audience:<9} "
                   f"{version.published_dt:%Y-%m-%d}  {languages}")


@questionnaire_cli.command("pack-template")
@click.argument("key")
@click.argument("number", type=int)
@reading
def questionnaire_pack_template(key, number):
    """Print a language pack to fill in: every text of a version, by its path, in the default language."""
    click.echo(yaml.safe_dump(pack_template(published_version(key, number)), allow_unicode=True, sort_keys=False,
                              width=120))


@questionnaire_cli.command("add-language")
@click.argument("path", type=click.File("rb"))
@committing
def questionnaire_add_language(path):
    """Add a language to a published version from a filled-in pack (see pack-template); no new version."""
    text = path.read(MAX_FILE_BYTES + 1)
    try:
        pack = yaml.safe_load(text) if len(text) <= MAX_FILE_BYTES else None
    except yaml.YAMLError as error:
        raise click.ClickException(f"not valid YAML: {error}") from None
    if not isinstance(pack, dict) or not {"questionnaire", "version", "language", "texts"} <= set(pack):
        raise click.ClickException("a pack is a YAML mapping with questionnaire, version, language and texts "
                                   "(at most 1 MB): start from pack-template")
    version = published_version(str(pack["questionnaire"]), pack["version"])
    added = add_language(version, str(pack["language"]), pack["texts"])
    click.echo(f"{pack['questionnaire']} v{pack['version']}: {added.language} added, not reviewed yet")


@questionnaire_cli.command("review")
@click.argument("key")
@click.argument("number", type=int)
@click.argument("language")
@click.option("--by", required=True, help="Who reviewed the texts.")
@click.option("--against", required=True, help="What they were checked against, e.g. the English source.")
@click.option("--date", "reviewed_on", default=None, help="The day of the review (default: today).")
@committing
def questionnaire_review(key, number, language, by, against, reviewed_on):
    """Mark a language of a version reviewed: production campaigns open only in reviewed languages."""
    day = parse_datetime(reviewed_on).date() if reviewed_on else None
    pack = mark_reviewed(published_version(key, number), language, by, against, day)
    click.echo(f"{key} v{number} {language}: reviewed by {pack.reviewed_by} on {pack.reviewed_on} "
               f"against {pack.reviewed_against}")


@questionnaire_cli.command("show")
@click.argument("key")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("--lang", default="en", type=click.Choice(SUPPORTED_LANGUAGES), show_default=True)
@reading
def questionnaire_show(key, number, lang):
    """Show a published questionnaire's pages, items and indicators."""
    version = questionnaires.find_version(key, number)
    if version is None:
        raise click.ClickException(f"no published questionnaire '{key}'" + (f" version {number}" if number else ""))
    definition = Definition(version.definition)
    texts = version.definition
    click.echo(f"{key} v{version.number} ({version.questionnaire.audience}): {texts['title'].get(lang, '')}")
    for page in definition.pages:
        click.echo(f"  page {page['key']}: {page['title'].get(lang, '')}")
        for item in page["items"]:
            keys = ", ".join(item_type(item).answer_keys(item))
            click.echo(f"    {keys} [{item['type']}] {item['text'].get(lang, '')}")
    for indicator in definition.indicators:
        click.echo(f"  indicator {indicator['key']} ({indicator['kind']}): {', '.join(indicator['items'])}")


def published_version(key: str, number) -> QuestionnaireVersion:
    """The version ``number`` of questionnaire ``key``, or a one-line error; ``number`` may come from a file."""
    version = questionnaires.find_version(key, number) if isinstance(number, int) else None
    if version is None:
        raise click.ClickException(f"no published questionnaire '{key}' version {number}")
    return version
