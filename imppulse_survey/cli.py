"""``flask imppulse …``: the operators' commands. Errors are one line on stderr and exit status 1."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import sys

import click
import yaml
from flask.cli import AppGroup

from .campaigns import services as campaigns
from .campaigns.services import CampaignError
from .config import SUPPORTED_LANGUAGES
from .core.database import begin_write
from .core.links import default_base_url
from .extensions import db
from .questionnaires import services as questionnaires
from .questionnaires.definition import Definition, item_type
from .questionnaires.loader import MAX_FILE_BYTES, QuestionnaireFileError, load_file
from .questionnaires.models import QuestionnaireVersion
from .questionnaires.packs import add_language, available_languages, mark_reviewed, pack_template
from .questionnaires.translation_check import check_definitions

imppulse_cli = AppGroup("imppulse", help="IMPPULSE Survey administration.")
questionnaire_cli = AppGroup("questionnaire", help="Validate and publish questionnaires.")
campaign_cli = AppGroup("campaign", help="Create and run campaigns.")
invitations_cli = AppGroup("invitations", help="Single-use invitations for officers.")
for group in (questionnaire_cli, campaign_cli, invitations_cli):
    imppulse_cli.add_command(group)


def committing(command):
    """Run a command in one transaction; known failures become a one-line error and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            begin_write()
            result = command(*args, **kwargs)
            db.session.commit()
            return result
        except QuestionnaireFileError as error:
            db.session.rollback()
            for problem in error.problems:
                click.echo(problem, err=True)
            raise click.exceptions.Exit(1) from None
        except (CampaignError, ValueError) as error:  # AccountError is a ValueError too
            db.session.rollback()
            raise click.ClickException(str(error)) from None

    return wrapper


def parse_datetime(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or date and time (2026-03-01 or 2026-03-01T08:00)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def language_list(value: str) -> list[str]:
    languages = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [language for language in languages if language not in SUPPORTED_LANGUAGES]
    if unknown or not languages:
        raise click.BadParameter(f"languages must be among {', '.join(SUPPORTED_LANGUAGES)}")
    return languages


# questionnaires


@questionnaire_cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@committing
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
@committing
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
@committing
def questionnaire_pack_template(key, number):
    """Print a language pack to fill in: every text of a version, by its path, in the default language."""
    click.echo(yaml.safe_dump(pack_template(_published(key, number)), allow_unicode=True, sort_keys=False, width=120))


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
    added = add_language(_published(str(pack["questionnaire"]), pack["version"]), str(pack["language"]), pack["texts"])
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
    pack = mark_reviewed(_published(key, number), language, by, against, day)
    click.echo(f"{key} v{number} {language}: reviewed by {pack.reviewed_by} on {pack.reviewed_on} "
               f"against {pack.reviewed_against}")


def _published(key: str, number) -> QuestionnaireVersion:
    version = questionnaires.find_version(key, number) if isinstance(number, int) else None
    if version is None:
        raise click.ClickException(f"no published questionnaire '{key}' version {number}")
    return version


@questionnaire_cli.command("show")
@click.argument("key")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("--lang", default="en", type=click.Choice(SUPPORTED_LANGUAGES), show_default=True)
@committing
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


# campaigns


@campaign_cli.command("create")
@click.argument("slug")
@click.option("--city", "city_slug", required=True, help="City slug, e.g. nantes.")
@click.option("--questionnaire", "questionnaire_key", required=True, help="Questionnaire key.")
@click.option("--version", "number", type=int, help="Questionnaire version (default: the latest).")
@click.option("--access", type=click.Choice(campaigns.ACCESS_MODES), default=None,
              help="open link or invitations (default: open for residents, invitation for officers).")
@click.option("--languages", type=str, default=None, help="Comma-separated, e.g. fr,en (default: the city's, then en).")
@click.option("--default-language", default=None)
@click.option("--threshold", type=int, default=None, help="Disclosure threshold (at least 5).")
@click.option("--wave", "wave_label", default="baseline", show_default=True, help="Label of the first wave.")
@click.option("--opens", default=None, help="Opening date and time (ISO 8601, UTC unless given).")
@click.option("--closes", default=None, help="Closing date and time.")
@click.option("--retention-months", type=int, default=60, show_default=True,
              help="Responses are purged this many months after their wave closes.")
@click.option("--text-retention-months", type=int, default=12, show_default=True,
              help="Free texts are purged this many months after their wave closes.")
@click.option("--forces", multiple=True, metavar="LANG=TEXT", help="The police forces residents deal with.")
@click.option("--organiser", multiple=True, metavar="LANG=TEXT", help="Who runs the survey.")
@committing
def campaign_create(slug, city_slug, questionnaire_key, number, access, languages, default_language, threshold,
                    wave_label, opens, closes, retention_months, text_retention_months, forces, organiser):
    """Create a campaign with its first wave (and, for officers, the wave's key pair, printed once)."""
    from flask import current_app

    city = campaigns.find_city(city_slug)
    version = questionnaires.find_version(questionnaire_key, number)
    if version is None:
        raise CampaignError(f"no published questionnaire '{questionnaire_key}'")
    audience = version.questionnaire.audience
    chosen = language_list(languages) if languages else _default_languages(city, version.definition["languages"])
    campaign = campaigns.create_campaign(
        slug=slug,
        city=city,
        version=version,
        access_mode=access or ("invitation" if audience == "officer" else "open"),
        languages=chosen,
        default_language=default_language or chosen[0],
        disclosure_threshold=current_app.config["DEFAULT_DISCLOSURE_THRESHOLD"] if threshold is None else threshold,
        retention_months=retention_months,
        text_retention_months=text_retention_months,
        forces=_by_language(forces),
        organiser=_by_language(organiser),
    )
    wave = campaigns.add_wave(campaign, wave_label, parse_datetime(opens), parse_datetime(closes))
    click.echo(f"created {slug} ({audience}, {campaign.access_mode}, {','.join(campaign.languages)}) "
               f"with wave {wave_label}")
    show_new_wave_key(wave)


def _default_languages(city, offered):
    preferred = [city.default_language, "en"]
    return [language for language in dict.fromkeys(preferred) if language in offered] or [offered[0]]


@campaign_cli.command("list")
@committing
def campaign_list():
    """List campaigns with their waves and response counts."""
    counts = campaigns.response_counts()
    for campaign in campaigns.list_campaigns():
        waves = ", ".join(f"{wave.label}:{'released' if wave.released_dt else wave.status()}"
                          for wave in campaign.waves) or "no wave"
        invitations = (f"  {campaigns.invitations_used(campaign)}/{campaign.invitations_issued} invitations used"
                       if campaign.access_mode == "invitation" else "")
        click.echo(f"{campaign.slug:<32} {campaign.city.name:<18} {campaign.audience:<9} {campaign.access_mode:<10} "
                   f"{counts.get(campaign.id, 0):>7} responses  {waves}{invitations}")


@campaign_cli.command("open")
@click.argument("slug")
@click.option("--wave", "wave_label", default=None, help="Wave to open (created if new; default: the next scheduled).")
@click.option("--version", "number", type=int, default=None,
              help="Questionnaire version the wave uses, if new or not started (default: the wave before's).")
@committing
def campaign_open(slug, wave_label, number):
    """Open fieldwork now (an officers' wave gets its key pair here if it has none: printed once)."""
    campaign = campaigns.find_campaign(slug)
    version = _published(campaign.questionnaire_version.questionnaire.key, number) if number else None
    wave = campaigns.open_wave(campaign, wave_label, version=version)
    click.echo(f"{slug}: wave {wave.label} is open, on version {wave.questionnaire_version.number}")
    show_new_wave_key(wave)


@campaign_cli.command("texts")
@click.argument("slug")
@click.option("--forces", multiple=True, metavar="LANG=TEXT", help="The police forces residents deal with.")
@click.option("--organiser", multiple=True, metavar="LANG=TEXT", help="Who runs the survey.")
@committing
def campaign_texts(slug, forces, organiser):
    """Give the campaign's own words for the questionnaire's {forces} and {organiser}, per language."""
    campaign = campaigns.find_campaign(slug)
    campaigns.set_campaign_texts(campaign, forces=_by_language(forces), organiser=_by_language(organiser))
    for name in ("forces", "organiser"):
        for language, given in sorted(getattr(campaign, name).items()):
            click.echo(f"{slug} {name} ({language}): {given}")


def _by_language(pairs) -> dict[str, str]:
    texts = {}
    for pair in pairs:
        language, separator, value = pair.partition("=")
        if not separator or language.strip() not in SUPPORTED_LANGUAGES or not value.strip():
            raise click.BadParameter(f"{pair!r}: give LANG=TEXT, LANG among {', '.join(SUPPORTED_LANGUAGES)}")
        texts[language.strip()] = value.strip()
    return texts


@campaign_cli.command("retention")
@click.argument("slug")
@click.option("--months", type=int, required=True, help="Months after a wave closes that its responses are kept.")
@click.option("--text-months", type=int, required=True, help="Months after a wave closes that free texts are kept.")
@committing
def campaign_retention(slug, months, text_months):
    """Set how long a campaign keeps responses and free texts (flask imppulse purge deletes the rest)."""
    campaigns.set_retention(campaigns.find_campaign(slug), months, text_months)
    click.echo(f"{slug}: responses kept {months} months and free texts {text_months} months after each wave closes")


@campaign_cli.command("threshold")
@click.argument("slug")
@click.argument("threshold", type=int)
@committing
def campaign_threshold(slug, threshold):
    """Set the disclosure threshold (once fieldwork has started, it can only be raised; reissue releases after)."""
    campaigns.set_threshold(campaigns.find_campaign(slug), threshold)
    click.echo(f"{slug}: disclosure threshold {threshold}; releases made before keep theirs until reissued")


def show_new_wave_key(wave) -> None:
    """Give an invitation campaign's wave its key pair and print the private key, the only time it exists."""
    if wave.campaign.access_mode != "invitation" or wave.public_key is not None:
        return
    private_key = campaigns.issue_wave_key(wave)
    click.echo(
        f"\nThe private key of wave {wave.label} is printed below, once: it is stored nowhere. Officers' answers\n"
        "are sealed to it and can be released only with it (flask imppulse release). Keep it offline, away\n"
        "from whoever administers the server; without it these answers can never be released.\n")
    click.echo(private_key)


@campaign_cli.command("close")
@click.argument("slug")
@committing
def campaign_close(slug):
    """Close the open wave now."""
    wave = campaigns.close_wave(campaigns.find_campaign(slug))
    click.echo(f"{slug}: wave {wave.label} is closed")


# invitations


@invitations_cli.command("create")
@click.argument("slug")
@click.argument("count", type=int)
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True),
              help="CSV file to write the tokens and links to; it is the only copy of the tokens.")
@click.option("--cards", "cards_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Also write a printable page of unnamed cards, one QR code and link each (HTML, A4).")
@click.option("--base-url", default=default_base_url, show_default="PUBLIC_BASE_URL, else http://127.0.0.1:$PORT",
              help="Where the survey is served.")
@committing
def invitations_create(slug, count, out_path, cards_path, base_url):
    """Create COUNT single-use invitations and write them, shuffled, to a CSV file (and printable cards).

    Hand the cards out at random and keep no record of who got which: a used invitation is deleted, and the
    answers are sealed, so the cards are what officers' anonymity rests on.
    """
    from .campaigns.cards import invitation_cards

    campaign = campaigns.find_campaign(slug)
    tokens = campaigns.create_invitations(campaign, count)
    links = [f"{base_url.rstrip('/')}/i/{token}" for token in tokens]
    write_new_file(out_path, lambda out: csv.writer(out).writerows([["token", "link"], *zip(tokens, links)]))
    click.echo(f"{slug}: {count} invitations written to {out_path}")
    if cards_path:
        write_new_file(cards_path, lambda out: out.write(invitation_cards(campaign, links)))
        click.echo(f"{slug}: printable cards written to {cards_path}")


def write_new_file(path: str, write) -> None:
    """Write a file that must not exist yet: tokens are never overwritten."""
    try:
        with open(path, "x", newline="", encoding="utf-8") as out:
            write(out)
    except FileExistsError:
        raise CampaignError(f"{path} exists already; choose a new file so that no tokens are overwritten") from None
    except OSError as error:
        raise CampaignError(f"cannot write {path}: {error.strerror}") from None


@imppulse_cli.command("demo")
@click.option("--seed", default=2026, show_default=True, help="Seed of the simulated answers.")
@committing
def demo(seed):
    """Load the partner cities, the standard questionnaires, demo campaigns and simulated responses."""
    from .demo.loader import load_demo

    summary = load_demo(seed=seed, progress=click.echo)
    click.echo(f"demo data ready: {summary.cities} cities, {summary.campaigns} campaigns, "
               f"{summary.new_responses} new responses ({summary.total_responses} in all)")


@imppulse_cli.command("poster")
@click.argument("slug")
@click.option("--lang", required=True, type=click.Choice(SUPPORTED_LANGUAGES))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True), help="SVG file.")
@click.option("--base-url", default=default_base_url, show_default="PUBLIC_BASE_URL, else http://127.0.0.1:$PORT",
              help="Where the survey is served.")
@committing
def poster(slug, lang, out_path, base_url):
    """Write a printable A4 poster (SVG) with the QR code of an open campaign's link."""
    from .campaigns.posters import poster_svg

    campaign = campaigns.find_campaign(slug)
    if campaign.access_mode != "open":
        raise CampaignError(f"{slug} is by invitation; posters are for open campaigns")
    if lang not in campaign.languages:
        raise CampaignError(f"{slug} is offered in {', '.join(campaign.languages)}")
    try:
        with open(out_path, "w", encoding="utf-8") as out:
            out.write(poster_svg(campaign, lang, base_url))
    except OSError as error:
        raise CampaignError(f"cannot write {out_path}: {error.strerror}")
    click.echo(f"{slug}: poster in {lang} written to {out_path}")


@imppulse_cli.command("release")
@click.argument("slug")
@click.argument("wave_label")
@click.option("--reissue", "reason", default=None, help="Reissue a released wave; say why (new weights, a correction).")
def release_command(slug, wave_label, reason):
    """Release a closed wave's figures: the fixed set of tables, suppressed over all of them together. An officer
    wave's sealed answers are opened first, with the wave's private key on standard input (or typed when asked).
    Nothing is released if fewer answers than the threshold are sealed."""
    from .releases.services import FIRST_RELEASE, ReleaseRefused, cell_count, needs_private_key, release

    try:
        campaign = campaigns.find_campaign(slug)
        wave = campaigns.find_wave(campaign, wave_label)
        private_key = read_private_key(wave_label) if needs_private_key(campaign, wave) else None
        outcome = release(campaign, wave, private_key, reason or FIRST_RELEASE)
    except (CampaignError, ReleaseRefused) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if outcome.unsealed:
        report = outcome.unsealed
        withheld = ", ".join(f"{name} of {count}" for name, count in sorted(report.withheld.items()))
        click.echo(f"{slug} {wave_label}: {report.released} sealed answers opened"
                   + (f"; {report.unreadable} sealed rows could not be read and were dropped" if report.unreadable
                      else "")
                   + (f"; withheld as too rare: {withheld}" if withheld else ""))
    made = outcome.release
    click.echo(f"{slug} {wave_label}: release {made.number} made ({cell_count(made)} cells"
               + (f"; {made.reason}" if made.number > 1 else "") + ")")


def read_private_key(wave_label: str) -> str:
    """Read while no write lock is held: a person may be typing, or a pipe may be slow."""
    if sys.stdin.isatty():
        return click.prompt(f"Private key of wave {wave_label}", hide_input=True)
    return sys.stdin.readline(MAX_SECRET_INPUT)


declare_cli = AppGroup("declare", help="Declare, before the figures are seen, the extra cells releases publish.")
imppulse_cli.add_command(declare_cli)


@declare_cli.command("pooled")
@click.argument("slug")
@click.argument("label")
@click.option("--waves", required=True, help="The waves it covers, comma-separated (two or more).")
@click.option("--reissue", "reason", default=None,
              help="Some of the waves are released already: say why it is declared now (the last is reissued).")
@committing
def declare_pooled(slug, label, waves, reason):
    """Declare a pooled period: figures over several waves, released with the last of them."""
    from .releases.declarations import declare_pooling

    campaign = campaigns.find_campaign(slug)
    chosen = [campaigns.find_wave(campaign, name.strip()) for name in waves.split(",") if name.strip()]
    _declared(campaign, *declare_pooling(campaign, label, chosen, reason), reason)


@declare_cli.command("group")
@click.argument("slug")
@click.argument("label")
@click.option("--districts", required=True, help="District codes, comma-separated.")
@click.option("--reissue", "reason", default=None,
              help="The campaign has releases already: say why the group is declared now (they are reissued).")
@committing
def declare_group(slug, label, districts, reason):
    """Declare a district group (a pilot's districts, its comparison districts), published as one cell."""
    from .releases.declarations import declare_district_group

    campaign = campaigns.find_campaign(slug)
    try:
        codes = [int(code) for code in districts.split(",") if code.strip()]
    except ValueError:
        raise click.BadParameter("--districts takes district codes, e.g. 3,7,12") from None
    _declared(campaign, *declare_district_group(campaign, label, codes, reason), reason)


def _declared(campaign, declared, to_reissue, reason) -> None:
    from .releases.services import make_release

    for wave in to_reissue:
        made = make_release(campaign, wave, reason)
        click.echo(f"{campaign.slug} {wave.label}: release {made.number} made ({reason})")
    click.echo(f"{campaign.slug}: {declared.label} declared")


@imppulse_cli.command("releases")
@click.argument("slug")
@committing
def releases_command(slug):
    """List a campaign's releases: wave, number, date, reason, threshold, and which is current."""
    from .releases.services import list_releases

    for made in list_releases(campaigns.find_campaign(slug)):
        click.echo(f"{made.wave.label:<16} #{made.number:<3} {made.made_dt:%Y-%m-%d %H:%M}  threshold {made.threshold}"
                   f"  {'current' if made.is_current else 'replaced'}  {made.reason}")


@imppulse_cli.command("purge")
@committing
def purge():
    """Delete what is past its retention date: expired drafts, free texts and responses (run it daily)."""
    from .responses.retention import purge as purge_expired

    click.echo(f"removed {purge_expired()}")


drafts_cli = AppGroup("drafts", help="Saved, unfinished questionnaires.")
imppulse_cli.add_command(drafts_cli)


@drafts_cli.command("purge")
@committing
def drafts_purge():
    """Delete drafts past their expiry date (`flask imppulse purge` does this and the rest)."""
    from .responses.retention import purge as purge_expired

    click.echo(f"{purge_expired(drafts_only=True).drafts} expired drafts deleted")


users_cli = AppGroup("users", help="Staff accounts and their API tokens.")
imppulse_cli.add_command(users_cli)


def password_input(ctx, param, from_stdin: bool) -> str:
    """The password, read while the command line is parsed: before the command takes the database's write lock,
    so that nobody's submission waits while a person types (or a pipe stays silent)."""
    if from_stdin:
        return sys.stdin.readline(MAX_SECRET_INPUT + 1).rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


MAX_SECRET_INPUT = 1000


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "viewer", "analyst"]))
@click.option("--city", "city_slug", default=None, help="The user's city (every role but admin).")
@click.option("--password-stdin", "password", is_flag=True, callback=password_input,
              help="Read the password from standard input (otherwise it is asked for).")
@committing
def users_create(email, role, city_slug, password):
    """Create a staff user (prompts for the password unless --password-stdin)."""
    from .accounts.services import create_user

    city = campaigns.find_city(city_slug) if city_slug else None
    user = create_user(email, password, role, city)
    click.echo(f"created {user.email} ({role}{', ' + city.slug if city else ''})")


@users_cli.command("token")
@click.argument("email")
@click.option("--label", default="cli", show_default=True)
@committing
def users_token(email, label):
    """Make a personal API token; it is printed once, on the last line."""
    from .accounts.services import issue_token

    token = issue_token(find_user(email), label)
    click.echo("Keep this token secret; it is shown only now:")
    click.echo(token)


@users_cli.command("tokens")
@click.argument("email")
@committing
def users_tokens(email):
    """List a user's API tokens (their ids, labels and dates; the tokens themselves are never stored)."""
    from sqlalchemy import select

    from .accounts.models import ApiToken

    tokens = db.session.scalars(select(ApiToken).filter_by(user_id=find_user(email).id).order_by(ApiToken.id)).all()
    for token in tokens:
        click.echo(f"{token.id}\t{token.label}\tcreated {token.created_on}\t{'revoked' if token.is_revoked else 'active'}")
    if not tokens:
        click.echo(f"{email} has no API token")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
@committing
def users_revoke(email, token_id):
    """Revoke one of a user's API tokens (ids from `users tokens`); requests with it are refused at once."""
    from .accounts.services import revoke_token

    revoke_token(find_user(email), token_id)
    click.echo(f"token {token_id} of {email} revoked")


@users_cli.command("password")
@click.argument("email")
@click.option("--password-stdin", "password", is_flag=True, callback=password_input,
              help="Read the new password from standard input (otherwise it is asked for).")
@committing
def users_password(email, password):
    """Set a user's password (prompts for it unless --password-stdin); every session of the user ends."""
    from .accounts.services import change_password

    change_password(find_user(email), password)
    click.echo(f"password of {email} changed; every session of this user has ended")


def find_user(email: str):
    from sqlalchemy import select

    from .accounts.models import User
    from .accounts.services import AccountError, normalise_email

    user = db.session.scalar(select(User).filter_by(email=normalise_email(email)))
    if user is None:
        raise AccountError(f"no user {email}")
    return user


weights_cli = AppGroup("weights", help="Weighting campaigns to population margins.")
MAX_MARGINS_CHARACTERS = 1024 * 1024
imppulse_cli.add_command(weights_cli)


@weights_cli.command("rake")
@click.argument("slug")
@click.option("--wave", "wave_label", default=None, help="The wave to weight (default: the latest).")
@click.option("--margins", "margins_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with dimension,category,population (dimensions: age_band, gender, district).")
@click.option("--trim", default="0.2,5", show_default=True, help="Lowest and highest weight, relative to the mean.")
@committing
def weights_rake(slug, wave_label, margins_path, trim):
    """Rake one wave's responses to its population margins, as a new weight set (releases made before keep theirs;
    reissue them to use it)."""
    from .weighting.raking import WeightingError, read_margins
    from .weighting.services import rake_wave

    try:
        low, high = (float(part) for part in trim.split(","))
    except ValueError:
        raise click.BadParameter("--trim takes two numbers, e.g. 0.2,5") from None
    if not 0 < low < 1 < high:
        raise click.BadParameter("--trim needs 0 < low < 1 < high")
    campaign = campaigns.find_campaign(slug)
    wave = campaigns.find_wave(campaign, wave_label)
    try:
        with open(margins_path, encoding="utf-8") as handle:
            text = handle.read(MAX_MARGINS_CHARACTERS + 1)  # /dev/zero, or a huge file, must not be read whole
    except (OSError, UnicodeDecodeError) as error:
        raise CampaignError(f"cannot read {margins_path}: {getattr(error, 'strerror', None) or 'not UTF-8 text'}")
    if len(text) > MAX_MARGINS_CHARACTERS:
        raise CampaignError(f"{margins_path} is larger than {MAX_MARGINS_CHARACTERS // 1024} KB: it is not a margins file")
    try:
        report = rake_wave(campaign, wave, read_margins(text), (low, high))
    except WeightingError as error:
        raise CampaignError(str(error)) from None
    made = report.weight_set
    click.echo(f"{slug} wave {wave.label}: weight set #{made.number}, {report.respondents} responses in "
               f"{report.groups} weighting classes, weights {report.smallest:.3f}–{report.largest:.3f}, "
               f"design effect {made.design_effect:.3f}, margins met within {made.largest_margin_gap:.2f} points")


indicators_cli = AppGroup("indicators", help="Indicator summaries.")
imppulse_cli.add_command(indicators_cli)


@indicators_cli.command("rebuild")
@click.argument("slugs", nargs=-1)
@committing
def indicators_rebuild(slugs):
    """Recompute indicator summaries from the answers (every campaign, or those named), e.g. after a bulk load."""
    from sqlalchemy import select

    from .campaigns.models import Campaign
    from .responses.summaries import rebuild_campaign_summaries

    chosen = [campaigns.find_campaign(slug) for slug in slugs] or db.session.scalars(
        select(Campaign).order_by(Campaign.id)).all()
    for campaign in chosen:
        rebuild_campaign_summaries(campaign)
        click.echo(f"{campaign.slug}: summaries rebuilt")
