"""``flask imppulse …``: the operators' commands. Errors are one line on stderr and exit status 1."""

from __future__ import annotations

import csv
import sys
import datetime as dt
import functools

import click
from flask.cli import AppGroup

from .campaigns import services as campaigns
from .campaigns.services import CampaignError
from .config import SUPPORTED_LANGUAGES
from .core.database import begin_write
from .extensions import db
from .questionnaires import services as questionnaires
from .questionnaires.definition import Definition, item_type
from .questionnaires.loader import QuestionnaireFileError, load_file

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
@click.argument("path", type=click.Path(dir_okay=False))
@committing
def questionnaire_check(path):
    """Validate a questionnaire file without publishing it."""
    definition = load_file(path)
    click.echo(f"{definition['key']}: valid ({sum(1 for _ in Definition(definition).items())} items, "
               f"{len(definition['indicators'])} indicators, languages {', '.join(definition['languages'])})")


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
    """List published questionnaire versions."""
    for version in questionnaires.list_versions():
        definition = version.definition
        click.echo(
            f"{version.questionnaire.key:<24} v{version.number:<3} {version.questionnaire.audience:<9} "
            f"{version.published_dt:%Y-%m-%d}  {','.join(definition['languages'])}"
        )


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
@committing
def campaign_create(slug, city_slug, questionnaire_key, number, access, languages, default_language, threshold,
                    wave_label, opens, closes):
    """Create a campaign with its first wave."""
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
        disclosure_threshold=threshold or current_app.config["DEFAULT_DISCLOSURE_THRESHOLD"],
    )
    campaigns.add_wave(campaign, wave_label, parse_datetime(opens), parse_datetime(closes))
    click.echo(f"created {slug} ({audience}, {campaign.access_mode}, {','.join(campaign.languages)}) "
               f"with wave {wave_label}")


def _default_languages(city, offered):
    preferred = [city.default_language, "en"]
    return [language for language in dict.fromkeys(preferred) if language in offered] or [offered[0]]


@campaign_cli.command("list")
@committing
def campaign_list():
    """List campaigns with their waves and response counts."""
    counts = campaigns.response_counts()
    for campaign in campaigns.list_campaigns():
        waves = ", ".join(f"{wave.label}:{wave.status()}" for wave in campaign.waves) or "no wave"
        click.echo(f"{campaign.slug:<32} {campaign.city.name:<18} {campaign.audience:<9} {campaign.access_mode:<10} "
                   f"{counts.get(campaign.id, 0):>7} responses  {waves}")


@campaign_cli.command("open")
@click.argument("slug")
@click.option("--wave", "wave_label", default=None, help="Wave to open (created if new; default: the next scheduled).")
@committing
def campaign_open(slug, wave_label):
    """Open fieldwork now."""
    wave = campaigns.open_wave(campaigns.find_campaign(slug), wave_label)
    click.echo(f"{slug}: wave {wave.label} is open")


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
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Where the survey is served.")
@committing
def invitations_create(slug, count, out_path, base_url):
    """Create COUNT single-use invitations and write them to a CSV file."""
    campaign = campaigns.find_campaign(slug)
    tokens = campaigns.create_invitations(campaign, count)
    try:
        with open(out_path, "x", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["token", "link"])
            writer.writerows([token, f"{base_url.rstrip('/')}/i/{token}"] for token in tokens)
    except FileExistsError:
        raise CampaignError(f"{out_path} exists already; choose a new file so that no tokens are overwritten")
    except OSError as error:
        raise CampaignError(f"cannot write {out_path}: {error.strerror}")
    click.echo(f"{slug}: {count} invitations written to {out_path}")


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
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Where the survey is served.")
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


drafts_cli = AppGroup("drafts", help="Saved, unfinished questionnaires.")
imppulse_cli.add_command(drafts_cli)


@drafts_cli.command("purge")
@committing
def drafts_purge():
    """Delete drafts past their expiry date."""
    from flask import current_app

    from .responses.drafts import purge_expired_drafts

    count = purge_expired_drafts()
    current_app.logger.info("purged %d expired drafts", count)
    click.echo(f"{count} expired drafts deleted")


users_cli = AppGroup("users", help="Staff accounts and their API tokens.")
imppulse_cli.add_command(users_cli)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "viewer", "analyst"]))
@click.option("--city", "city_slug", default=None, help="The user's city (every role but admin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@committing
def users_create(email, role, city_slug, password_stdin):
    """Create a staff user (prompts for the password unless --password-stdin)."""
    from .accounts.services import create_user

    city = campaigns.find_city(city_slug) if city_slug else None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
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


def find_user(email: str):
    from sqlalchemy import select

    from .accounts.models import User
    from .accounts.services import AccountError, normalise_email

    user = db.session.scalar(select(User).filter_by(email=normalise_email(email)))
    if user is None:
        raise AccountError(f"no user {email}")
    return user


weights_cli = AppGroup("weights", help="Weighting campaigns to population margins.")
imppulse_cli.add_command(weights_cli)


@weights_cli.command("rake")
@click.argument("slug")
@click.option("--margins", "margins_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with dimension,category,population (dimensions: age_band, gender, district).")
@click.option("--trim", default="0.2,5", show_default=True, help="Lowest and highest weight, relative to the mean.")
@committing
def weights_rake(slug, margins_path, trim):
    """Rake a campaign's responses to population margins and store the weights."""
    from .indicators.weighting import WeightingError, rake_campaign, read_margins

    try:
        low, high = (float(part) for part in trim.split(","))
    except ValueError:
        raise click.BadParameter("--trim takes two numbers, e.g. 0.2,5") from None
    if not 0 < low < 1 < high:
        raise click.BadParameter("--trim needs 0 < low < 1 < high")
    campaign = campaigns.find_campaign(slug)
    with open(margins_path, encoding="utf-8") as handle:
        text = handle.read(1024 * 1024)
    try:
        report = rake_campaign(campaign, read_margins(text), (low, high))
    except WeightingError as error:
        raise CampaignError(str(error)) from None
    click.echo(f"{slug}: {report.weighted} responses weighted ({report.unweighted} without every characteristic kept 1), "
               f"weights {report.smallest:.3f}–{report.largest:.3f}, design effect {report.design_effect:.3f}")


indicators_cli = AppGroup("indicators", help="Indicator summaries.")
imppulse_cli.add_command(indicators_cli)


@indicators_cli.command("rebuild")
@click.argument("slugs", nargs=-1)
@committing
def indicators_rebuild(slugs):
    """Recompute indicator summaries from the answers (every campaign, or those named), e.g. after a bulk load."""
    from sqlalchemy import select

    from .campaigns.models import Campaign
    from .indicators.summaries import rebuild_summaries
    from .questionnaires.definition import published_definition

    chosen = [campaigns.find_campaign(slug) for slug in slugs] or db.session.scalars(
        select(Campaign).order_by(Campaign.id)).all()
    for campaign in chosen:
        rebuild_summaries(campaign.id, published_definition(campaign.questionnaire_version))
        click.echo(f"{campaign.slug}: summaries rebuilt")
